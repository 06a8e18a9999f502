'use strict';
/*
 * Alipay's asynchronous notification as Alipay publishes its checks (异步通知,
 * docs/operations.md "The providers' rules"): a verified notification is
 * believed only for our app_id, our seller_id, one of our out_trade_no and
 * its total_amount; one that moves no money (WAIT_BUYER_PAY, TRADE_CLOSED)
 * is answered "success" once recorded, or Alipay sends it again for about
 * 25 hours; a notification sent again with its first notify_time, however
 * late, is taken, and its copies pay once.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const { psql, personForm, unpaidOrder, orderStatus, payOnline, sendAliCallback } = require('./lib/payflow');

/* a Hunan natural person's unpaid order (700.00) with an Alipay trade open */
async function aliTrade() {
    const c = await applicant();
    const o = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
    await payOnline(c, o.id, 'alipay', '/hunan');
    const out = psql(`SELECT out_trade_no FROM payments WHERE order_id = ${o.id} ORDER BY attempt DESC LIMIT 1`);
    return { id: o.id, good: { out_trade_no: out, trade_no: `2026${Date.now()}${Math.floor(Math.random() * 1000)}`, total_amount: '700.00' } };
}

function payment(id) {
    return psql(`SELECT status || '|' || callbacks FROM payments WHERE order_id = ${id} ORDER BY attempt DESC LIMIT 1`);
}

test('alipay_notification__signed_but_another_seller_id__refused_order_stays_unpaid', async () => {
    const { id, good } = await aliTrade();
    for (const seller of ['2088000000000009', '']) {
        const r = await sendAliCallback({ ...good, seller_id: seller });
        assert.equal(r.status, 400, `seller_id '${seller}': ${r.text}`);
        assert.notEqual(r.text, 'success');
    }
    const none = await sendAliCallback(good, { omit: 'seller_id' });
    assert.equal(none.status, 400, `no seller_id: ${none.text}`);
    assert.equal(orderStatus(id), 'unpaid');
    assert.equal(payment(id), 'created|0');
    /* our seller: paid */
    const ok = await sendAliCallback(good);
    assert.equal(ok.text, 'success');
    assert.equal(orderStatus(id), 'review');
});

test('alipay_notification__wait_buyer_pay_and_trade_closed__success_recorded_nothing_moves', async () => {
    const { id, good } = await aliTrade();
    for (const st of ['WAIT_BUYER_PAY', 'TRADE_CLOSED']) {
        const r = await sendAliCallback({ ...good, trade_status: st });
        assert.equal(r.status, 200, `${st}: ${r.text}`);
        assert.equal(r.text, 'success', st);
    }
    assert.equal(orderStatus(id), 'unpaid');
    assert.equal(payment(id), 'created|2', 'both counted, the payment unchanged');
    /* acknowledged only when it checks out: not ours, another amount, another seller, forged */
    const bad = [
        ['unknown trade', await sendAliCallback({ ...good, trade_status: 'TRADE_CLOSED', out_trade_no: 'N000-1' })],
        ['other amount', await sendAliCallback({ ...good, trade_status: 'TRADE_CLOSED', total_amount: '0.01' })],
        ['other seller', await sendAliCallback({ ...good, trade_status: 'TRADE_CLOSED', seller_id: '2088000000000009' })],
        ['forged', await sendAliCallback({ ...good, trade_status: 'TRADE_CLOSED' }, { sign: Buffer.alloc(256, 1).toString('base64') })],
        ['unknown status', await sendAliCallback({ ...good, trade_status: 'TRADE_PENDING' })],
    ];
    for (const [name, r] of bad) {
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        assert.notEqual(r.text, 'success', name);
    }
    assert.equal(payment(id), 'created|2');
    /* the payment that follows still pays */
    assert.equal((await sendAliCallback(good)).text, 'success');
    assert.equal(orderStatus(id), 'review');
    /* and a closing notification after it changes nothing */
    assert.equal((await sendAliCallback({ ...good, trade_status: 'TRADE_CLOSED' })).text, 'success');
    assert.equal(orderStatus(id), 'review');
    assert.equal(payment(id), 'paid|4', 'the two before, the payment, the closing one');
});

test('alipay_notification__resent_hours_later_with_its_first_notify_time__paid_once', async () => {
    const { id, good } = await aliTrade();
    /* Alipay's retries run 4m, 10m, 10m, 1h, 2h, 6h, 15h after the first */
    const first = new Date(Date.now() - 3 * 3600e3 - 24 * 60e3);
    const rs = await Promise.all(Array.from({ length: 6 }, () => sendAliCallback(good, { at: first })));
    for (const r of rs) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, 'success');
    }
    assert.equal(orderStatus(id), 'review');
    assert.equal(psql(`SELECT count(*) || '|' || sum(callbacks) FROM payments WHERE order_id = ${id} AND status = 'paid'`), '1|6');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}' AND to_state = 'review'`), '1');
    /* a day later still: acknowledged, nothing doubled */
    const late = await sendAliCallback(good, { at: new Date(Date.now() - 25 * 3600e3) });
    assert.equal(late.text, 'success');
    assert.equal(payment(id), 'paid|7');
});
