'use strict';
/*
 * 介质遗失补办 in headless Chromium through nginx, from the home page's
 * 业务办理 link: 操作提示, the project, the agreements, 证书选择 (a lower-case
 * serial refused, then the certificate's details), 录入信息 started from the
 * certificate's own order, 迷失补办申请表, uploads, the phone's identity
 * check, 微信支付 on the sandbox cashier, the memo PIN, the reviewer's
 * approval; then the public lookup says the old serial 已吊销.  axe checks
 * every page; screenshots go to tests/e2e/artifacts/reissue-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { HALL, SANDBOX } = require('../integ/lib/client');
const { operator, acceptedByTransfer, psql } = require('../integ/lib/pki');
const { freshAccount, waitStatus, lastTransfer, memoCode } = require('../integ/lib/payflow');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');
const { staffSignInPage } = require('./lib/staff');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 4)]);
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

function tmpFile(name, data) {
    const p = path.join(os.tmpdir(), `hall-e2e-reissue-${process.pid}-${name}`);
    fs.writeFileSync(p, data);
    return p;
}

function watch(page, problems) {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        /* the serial refused on purpose answers 400 */
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

test('reissue: home link → 操作提示 → 协议 → 证书序列号 → 录入信息 → 打印 → 上传 → 认证 → 微信支付 → 审核通过 → old serial revoked',
    { skip: SKIP }, async () => {
        const problems = [];
        /* an issued certificate of this applicant (the certificate store's side) */
        const op = await operator();
        const o = await acceptedByTransfer();
        assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        const { ctx, page } = await newPage(problems);
        await signIn(ctx, o.c);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `reissue-${n}.png`), fullPage: true });
        const staff = [];
        try {
            await page.goto(`${HALL}/`);
            await a11y.check(page, 'home');
            await page.getByRole('link', { name: '介质遗失补办' }).click();
            await page.waitForURL(/\/reissue\/notice$/);
            await a11y.check(page, '操作提示');
            await shot('01-notice');
            await page.locator('#notice-ok').click();
            await page.waitForURL(/\/reissue$/);
            await a11y.check(page, '选择项目');
            await page.locator('#projects a[href$="/reissue?project=hall"]').click();
            await page.waitForURL(/\/reissue\?project=hall$/);
            await a11y.check(page, '协议');
            await page.locator('#agreement-cert_service summary').click();
            await page.locator('#agreement-cert_service .agreement-body').waitFor();
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/reissue\/serial\?project=hall$/);
            await a11y.check(page, '证书选择');

            /* case-sensitive: the lower-case serial is another one */
            await page.fill('#serial', serial.toLowerCase());
            await page.click('#serial-query');
            await page.locator('#serial-error', { hasText: '证书序列号应为16位十六进制数字' }).waitFor();
            assert.equal(await page.getAttribute('#serial', 'aria-invalid'), 'true');
            await a11y.check(page, '证书选择, bad serial');
            await page.fill('#serial', serial);
            await page.click('#serial-query');
            await page.locator('#cert-status', { hasText: '有效' }).waitFor();
            assert.equal(await page.textContent('#cert-org'), '深圳测试科技有限公司');
            assert.equal(await page.textContent('#cert-type'), '机构证书');
            await a11y.check(page, '证书选择, details');
            await shot('02-serial');
            await page.click('#serial-next');
            await page.waitForURL(/\/reissue\/apply\?project=hall&serial=/);
            await a11y.check(page, '录入信息');

            /* started from the certificate's own order; a new basic account */
            assert.equal(await page.inputValue('input[name="org_name"]'), '深圳测试科技有限公司');
            assert.equal(await page.inputValue('input[name="bank_account_name"]'), '深圳测试科技有限公司');
            assert.equal(await page.textContent('#total-amount'), '100.00元');
            await page.locator('#invoice-purpose', { hasText: '介质服务费' }).waitFor();
            const account = freshAccount();
            await page.fill('input[name="bank_account"]', account);
            await page.locator('select[name="mail_district"] option[value="440305"]').waitFor({ state: 'attached' });
            /* a bad value: named on the page, nothing saved */
            await page.fill('input[name="bank_account_name"]', '别的公司有限公司');
            await page.click('#apply-next');
            await page.locator('.err[data-for="bank_account_name"]', { hasText: '基本户名称须与机构名称一致' }).waitFor();
            await a11y.check(page, '录入信息 with an error');
            await shot('03-form-error');
            assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${serial}'`), '0');
            await page.fill('input[name="bank_account_name"]', '深圳测试科技有限公司');
            await page.click('#apply-next');
            await page.waitForURL(/\/reissue\/print\?id=\d+$/);
            const id = new URL(page.url()).searchParams.get('id');
            await page.locator('#print-serial', { hasText: serial }).waitFor();
            assert.equal(await page.textContent('#amount'), '100.00元');
            await a11y.check(page, '迷失补办申请表');
            await shot('04-print');
            await page.click('#print-next');
            await page.waitForURL(/\/reissue\/upload\?id=\d+$/);
            await a11y.check(page, '上传资料');
            for (const kind of ['application', 'license']) {
                const row = page.locator(`tr[data-kind="${kind}"]`);
                await row.locator('input[type="file"]').setInputFiles(tmpFile(`${kind}.jpg`, kind === 'license' ? PDF : JPEG));
                await row.locator('button[type="submit"]').click();
                await page.locator(`tr[data-kind="${kind}"] .state`).filter({ hasText: '已上传' }).waitFor();
            }
            await a11y.check(page, '上传资料, uploaded');
            await shot('05-uploaded');
            await page.click('#upload-next');
            await page.waitForURL(/\/reissue\/identity\?id=\d+$/);
            await a11y.check(page, '在线认证');

            /* the agent on the phone */
            const link = await page.locator('#mobile-link').getAttribute('href');
            const ph = await newPage(problems, { viewport: { width: 390, height: 844 }, isMobile: true });
            staff.push(ph.ctx);
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
            await a11y.check(page, '在线支付');
            await shot('06-pay');
            await page.check('input[name="channel"][value="wechat"]');
            /* WeChat Pay Native: the trade's code_url as a QR code on the hall's page */
            await Promise.all([page.waitForURL(`${HALL}/pay?id=${id}&qr=wechat`), page.click('#pay-online-submit')]);
            await page.locator('#pay-qr svg').waitFor();
            await a11y.check(page, '在线支付, WeChat QR code');
            const code = await page.locator('#pay-qr').getAttribute('data-code-url');
            /* the phone that scans it: the sandbox's page of the code_url */
            const phone = await page.context().newPage();
            await phone.goto(`${SANDBOX}/pay/page/${code.match(/pr=(\d+)$/)[1]}`);
            assert.equal(await phone.textContent('#amount'), '￥100.00', 'the fee shown is the fee charged');
            a11y.notOurs(phone); /* the gateway's page (sandbox) */
            await phone.click('#confirm');
            await phone.locator('#status').waitFor();
            await phone.close();
            /* the QR page notices the payment by itself and moves on */
            await page.locator('#pay-qr').waitFor({ state: 'detached', timeout: 30000 });
            await page.locator('#pay-pending').waitFor({ state: 'detached', timeout: 30000 });
            /* seed 004: paid, straight to review; the PIN's deposit after 审核成功 */
            await waitStatus(id, 'review');
            assert.equal(psql(`SELECT method || '|' || amount_fen FROM payments WHERE order_id = ${id}`), 'wechat|10000');
            await page.goto(`${HALL}/pay?id=${id}`);
            await page.locator('text=深圳CA审核成功后将向申请单位对公账户打款0.01元').waitFor();
            await a11y.check(page, '在线支付, paid');
            assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${id}`), '0');

            /* the reviewer sees the old serial and approves */
            const rv = await newPage(problems);
            staff.push(rv.ctx);
            await staffSignInPage(rv.page, 'reviewer', 'Reviewer2026demo',
                { check: (name) => a11y.check(rv.page, name) });
            await a11y.check(rv.page, 'staff console');
            await rv.page.goto(`${HALL}/admin/order?id=${id}`);
            await rv.page.locator('#form-fields', { hasText: serial }).waitFor();
            await rv.page.locator('#form-fields', { hasText: '原证书序列号' }).waitFor();
            await a11y.check(rv.page, 'staff: reissue order');
            await rv.page.click('#approve');
            await rv.page.locator('#order-status', { hasText: '成功受理' }).waitFor();
            await a11y.check(rv.page, 'staff: reissue accepted');
            await rv.page.screenshot({ path: path.join(ARTIFACTS, 'reissue-07-approved.png'), fullPage: true });
            a11y.assertAllChecked(rv.page);
            /* the operator's 制作证书 makes it (none without it, sql/162) */
            const made = await (await operator()).post('/admin/pki/issue', { id });
            assert.equal(made.status, 200, made.text);
            /* the PIN in the memo of the deposit made after the approval */
            assert.match(memoCode(await lastTransfer(account)), /^\d{6}$/);

            /* the public lookup: the old serial revoked, the new one good */
            const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);
            for (const [s, want] of [[serial, '已吊销'], [fresh, '有效']]) {
                await page.goto(`${HALL}/pki/lookup?serial=${s}`);
                assert.equal((await page.textContent('#lookup-status')).trim(), want, s);
                await a11y.check(page, `证书查询 ${want}`);
            }
            await shot('08-lookup');
            a11y.assertAllChecked(page);
            assert.deepEqual(problems, []);
        } catch (e) {
            await shot('failed').catch(() => {});
            throw e;
        } finally {
            for (const c of staff)
                await c.close();
            await ctx.close();
        }
    });
