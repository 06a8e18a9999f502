'use strict';
/*
 * One journey in headless Chromium through nginx: an organisation's 新办 on
 * a project whose price is 0 (shipping 到付).  After the identity check the
 * 缴费 page offers no payment and says none is needed, the unit's
 * micro-deposit arrives (金融认证成功, 待认证), the agent types the memo's
 * code, and the 缴费 page says the order is 待审核 with nothing to pay.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, freshPhone, HALL } = require('../integ/lib/client');
const {
    psql, orgForm, freshAccount, throughIdentity, waitStatus, lastTransfer, memoCode,
} = require('../integ/lib/payflow');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const PRODUCT = "partner_code = 'jieyang' AND business_type = 'new' AND cert_type = 'org'";

test('zero_fee_journey__no_payment_offered__micro_deposit_code__to_review', async () => {
    const was = psql(`SELECT price_per_year_fen FROM products WHERE ${PRODUCT}`);
    psql(`UPDATE products SET price_per_year_fen = 0 WHERE ${PRODUCT}`);
    const browser = await launchChromium();
    try {
        const c = await applicant();
        const form = orgForm({ bank_account: freshAccount(), agent_mobile: freshPhone('137'), invoice: 'no' });
        const { id, next } = await throughIdentity(c, form);
        const ctx = await browser.newContext();
        await signIn(ctx, c);
        const page = await ctx.newPage();
        a11y.track(page);
        const errors = [];
        page.on('console', (m) => {
            if (m.type() === 'error')
                errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(String(e)));

        await page.goto(`${HALL}${next}`);
        assert.equal(await page.textContent('#amount'), '0.00元');
        assert.match(await page.textContent('#hint'), /^该业务单费用为0元，无需缴费。/);
        for (const sel of ['#pay-online', '#pay-transfer', '#pay-online-submit'])
            assert.equal(await page.$(sel), null, `no ${sel}: nothing to pay`);
        await a11y.check(page, '缴费, 0 元');

        await waitStatus(id, 'finauth_ok');
        await page.reload();
        assert.equal(await page.getAttribute('#status', 'data-status'), 'finauth_ok');
        assert.match(await page.textContent('#hint'), /^该业务单费用为0元，无需缴费。金融认证打款成功/);
        await Promise.all([page.waitForURL(`${HALL}/finauth?id=${id}`), page.click('#finauth-link')]);
        await a11y.check(page, '金融认证 code entry, 0 元');
        await page.fill('input[name="code"]', memoCode(await lastTransfer(form.bank_account)));
        /* the form posts by fetch, then the page follows the answer's
         * redirect: wait for that page's load before leaving it */
        await Promise.all([page.waitForEvent('load'), page.click('#finauth-code-submit')]);
        await waitStatus(id, 'review');

        await page.goto(`${HALL}/pay?id=${id}`);
        assert.equal(await page.getAttribute('#status', 'data-status'), 'review');
        assert.match(await page.textContent('#hint'), /^该业务单费用为0元，无需缴费，申请单状态为“待审核”/);
        await a11y.check(page, '缴费, 0 元, 待审核');
        a11y.assertAllChecked(page);
        assert.deepEqual(errors, [], 'no console errors (CSP)');
    } finally {
        await browser.close();
        psql(`UPDATE products SET price_per_year_fen = ${was} WHERE ${PRODUCT}`);
    }
});
