'use strict';
/*
 * A zero-fee 证书新办 of an organisation through nginx: a project whose
 * price for an organisation's new certificate is 0 (shipping 到付) has
 * nothing to pay, but its unit's account is still proven by the
 * micro-deposit (seed 001's 0元 order at 金融认证成功 / 待认证): when the
 * identity check passes the order goes draft -> finauth_pending (audited
 * via no_fee), the pay page says no payment is needed, the memo's code moves
 * it to review, and the reviewer approves it as a paid one.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, freshPhone } = require('./lib/client');
const {
    psql, freshAccount, orgForm, orderStatus, waitStatus, lastTransfer, memoCode, throughIdentity,
} = require('./lib/payflow');
const { reviewer } = require('./lib/pki');

const PRODUCT = "partner_code = 'jieyang' AND business_type = 'new' AND cert_type = 'org'";

test('zero_fee_org_new__identity_passed__micro_deposit_then_review__pay_page_says_no_payment', async () => {
    const was = psql(`SELECT price_per_year_fen FROM products WHERE ${PRODUCT}`);
    psql(`UPDATE products SET price_per_year_fen = 0 WHERE ${PRODUCT}`);
    try {
        const c = await applicant();
        const form = orgForm({ bank_account: freshAccount(), agent_mobile: freshPhone('137'), invoice: 'no' });
        const { id, next } = await throughIdentity(c, form);
        assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '0', 'nothing to pay');

        /* no payment to wait for: the unit's 金融认证 at once (it stayed 待支付 before) */
        assert.equal(next, `/pay?id=${id}`);
        assert.notEqual(orderStatus(id), 'unpaid', 'a zero-fee order left at 待支付 can never move on');
        assert.equal(psql(`SELECT from_state || '>' || to_state || '|' || (detail->>'via') FROM audit_log
            WHERE entity = 'order' AND entity_id = '${id}' AND action = 'status' AND from_state = 'draft'`),
        'draft>finauth_pending|no_fee');
        let page = await c.get(next);
        assert.equal(page.status, 200);
        /* 金融认证中, or already 金融认证成功 when the outbox was quick */
        assert.match(page.text, /该业务单费用为0元，无需缴费。(深圳CA正在向贵司对公账户打款0\.01元|金融认证打款成功)/);
        assert.doesNotMatch(page.text, /支付成功|确认支付|id="pay-/);
        const online = await c.post('/pay/online', { id, channel: 'wechat' });
        assert.equal(online.status, 409, online.text);

        /* the micro-deposit's memo code, from the unit's finance department */
        await waitStatus(id, 'finauth_ok');
        page = await c.get(`/pay?id=${id}`);
        assert.match(page.text, /该业务单费用为0元，无需缴费。金融认证打款成功/);
        assert.match(page.text, /id="finauth-link"/);
        const tr = await lastTransfer(form.bank_account);
        assert.equal(tr.amount_fen, 1);
        const ok = await c.post('/finauth/code', { id, code: memoCode(tr) });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(psql(`SELECT status || '|' || (review_due IS NOT NULL) FROM orders WHERE id = ${id}`),
            'review|true');
        page = await c.get(`/pay?id=${id}`);
        assert.match(page.text, /该业务单费用为0元，无需缴费，申请单状态为“待审核”/);
        assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '0', 'no payment row');
        /* nothing paid, nothing to pay back: no 申请退费 in 我的业务单 */
        page = await c.get(`/center/order?id=${id}`);
        assert.equal(page.status, 200);
        assert.ok(!page.text.includes('id="refund"'), 'no refund form on the order');
        const list = await c.get('/center/orders?page=1');
        const row = list.text.split('</tr>').find((r) => r.includes(`/center/order?id=${id}"`));
        assert.ok(row, 'the order is listed');
        assert.doesNotMatch(row, /申请退费/);

        const rv = await reviewer();
        const a = await rv.post('/admin/order/approve', { id });
        assert.equal(a.status, 200, a.text);
        assert.equal(orderStatus(id), 'accepted');
    } finally {
        psql(`UPDATE products SET price_per_year_fen = ${was} WHERE ${PRODUCT}`);
    }
});

test('zero_fee_org_new__wrong_account__finauth_failed__retry_as_for_a_paid_order', async () => {
    const was = psql(`SELECT price_per_year_fen FROM products WHERE ${PRODUCT}`);
    psql(`UPDATE products SET price_per_year_fen = 0 WHERE ${PRODUCT}`);
    try {
        const c = await applicant();
        const form = orgForm({ bank_account: freshAccount(true), agent_mobile: freshPhone('137'), invoice: 'no' });
        const { id } = await throughIdentity(c, form);
        await waitStatus(id, 'finauth_failed');
        const page = await c.get(`/pay?id=${id}`);
        assert.match(page.text, /该业务单费用为0元，无需缴费。金融认证失败/);
        const account = freshAccount();
        const r = await c.post('/finauth/retry', {
            id, bank_account_name: form.org_name, bank_branch_id: '19', bank_account: account,
        });
        assert.equal(r.status, 200, r.text);
        await waitStatus(id, 'finauth_ok');
        const ok = await c.post('/finauth/code', { id, code: memoCode(await lastTransfer(account)) });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(orderStatus(id), 'review');
    } finally {
        psql(`UPDATE products SET price_per_year_fen = ${was} WHERE ${PRODUCT}`);
    }
});
