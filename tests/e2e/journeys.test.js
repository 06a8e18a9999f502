'use strict';
/*
 * Two more journeys in headless Chromium through nginx, the applicant and
 * the CA staff each in their own browser:
 *   - Hunan natural-person certificate from a signed partner link, paid by
 *     corporate transfer; finance confirms the money, the reviewer accepts;
 *   - a rejected order fixed by the applicant and resubmitted; the reviewer
 *     sees what changed and accepts.
 * Screenshots: tests/e2e/artifacts/hunan-*.png, reject-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { HALL, SANDBOX, latestCode, freshPhone, applicant } = require('../integ/lib/client');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');
const { staffSignInPage } = require('./lib/staff');
const { staffSignIn } = require('../integ/lib/staff');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 5)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n');
let browser;

before(async () => {
    if (SKIP)
        return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

function watch(page, problems) {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
            problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
        if (r.status() >= 500 || (r.status() === 404 && !/favicon\.ico$/.test(r.url())))
            problems.push(`${r.status()} ${r.url()}`);
    });
    /* the admin console asks before sending a decision */
    page.on('dialog', (d) => d.accept());
}

function tmpFile(name, data) {
    const p = path.join(os.tmpdir(), `hall-e2e-${process.pid}-${name}`);
    fs.writeFileSync(p, data);
    return p;
}

/* docs/partners.md: RFC 3986 percent-encoding of names and values */
const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function signedLink(params) {
    const p = { ts: String(Math.floor(Date.now() / 1000)), nonce: crypto.randomBytes(8).toString('hex'),
        ...params };
    const canon = Object.keys(p).sort().map((k) => `${pct(k)}=${pct(p[k])}`).join('&');
    p.sign = crypto.createHmac('sha256', 'dev-only-hunan-link-secret-change-me').update(canon).digest('hex');
    return `${HALL}/hunan/new/entry?${new URLSearchParams(p)}`;
}

async function staffPage(login, password, problems) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    watch(page, problems);
    await staffSignInPage(page, login, password, { check: (name) => a11y.check(page, name) });
    await a11y.check(page, `staff console (${login})`);
    return { ctx, page };
}

