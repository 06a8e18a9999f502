'use strict';
/*
 * One journey in headless Chromium through nginx: an unpaid order is paid
 * with 支付宝 on the sandbox cashier page, the browser comes back to the
 * hall, and the order reaches 金融认证成功 with the 待认证 button.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, HALL } = require('../integ/lib/client');
const { unpaidOrder, waitStatus } = require('../integ/lib/payflow');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

test('pay_journey__alipay_in_the_browser__back_to_the_hall_and_finauth_ok', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const browser = await launchChromium();
    try {
        const ctx = await browser.newContext();
        await signIn(ctx, c);
        const page = await ctx.newPage();
        a11y.track(page);
        const errors = [];
        /* the hall's own pages only: the sandbox has no favicon */
        page.on('console', (m) => {
            if (m.type() === 'error' && (m.location().url || '').startsWith(HALL))
                errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${HALL}/pay?id=${id}`);
        assert.equal(await page.textContent('#amount'), '600.00元');
        await a11y.check(page, '缴费');
        await page.check('input[name="channel"][value="alipay"]');
        await Promise.all([page.waitForURL(/\/pay\/page\/\d+$/), page.click('#pay-online-submit')]);
        assert.equal(await page.textContent('#amount'), '￥600.00');
        a11y.notOurs(page); /* the gateway's cashier page (sandbox) */
        await Promise.all([page.waitForURL(`${HALL}/pay?id=${id}`), page.click('#confirm')]);
        /* back early, the page says 支付结果确认中 and reloads itself once the gateway's
         * callback is in: wait for that, as the applicant would (a goto during the
         * reload is interrupted: debian12 e2e under load) */
        await page.waitForSelector('#pay-pending', { state: 'detached', timeout: 90000 });
        await a11y.check(page, '缴费, back from the gateway');
        await waitStatus(id, 'finauth_ok');
        await page.reload();
        assert.equal(await page.getAttribute('#status', 'data-status'), 'finauth_ok');
        await a11y.check(page, '缴费, paid');
        await Promise.all([page.waitForURL(`${HALL}/finauth?id=${id}`), page.click('#finauth-link')]);
        assert.ok(await page.isVisible('input[name="code"]'));
        await a11y.check(page, '金融认证 code entry');
        a11y.assertAllChecked(page);
        assert.deepEqual(errors, [], 'no console errors (CSP)');
    } finally {
        await browser.close();
    }
});
