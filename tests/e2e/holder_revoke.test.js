'use strict';
/*
 * 撤销 in headless Chromium through nginx: 我的证书 → 撤销 → the page (the
 * certificate, the warning, the 补办 order under way and what becomes of
 * it) → a reason → 获取验证码 (to the account's phone) → a wrong code named
 * under its field → the right one → 确认撤销 → 我的证书 shows it 已吊销 with
 * the reason.  axe checks every page and state; screenshots go to
 * tests/e2e/artifacts/holder-revoke-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, SANDBOX } = require('../integ/lib/client');
const { operator, acceptedByTransfer, psql } = require('../integ/lib/pki');
const { unpaidOrder, orgForm, freshAccount } = require('../integ/lib/payflow');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
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

async function newestCode(phone, seen) {
    for (let i = 0; i < 100; i++) {
        const j = await (await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}`)).json();
        const m = (j.messages || []).find((x) => !seen.has(x.id) && /验证码是\d{6}/.test(x.text));
        if (m)
            return m.text.match(/验证码是(\d{6})/)[1];
        await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`no code reached ${phone}`);
}

test('holder revoke: 我的证书 → 撤销 → reason → 获取验证码 → wrong code → 确认撤销 → 已吊销', { skip: SKIP }, async () => {
    const problems = [];
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    /* a 补办 of it under way, not paid yet */
    const pending = await unpaidOrder(o.c, { form: orgForm({ bank_account: freshAccount() }) });
    psql(`UPDATE orders SET business_type = 'reissue', reissue_of = '${serial}' WHERE id = ${pending.id}`);
    const pendingNo = psql(`SELECT order_no FROM orders WHERE id = ${pending.id}`);
    /* the registration code was a moment ago: the 60 s between two codes */
    psql(`UPDATE sms_codes SET created_at = created_at - interval '61 seconds'
        WHERE phone_idx = (SELECT u.phone_idx FROM users u JOIN orders o ON o.user_id = u.id WHERE o.id = ${o.id})`);

    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        /* the wrong code answers 400 on purpose */
        if (r.status() >= 500 || r.status() === 404)
            problems.push(`${r.status()} ${r.url()}`);
    });
    await signIn(ctx, o.c);
    const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `holder-revoke-${n}.png`), fullPage: true });
    try {
        await page.goto(`${HALL}/center/certs`);
        const row = page.locator(`#certs tr[data-serial="${serial}"]`);
        await row.getByRole('link', { name: '撤销' }).click();
        await page.waitForURL(new RegExp(`/center/cert/revoke\\?serial=${serial}$`));
        await a11y.check(page, '撤销证书');
        assert.match(await page.locator('#revoke-warning').textContent(), /撤销后不能恢复/);
        assert.match(await page.locator(`#revoke-orders tr[data-order="${pendingNo}"]`).textContent(),
            /介质遗失补办[\s\S]*待支付[\s\S]*自动取消/);
        await shot('01-page');

        await page.getByRole('radio', { name: /停止使用/ }).check();
        const seen = new Set(((await (await fetch(`${SANDBOX}/sandbox/sms?phone=${o.c.phone}`)).json())
            .messages || []).map((m) => m.id));
        await page.getByRole('button', { name: '获取验证码' }).click();
        await page.locator('#revoke-form [data-ok]', { hasText: '验证码已发送至' }).waitFor();
        const code = await newestCode(o.c.phone, seen);

        /* a wrong code: said under the field, nothing revoked */
        await page.getByRole('textbox', { name: /短信验证码/ }).fill(code === '000000' ? '111111' : '000000');
        await page.getByRole('button', { name: '确认撤销' }).click();
        await page.locator('#revoke-form .err[data-for="code"]', { hasText: '短信验证码不正确' }).waitFor();
        await a11y.check(page, '撤销证书, wrong code');
        await shot('02-wrong-code');
        assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${serial}'`), 'issued');

        await page.getByRole('textbox', { name: /短信验证码/ }).fill(code);
        await page.getByRole('button', { name: '确认撤销' }).click();
        await page.waitForURL(/\/center\/certs$/);
        await a11y.check(page, '我的证书 after 撤销');
        assert.match(await row.locator('td.status').textContent(), /已吊销[\s\S]*吊销（停止使用）/);
        assert.equal(await row.getByRole('link', { name: '撤销' }).count(), 0);
        await shot('03-revoked');
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${pending.id}`), 'cancelled');
        a11y.assertAllChecked(page);
    } finally {
        await ctx.close();
    }
    assert.deepEqual(problems, []);
});
