'use strict';
/*
 * 证书变更 in headless Chromium through nginx, in Jieyang's channel (seed
 * 000: 揭阳公共资源): the channel's home page lists 证书变更, 操作提示, the
 * agreements, 证书选择 from the applicant's own certificates, 录入信息 with
 * the certificate's data prefilled (a field a change may not touch refused
 * on the page), 证书变更申请表 with 变更事项, the materials, the phone's
 * identity check, 微信支付, the reviewer's 变更对照 and approval; then 我的证书
 * shows the new certificate with the new name and the old one 已吊销 (已被替代).
 * axe checks every page; screenshots go to tests/e2e/artifacts/change-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { HALL, SANDBOX } = require('../integ/lib/client');
const { operator, acceptedByTransfer, psql } = require('../integ/lib/pki');
const { freshAccount, waitStatus } = require('../integ/lib/payflow');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');
const { staffSignInPage } = require('./lib/staff');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 4)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n');
const ORG = '深圳测试科技有限公司';
const NEW_ORG = '深圳更名测试科技有限公司';
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

function tmpFile(name, data) {
    const p = path.join(os.tmpdir(), `hall-e2e-change-${process.pid}-${name}`);
    fs.writeFileSync(p, data);
    return p;
}

function watch(page, problems) {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 500 || (r.status() === 404 && !/favicon\.ico$/.test(r.url())))
            problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('dialog', (d) => d.accept());
}

async function newPage(problems, opts = {}) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN', ...opts });
    const page = await ctx.newPage();
    a11y.track(page);
    watch(page, problems);
    return { ctx, page };
}

test('change (Jieyang): 首页 → 操作提示 → 协议 → 证书选择 → 录入信息 → 变更申请表 → 上传 → 认证 → 支付 → 变更对照 → 审核通过 → 我的证书',
    { skip: SKIP }, async () => {
        const problems = [];
        const op = await operator();
        const o = await acceptedByTransfer();
        assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        const { ctx, page } = await newPage(problems);
        await signIn(ctx, o.c);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `change-${n}.png`), fullPage: true });
        const others = [];
        try {
            await page.goto(`${HALL}/jieyang/`);
            await a11y.check(page, 'Jieyang home');
            await page.getByRole('link', { name: '证书变更' }).click();
            await page.waitForURL(/\/jieyang\/change\/notice$/);
            await a11y.check(page, '证书变更 · 操作提示');
            await shot('01-notice');
            await page.locator('#notice-ok').click();
            await page.waitForURL(/\/jieyang\/change\?project=jieyang$/);
            await a11y.check(page, '协议');
            await page.locator('input[name="agree1"]').check();
            if (await page.locator('input[name="agree2"]').count() > 0)
                await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/jieyang\/change\/serial\?project=jieyang$/);
            await a11y.check(page, '证书选择');
            await shot('02-serial-list');
            /* the applicant's own certificate, chosen from the list */
            await page.locator(`#own-certs tr[data-serial="${serial}"] a.own-cert-choose`).click();
            await page.locator('#cert-status', { hasText: '有效' }).waitFor();
            assert.equal(await page.textContent('#cert-subject'), ORG);
            await a11y.check(page, '证书选择, chosen');
            await page.click('#serial-next');
            await page.waitForURL(/\/jieyang\/change\/apply\?project=jieyang&serial=/);
            await a11y.check(page, '录入信息');

            /* the data now, prefilled; 机构证件号码 read-only */
            assert.equal(await page.inputValue('input[name="org_name"]'), ORG);
            assert.equal(await page.getAttribute('input[name="org_id"]', 'readonly'), '');
            assert.equal(await page.textContent('#total-amount'), '100.00元');
            await page.locator('#change-current tr[data-field="org_name"]', { hasText: '可变更' }).waitFor();
            /* changed on the same USB key by the 证书助手: no address, no
             * 邮寄方式, no PIN sent (issue 72 §3) */
            await page.locator('#no-mail', { hasText: '无需寄送：由证书助手在原USB Key上办理' }).waitFor();
            assert.equal(await page.locator('input[name="shipping"]').count(), 0);
            assert.match(await page.locator('#bank-memo-hint').innerText(), /USB Key的PIN码不变/);
            /* nothing changed yet: said on the page, nothing saved */
            await page.click('#apply-next');
            await page.locator('.err[data-for="org_name"]', { hasText: '变更后的信息与原证书相同' }).waitFor();
            await a11y.check(page, '录入信息, nothing changed');
            assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${serial}'`), '0');
            await page.fill('input[name="org_name"]', NEW_ORG);
            await page.fill('input[name="bank_account_name"]', NEW_ORG);
            await page.fill('input[name="invoice_title"]', NEW_ORG);
            await page.fill('input[name="legal_name"]', '赵六');
            await page.fill('input[name="bank_account"]', freshAccount());
            await shot('03-form');
            await page.click('#apply-next');
            await page.waitForURL(/\/jieyang\/change\/print\?id=\d+$/);
            const id = new URL(page.url()).searchParams.get('id');
            await page.locator('#change-items tr[data-field="org_name"] .after', { hasText: NEW_ORG }).waitFor();
            assert.equal(await page.textContent('#change-items tr[data-field="org_name"] .before'), ORG);
            assert.equal(await page.textContent('#amount'), '100.00元');
            await a11y.check(page, '证书变更申请表');
            await shot('04-print');
            await page.click('#print-next');
            await page.waitForURL(/\/jieyang\/change\/upload\?id=\d+$/);
            await a11y.check(page, '上传资料');
            for (const kind of ['application', 'license', 'change_proof']) {
                const row = page.locator(`tr[data-kind="${kind}"]`);
                await row.locator('input[type="file"]').setInputFiles(tmpFile(`${kind}.pdf`, kind === 'application' ? JPEG : PDF));
                await row.locator('button[type="submit"]').click();
                await page.locator(`tr[data-kind="${kind}"] .state`).filter({ hasText: '已上传' }).waitFor();
            }
            await a11y.check(page, '上传资料, uploaded');
            await page.click('#upload-next');
            await page.waitForURL(/\/jieyang\/change\/identity\?id=\d+$/);
            await a11y.check(page, '在线认证');

            const link = await page.locator('#mobile-link').getAttribute('href');
            const ph = await newPage(problems, { viewport: { width: 390, height: 844 }, isMobile: true });
            others.push(ph.ctx);
            await ph.page.goto(new URL(link, HALL).href);
            await a11y.check(ph.page, 'phone: 身份证照片');
            await ph.page.locator('input[name="front"]').setInputFiles(tmpFile('f.jpg',
                Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${o.form.agent_name}|${o.form.agent_ric}\n`)])));
            await ph.page.locator('input[name="back"]').setInputFiles(tmpFile('b.jpg',
                Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2016-01-01|2036-01-01')])));
            await ph.page.locator('#ocr button[type="submit"]').click();
            await ph.page.locator('#liveness').waitFor();
            await a11y.check(ph.page, 'phone: 活体认证');
            await ph.page.locator('input[name="media"]').setInputFiles(tmpFile('v.mp4', JPEG));
            await ph.page.locator('#liveness button[type="submit"]').click();
            await ph.page.locator('#mobile-passed').waitFor();
            await a11y.check(ph.page, 'phone: 认证通过');
            a11y.assertAllChecked(ph.page);

            await page.locator('#identity-next:not([hidden])').waitFor({ timeout: 15000 });
            await page.click('#identity-next');
            await page.waitForURL(/\/pay\?id=\d+$/);
            assert.equal(await page.textContent('#amount'), '100.00元');
            assert.match(await page.textContent('#delivery'), /^不邮寄（由证书助手在原USB Key上办理/);
            await a11y.check(page, '缴费');
            await page.check('input[name="channel"][value="wechat"]');
            /* WeChat Pay Native: the trade's code_url as a QR code on the hall's page */
            await Promise.all([page.waitForURL(/\/jieyang\/pay\?id=\d+&qr=wechat$/), page.click('#pay-online-submit')]);
            await page.locator('#pay-qr svg').waitFor();
            await a11y.check(page, '缴费, WeChat QR code');
            const code = await page.locator('#pay-qr').getAttribute('data-code-url');
            /* the phone that scans it: the sandbox's page of the code_url */
            const payer = await page.context().newPage();
            await payer.goto(`${SANDBOX}/pay/page/${code.match(/pr=(\d+)$/)[1]}`);
            assert.equal(await payer.textContent('#amount'), '￥100.00', 'the fee shown is the fee charged');
            a11y.notOurs(payer); /* the gateway's page (sandbox) */
            await payer.click('#confirm');
            await payer.locator('#status').waitFor();
            await payer.close();
            /* the QR page notices the payment by itself and moves on */
            await page.locator('#pay-qr').waitFor({ state: 'detached', timeout: 30000 });
            await page.locator('#pay-pending').waitFor({ state: 'detached', timeout: 30000 });
            await waitStatus(id, 'review');
            assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${serial}'`), 'issued', 'not revoked before');

            /* the reviewer: 变更对照, then the approval */
            const rv = await newPage(problems);
            others.push(rv.ctx);
            await staffSignInPage(rv.page, 'reviewer', 'Reviewer2026demo',
                { check: (name) => a11y.check(rv.page, name) });
            await a11y.check(rv.page, 'staff console');
            await rv.page.goto(`${HALL}/admin/order?id=${id}`);
            const cmp = rv.page.locator('#change-compare tr[data-field="org_name"]');
            assert.equal(await cmp.locator('.before').textContent(), ORG);
            assert.match(await cmp.locator('.after').textContent(), new RegExp(NEW_ORG));
            assert.equal(await rv.page.locator('#change-compare tr[data-changed]').count(), 2);
            await a11y.check(rv.page, 'staff: 变更对照');
            await rv.page.screenshot({ path: path.join(ARTIFACTS, 'change-05-review.png'), fullPage: true });
            await rv.page.click('#approve');
            await rv.page.locator('#order-status', { hasText: '成功受理' }).waitFor();
            await a11y.check(rv.page, 'staff: change accepted');
            a11y.assertAllChecked(rv.page);
            /* the operator's 制作证书 makes it (none without it, sql/162) */
            const made = await (await operator()).post('/admin/pki/issue', { id });
            assert.equal(made.status, 200, made.text);
            const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);

            /* 我的证书: the new name, the old one replaced */
            await page.goto(`${HALL}/jieyang/center/certs`);
            await a11y.check(page, '我的证书');
            const row = (s) => page.locator(`tr:has(#serial-${s})`);
            assert.match(await row(fresh).textContent(), new RegExp(NEW_ORG));
            assert.match(await row(serial).textContent(), /已吊销[\s\S]*已被替代/);
            assert.equal(await row(serial).locator('a.cert-change').count(), 0);
            await shot('06-mycerts');
            a11y.assertAllChecked(page);
            assert.deepEqual(problems, []);
        } catch (e) {
            await shot('failed').catch(() => {});
            throw e;
        } finally {
            for (const c of others)
                await c.close();
            await ctx.close();
        }
    });