/* the phone's part of the identity check, for the person named */
async function phoneVerifies(link, name, ric, problems) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
    const phone = await ctx.newPage();
    a11y.track(phone);
    watch(phone, problems);
    await phone.goto(link);
    await a11y.check(phone, 'phone: 身份证照片');
    await phone.locator('input[name="front"]').setInputFiles(tmpFile('f.jpg',
        Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${name}|${ric}\n`)])));
    await phone.locator('input[name="back"]').setInputFiles(tmpFile('b.jpg',
        Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:长沙市公安局|2016-01-01|2036-01-01')])));
    await phone.locator('#ocr button[type="submit"]').click();
    await phone.locator('#liveness').waitFor();
    await a11y.check(phone, 'phone: 活体认证');
    await phone.locator('input[name="media"]').setInputFiles(tmpFile('v.mp4', JPEG));
    await phone.locator('#liveness button[type="submit"]').click();
    await phone.locator('#mobile-passed').waitFor();
    await a11y.check(phone, 'phone: 认证通过');
    a11y.assertAllChecked(phone);
    await ctx.close();
}

test('hunan natural person: signed link → SMS login → pre-filled → transfer voucher → finance confirms → reviewer accepts',
    { skip: SKIP }, async () => {
        const problems = [];
        const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        const page = await ctx.newPage();
        a11y.track(page);
        watch(page, problems);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `hunan-${n}.png`), fullPage: true });
        const staff = [];
        try {
            const mobile = freshPhone('135');
            await page.goto(signedLink({ cert_type: 'person', name: '王五', ric: '44011320141005001X', mobile }));
            await page.waitForURL(/\/hunan\/login\?next=/);
            await a11y.check(page, 'hunan 登录');
            const form = page.locator('form#login-sms');
            const me = freshPhone('136');
            await form.locator('input[name="phone"]').fill(me);
            await form.locator('button[data-sms="login"]').click();
            await form.locator('input[name="code"]').fill((await latestCode(me)).code);
            await form.locator('button[type="submit"]').click();
            await page.waitForURL(/\/hunan\/new\?project=hunan&link=/);
            await a11y.check(page, 'hunan 协议');
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/hunan\/new\/apply/);
            await page.locator('#prefilled').waitFor();
            assert.equal(await page.inputValue('input[name="app_name"]'), '王五');
            assert.equal(await page.inputValue('#cert_type'), 'person');
            assert.equal(await page.locator('input[name="org_name"]').isVisible(), false);
            assert.match(await page.textContent('#price'), /证书费200，介质费100，签章费50.*350\.00元\/1年/);
            await page.fill('input[name="app_email"]', 'wangwu@example.com');
            await page.selectOption('select[name="mail_province"]', '430000');
            await page.locator('select[name="mail_city"] option[value="430100"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="mail_city"]', '430100');
            await page.locator('select[name="mail_district"] option[value="430102"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="mail_district"]', '430102');
            await page.fill('input[name="mail_address"]', '五一大道1号');
            await page.fill('input[name="mail_receiver"]', '王五');
            await page.fill('input[name="mail_mobile"]', mobile);
            await page.check('input[name="invoice"][value="no"]');
            await a11y.check(page, 'hunan 录入信息, pre-filled');
            await shot('01-prefilled');
            await page.click('#apply-next');
            await page.waitForURL(/\/hunan\/new\/print\?id=\d+$/);
            const id = new URL(page.url()).searchParams.get('id');
            await page.locator('text=申请人声明').waitFor();
            await a11y.check(page, 'hunan 打印申请表');
            await page.click('#print-next');
            await page.waitForURL(/\/hunan\/new\/upload/);
            await a11y.check(page, 'hunan 上传资料');
            for (const kind of ['application', 'applicant_id', 'seal_form']) {
                const row = page.locator(`tr[data-kind="${kind}"]`);
                await row.locator('input[type="file"]').setInputFiles(tmpFile(`${kind}.pdf`, PDF));
                await row.locator('button[type="submit"]').click();
                await page.locator(`tr[data-kind="${kind}"] .state`).filter({ hasText: '已上传' }).waitFor();
            }
            await page.click('#upload-next');
            await page.waitForURL(/\/hunan\/new\/identity/);
            assert.match(await page.textContent('h1'), /申请人在线认证/);
            await a11y.check(page, 'hunan 申请人在线认证');
            await phoneVerifies(await page.locator('#mobile-link').getAttribute('href'), '王五',
                '44011320141005001X', problems);
            await page.locator('#identity-next:not([hidden])').waitFor({ timeout: 15000 });
            await page.click('#identity-next');
            await page.waitForURL(/\/pay\?id=\d+$/);
            assert.equal(await page.textContent('#amount'), '350.00元');
            await a11y.check(page, 'hunan 缴费');
            await page.locator('input[name="voucher"]').setInputFiles(tmpFile('voucher.pdf', PDF));
            await shot('02-transfer');
            await Promise.all([page.waitForURL(/\/pay\?id=\d+$/), page.click('#pay-transfer-submit')]);
            await page.locator('text=待确认到账').first().waitFor();
            await a11y.check(page, 'hunan 缴费, voucher sent');
            await shot('03-transfer-review');

            /* finance sees the voucher and confirms the money arrived */
            const fin = await staffPage('finance', 'Finance2026demo', problems);
            staff.push(fin.ctx);
            await fin.page.goto(`${HALL}/admin/order?id=${id}`);
            await fin.page.locator('#files', { hasText: '汇款凭证' }).waitFor();
            await a11y.check(fin.page, 'staff: order (finance)');
            await fin.page.click('#confirm');
            await fin.page.locator('#order-status', { hasText: '待审核' }).waitFor();
            await a11y.check(fin.page, 'staff: order confirmed (finance)');
            a11y.assertAllChecked(fin.page);
            await fin.page.screenshot({ path: path.join(ARTIFACTS, 'hunan-04-finance.png'), fullPage: true });

            /* the reviewer accepts; the applicant gets the seed's SMS */
            const rev = await staffPage('reviewer', 'Reviewer2026demo', problems);
            staff.push(rev.ctx);
            await rev.page.goto(`${HALL}/admin/review`);
            await a11y.check(rev.page, 'staff: review queue');
            await rev.page.locator(`a[href="/admin/order?id=${id}"]`).first().click();
            await rev.page.locator('#form-fields', { hasText: '王五' }).waitFor();
            await a11y.check(rev.page, 'staff: order (reviewer)');
            await rev.page.click('#approve');
            await rev.page.locator('#order-status', { hasText: '成功受理' }).waitFor();
            await a11y.check(rev.page, 'staff: order accepted');
            a11y.assertAllChecked(rev.page);
            await rev.page.screenshot({ path: path.join(ARTIFACTS, 'hunan-05-accepted.png'), fullPage: true });
            let sms = null;
            for (let i = 0; i < 100 && !sms; i++) {
                const j = await (await fetch(`${SANDBOX}/sandbox/sms?phone=${mobile}`)).json();
                sms = (j.messages || []).find((m) => /审核通过/.test(m.text));
                if (!sms)
                    await new Promise((ok) => setTimeout(ok, 100));
            }
            assert.ok(sms, 'the applicant is told by SMS');
            assert.match(sms.text, /您提交的湖南省公共资源交易服务平台新申请业务已经审核通过/);

            await page.goto(`${HALL}/hunan/center/orders`);
            await page.locator('#orders td.status', { hasText: '成功受理' }).waitFor();
            await a11y.check(page, 'hunan 我的业务单');
            await shot('06-orders');
            assert.deepEqual(problems, []);
            a11y.assertAllChecked(page);
        } catch (e) {
            await shot('failed').catch(() => {});
            throw e;
        } finally {
            for (const c of staff)
                await c.close();
            await ctx.close();
        }
    });

test('rejected order: reviewer rejects → applicant fixes and resubmits → reviewer sees the change and accepts',
    { skip: SKIP }, async () => {
        const problems = [];
        /* an order in review, made through the HTTP API (the other journeys click through it) */
        const c = await applicant();
        const { id, agentMobile } = await orderInReview(c);
        const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        await signIn(ctx, c);
        const page = await ctx.newPage();
        a11y.track(page);
        watch(page, problems);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `reject-${n}.png`), fullPage: true });
        let rev;
        try {
            rev = await staffPage('reviewer', 'Reviewer2026demo', problems);
            await rev.page.goto(`${HALL}/admin/order?id=${id}`);
            await a11y.check(rev.page, 'staff: order in review');
            await rev.page.fill('#reason', '营业执照扫描件未加盖公章');
            await rev.page.click('#reject');
            await rev.page.locator('#order-status', { hasText: '审核驳回' }).waitFor();
            await a11y.check(rev.page, 'staff: order rejected');
            let sms = null;
            for (let i = 0; i < 100 && !sms; i++) {
                const j = await (await fetch(`${SANDBOX}/sandbox/sms?phone=${agentMobile}`)).json();
                sms = (j.messages || []).find((m) => /审核驳回/.test(m.text));
                if (!sms)
                    await new Promise((ok) => setTimeout(ok, 100));
            }
            assert.ok(sms);
            assert.match(sms.text, /驳回原因：营业执照扫描件未加盖公章/);

            await page.goto(`${HALL}/center/orders`);
            await page.locator('#orders td.status', { hasText: '审核驳回' }).waitFor();
            await a11y.check(page, '我的业务单, 审核驳回');
            await shot('01-rejected');
            await page.locator('#orders a', { hasText: '编辑' }).click();
            await page.locator('#reject-reason', { hasText: '营业执照扫描件未加盖公章' }).waitFor();
            await a11y.check(page, '录入信息, rejected order');
            await page.fill('input[name="unit_address"]', '南山区科技园9号');
            await page.click('#apply-next');
            await page.waitForURL(/\/new\/print\?id=\d+$/);
            await a11y.check(page, '打印申请表, resubmission');
            await page.click('#print-next');
            await page.waitForURL(/\/new\/upload/);
            await a11y.check(page, '上传资料, resubmission');
            const row = page.locator('tr[data-kind="license"]');
            await row.locator('input[type="file"]').setInputFiles(tmpFile('license-stamped.pdf', PDF));
            await row.locator('button[type="submit"]').click();
            await page.locator('tr[data-kind="license"] .state').filter({ hasText: '已上传' }).waitFor();
            assert.equal((await page.textContent('#upload-next')).trim(), '重新提交审核');
            await shot('02-fixed');
            await page.click('#upload-next');
            await page.waitForURL(/\/center\/order\?id=\d+$/);
            await page.locator('#status', { hasText: '待审核' }).waitFor();
            await a11y.check(page, '业务单详情, resubmitted');
            await shot('03-resubmitted');

            await rev.page.goto(`${HALL}/admin/order?id=${id}`);
            await rev.page.locator('#changes', { hasText: '南山区科技园9号' }).waitFor();
            await a11y.check(rev.page, 'staff: order resubmitted, changes');
            await rev.page.screenshot({ path: path.join(ARTIFACTS, 'reject-04-reviewer-diff.png'), fullPage: true });
            await rev.page.click('#approve');
            await rev.page.locator('#order-status', { hasText: '成功受理' }).waitFor();
            await a11y.check(rev.page, 'staff: order accepted');
            assert.deepEqual(problems, []);
            a11y.assertAllChecked(page);
            a11y.assertAllChecked(rev.page);
        } catch (e) {
            await shot('failed').catch(() => {});
            throw e;
        } finally {
            if (rev)
                await rev.ctx.close();
            await ctx.close();
        }
    });

/* every step of the flow by HTTP, down to a corporate transfer finance confirmed */
async function orderInReview(c) {
    const { Client } = require('../integ/lib/client');
    const agentMobile = freshPhone('138');
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const r = await c.post('/new/apply', {
        project: 'jieyang', cert_type: 'org', years: '1',
        org_name: '深圳驳回测试有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园1号',
        legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
        agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: agentMobile,
        agent_email: 'agent@example.com', agent_title: '行政专员', bank_account_name: '深圳驳回测试有限公司',
        bank_branch_id: '19', bank_account: '4000021009100123456',
        mail_province: '440000', mail_city: '440300', mail_district: '440305',
        mail_address: '科技园1号', mail_receiver: '李四', mail_mobile: agentMobile,
        shipping: 'collect', invoice: 'no' });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    await c.post('/new/printed', { id });
    await c.get(`/new/upload?id=${id}`);
    for (const kind of ['application', 'license', 'agent_id'])
        assert.equal((await c.postMultipart('/new/upload', { id, kind },
            { file: { name: `${kind}.pdf`, data: PDF } })).status, 200);
    await c.post('/new/uploaded', { id });
    const idp = await c.get(`/new/identity?id=${id}`);
    const t = idp.text.match(/\/new\/m\/verify\?t=([A-Za-z0-9_-]{43})/)[1];
    const phone = new Client();
    await phone.get(`/new/m/verify?t=${t}`);
    assert.equal((await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([JPEG, Buffer.from('SANDBOX-ID:李四|412723199010050012\n')]) },
        back: { name: 'b.jpg', data: Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]) },
    })).status, 200);
    assert.equal((await phone.postMultipart('/new/m/liveness', { t },
        { media: { name: 'v.mp4', data: JPEG } })).status, 200);
    await c.get(`/pay?id=${id}`);
    assert.equal((await c.postMultipart('/pay/transfer', { id },
        { voucher: { name: 'v.pdf', data: PDF } })).status, 200);
    const fin = new Client();
    assert.equal((await staffSignIn(fin, 'finance', 'Finance2026demo')).status, 200);
    await fin.get(`/admin/order?id=${id}`);
    const ok = await fin.post('/admin/transfer/confirm', { id });
    assert.equal(ok.status, 200, ok.text);
    return { id, agentMobile };
}
