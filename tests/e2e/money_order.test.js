'use strict';
/*
 * The order page's money documents in headless Chromium (issue 22 §2): a
 * refunded order shows its e-invoice and its red-letter invoice, each a
 * link that opens; a produced order says why it can no longer be refunded.
 * axe checks both pages.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL, freshPhone } = require('../integ/lib/client');
const {
    psql, orgForm, waitStatus, waitFor, staffLogin, inReview, approve,
} = require('../integ/lib/payflow');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const SKIP = !process.env.HALL_URL;
let browser;

before(async () => {
    if (!SKIP)
        browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

function form() {
    return orgForm({ agent_mobile: freshPhone('135'), agent_email: `e2e-${crypto.randomBytes(4).toString('hex')}@example.com` });
}

test('order page: e-invoice and red-letter invoice; refund closed once produced', { skip: SKIP }, async () => {
    /* one order refunded after approval, one produced */
    const refunded = await inReview(form());
    await approve(refunded.id);
    await waitFor('the invoice', () => psql(`SELECT count(*) FROM invoices WHERE order_id = ${refunded.id}`) === '1');
    assert.equal((await refunded.c.post('/center/refund', { id: refunded.id, reason: '项目取消' })).status, 200);
    const f = await staffLogin('finance', 'Finance2026demo');
    await f.get('/admin/refunds');
    const rid = psql(`SELECT id FROM refunds WHERE order_id = ${refunded.id} AND kind = 'request'`);
    assert.equal((await f.post('/admin/refund/approve', { id: rid })).status, 200);
    await waitStatus(refunded.id, 'refunded');
    const red = await waitFor('the red-letter invoice', () =>
        psql(`SELECT red_invoice_no FROM invoices WHERE order_id = ${refunded.id} AND red_invoice_no IS NOT NULL`) || null);
    const made = await inReview(form());
    await approve(made.id);
    const op = await staffLogin('operator', 'Operator2026demo');
    await op.get('/admin/pki/production');
    assert.equal((await op.post('/admin/pki/issue', { id: made.id })).status, 200);

    for (const [o, check] of [[refunded, async (page) => {
        const blue = psql(`SELECT invoice_no FROM invoices WHERE order_id = ${refunded.id}`);
        assert.equal((await page.textContent('#invoice-link')).trim(), blue);
        assert.match(await page.textContent('#invoice'), /已红冲/);
        assert.equal((await page.textContent('#red-invoice-link')).trim(), red);
        const href = await page.getAttribute('#red-invoice-link', 'href');
        const doc = await (await fetch(href)).text();
        assert.match(doc, /红字发票/);
        assert.ok(doc.includes(blue), 'the red-letter invoice names the one it reverses');
    }], [made, async (page) => {
        assert.match(await page.textContent('#refund-closed'), /证书已制作，不能申请退费/);
        assert.equal(await page.locator('#refund').count(), 0);
    }]]) {
        const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        await signIn(context, o.c);
        const page = await context.newPage();
        a11y.track(page);
        try {
            await page.goto(`${HALL}/center/order?id=${o.id}`);
            await check(page);
            await a11y.check(page, `业务单详情 ${o.id}`);
            a11y.assertAllChecked(page);
        } finally {
            await context.close();
        }
    }
});
