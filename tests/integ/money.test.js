'use strict';
/*
 * Money paths with concurrent clients (issue 7, item 1): one live trade per
 * order, cashier pages that can no longer pay once abandoned, and money
 * that arrives twice anyway refunded through the outbox without anyone
 * asking, shown to the applicant as 已退还多付款项.
 *
 * The gateway's close API can be switched off (sandbox fault service
 * "pay_close") to reproduce the race the close cannot win: both cashier
 * pages confirmed before the close reaches the gateway.
 */
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const {
    psql, orgForm, personForm, confirmTrade, unpaidOrder, orderStatus, waitStatus, waitFor, sandbox,
    payOnline, upload, PNG, staffLogin,
} = require('./lib/payflow');

afterEach(async () => {
    for (const service of ['pay_close', 'pay_notify'])
        await sandbox('/sandbox/faults', { method: 'POST', body: { service, mode: 'ok' } });
});

function confirm(tradeNo) {
    return sandbox(`/pay/page/${tradeNo}/confirm`, { method: 'POST', body: {} });
}

/* what the gateway kept of the applicant's money over these trades */
async function netCharged(trades) {
    let net = 0;
    for (const t of trades) {
        const r = (await sandbox(`/sandbox/pay/${t}`)).body;
        if (r.status === 'SUCCESS' || r.status === 'REFUND')
            net += r.amount_fen - r.refunded_fen;
    }
    return net;
}

async function history(c, id) {
    const r = await c.get(`/center/order?id=${id}`);
    assert.equal(r.status, 200);
    return r.text.slice(r.text.indexOf('id="history"'));
}

function noInternalCodes(text) {
    for (const code of ['payment_surplus', 'surplus_refunded', 'pay_online', 'pay_close', 'pay_refund'])
        assert.ok(!text.includes(code), `the applicant never sees "${code}"`);
}

test('money_two_tabs__alipay_then_wechat_confirmed_at_once__charged_once', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const tabs = [await payOnline(c, id, 'alipay'), await payOnline(c, id, 'wechat')];
    const [a, w] = await Promise.all(tabs.map(confirm));
    assert.equal(a.status, 409, 'the first tab\'s cashier was closed when the second opened');
    assert.equal(w.status, 200);
    await waitStatus(id, 'finauth_ok');
    assert.equal(await netCharged(tabs), 60000);
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id} AND status = 'paid'`), '1');
    assert.equal(psql(`SELECT count(*) FROM refunds WHERE order_id = ${id}`), '0');
});

test('money_two_tabs__close_lost__both_paid__surplus_refunded_once_and_shown', async () => {
    const c = await applicant();
    const { id, form } = await unpaidOrder(c);
    /* the gateway's close API is down: both cashier pages stay payable */
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay_close', mode: 'fail' } });
    const tabs = [await payOnline(c, id, 'alipay'), await payOnline(c, id, 'wechat')];
    const both = await Promise.all(tabs.map(confirm));
    assert.deepEqual(both.map((x) => x.status), [200, 200], 'both tabs charged at the gateway');
    await waitStatus(id, 'finauth_ok');
    /* the second payment to arrive is the surplus, refunded by the outbox */
    await waitFor('surplus refunded', () =>
        psql(`SELECT status FROM refunds WHERE order_id = ${id} AND kind = 'surplus'`) === 'done');
    assert.equal(await netCharged(tabs), 60000, 'the applicant paid once in the end');
    const refunded = [];
    for (const t of tabs)
        refunded.push((await sandbox(`/sandbox/pay/${t}`)).body.refunds.length);
    assert.deepEqual(refunded.sort(), [0, 1], 'exactly one refund at the gateway');
    assert.equal(orderStatus(id), 'finauth_ok', 'the order goes on; nothing to pay again');
    const h = await history(c, id);
    assert.ok(h.includes('已退还多付款项'), h);
    noInternalCodes(h);
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    const sms = await waitFor('refund SMS', async () => {
        const r = await sandbox(`/sandbox/sms?phone=${form.agent_mobile}`);
        return r.body.messages.find((m) => m.text.includes(orderNo));
    });
    assert.equal(sms.text.indexOf(`【深圳CA】您好，您的业务单${orderNo}重复支付的600.00元已原路退还`), 0,
        sms.text);
    /* the job ran once, whatever the retries of the outbox */
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE kind = 'pay_refund' AND idem_key =
        (SELECT 'refund-' || id FROM refunds WHERE order_id = ${id})`), '1');
});

test('money_three_parallel_clicks__one_trade', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const rs = await Promise.all([1, 2, 3].map(() => c.post('/pay/online', { id, channel: 'wechat' })));
    for (const r of rs)
        assert.equal(r.status, 200, r.text);
    const urls = new Set(rs.map((r) => r.body.redirect));
    assert.equal(urls.size, 1, 'the three clicks lead to the same cashier page');
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '1');
});

test('money_parallel_clicks_on_both_channels__at_most_one_payable_trade', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const rs = await Promise.all(['wechat', 'alipay', 'wechat', 'alipay', 'wechat', 'alipay']
        .map((channel) => c.post('/pay/online', { id, channel })));
    for (const r of rs)
        assert.ok(r.status === 200 || r.status === 409, `${r.status} ${r.text}`);
    /* WeChat's trades exist at the gateway (their code_url names them);
     * an Alipay trade exists once its page is opened: payable while ours */
    const wx = psql(`SELECT coalesce(string_agg(substring(pay_url from 'pr=([0-9]+)$'), ','), '') FROM payments
        WHERE order_id = ${id} AND method = 'wechat' AND pay_url IS NOT NULL`).split(',').filter(Boolean);
    let open = Number(psql(`SELECT count(*) FROM payments WHERE order_id = ${id} AND method = 'alipay'
        AND status = 'created' AND pay_url IS NOT NULL`));
    for (const t of wx)
        if ((await sandbox(`/sandbox/pay/${t}`)).body.status === 'NOTPAY')
            open++;
    assert.ok(open <= 1, `${open} payable trades at the gateways`);
    assert.ok(Number(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}
        AND status = 'created'`)) <= 1);
});

test('money_cashier_confirmed_after_acceptance__not_charged', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const t = await payOnline(c, id, 'wechat');
    /* the applicant paid by transfer instead; the order was accepted later */
    const r = await upload(c, '/pay/transfer', { id }, { bytes: PNG, name: 'v.png', type: 'image/png' });
    assert.equal(r.status, 200, r.text);
    psql(`UPDATE orders SET status = 'accepted' WHERE id = ${id}`);
    const late = await confirm(t);
    assert.equal(late.status, 409, 'the abandoned cashier page cannot charge');
    assert.equal(await netCharged([t]), 0);
    assert.equal(psql(`SELECT status FROM payments WHERE order_id = ${id} AND method = 'wechat'`),
        'closed');
});

test('money_cashier_confirmed_after_acceptance__close_lost__refunded', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay_close', mode: 'fail' } });
    const t = await payOnline(c, id, 'wechat');
    const r = await upload(c, '/pay/transfer', { id }, { bytes: PNG, name: 'v.png', type: 'image/png' });
    assert.equal(r.status, 200, r.text);
    psql(`UPDATE orders SET status = 'accepted' WHERE id = ${id}`);
    assert.equal((await confirm(t)).status, 200);
    await waitFor('surplus refunded', () =>
        psql(`SELECT status FROM refunds WHERE order_id = ${id}`) === 'done');
    assert.equal(await netCharged([t]), 0);
    assert.equal(orderStatus(id), 'accepted');
    const h = await history(c, id);
    assert.ok(h.includes('已退还多付款项'));
    noInternalCodes(h);
});

/* issue 7, item 5: the same 录入信息 form sent 20 times at once */
test('new_apply__same_form_20_parallel_submits__one_order', async () => {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    const a = await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const page = await c.get('/new/apply?project=jieyang');
    const key = page.text.match(/name="submit_key" value="([A-Za-z0-9_-]+)"/)[1];
    const form = { project: 'jieyang', submit_key: key, ...orgForm() };
    const rs = await Promise.all(Array.from({ length: 20 }, () => c.post('/new/apply', form)));
    for (const r of rs)
        assert.equal(r.status, 200, r.text);
    const ids = new Set(rs.map((r) => r.body.redirect.match(/id=(\d+)/)[1]));
    assert.equal(ids.size, 1, 'every submit answers with the same order');
    const [id] = ids;
    const owner = psql(`SELECT user_id FROM orders WHERE id = ${id}`);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${owner}`), '1', 'one order');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'
        AND action = 'create'`), '1');
    /* a new rendering of the form is a new application */
    const again = await c.get('/new/apply?project=jieyang');
    const key2 = again.text.match(/name="submit_key" value="([A-Za-z0-9_-]+)"/)[1];
    assert.notEqual(key2, key);
    const r2 = await c.post('/new/apply', { ...form, submit_key: key2 });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${owner}`), '2');
    /* a forged key is refused, naming the field */
    const bad = await c.post('/new/apply', { ...form, submit_key: 'short' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'submit_key');
});

/* issue 7, item 4: back from 确认支付 before the gateway's callback */
test('pay_return_page__paid_callback_late__confirming_no_second_payment_then_moves_on', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay_notify', mode: 'fail' } });
    const t = await payOnline(c, id, 'alipay');
    assert.equal((await confirm(t)).status, 200);
    const page = await c.get(`/pay?id=${id}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('支付结果确认中'), 'the return page says the result is being confirmed');
    assert.ok(!page.text.includes('立即支付'), 'and offers no second payment');
    assert.ok(!page.text.includes('id="pay-transfer"'), 'not even by transfer');
    assert.ok(page.text.includes(`data-state-url="/pay/state?id=${id}"`), 'it polls');
    let st = await c.getJSON(`/pay/state?id=${id}`);
    assert.deepEqual([st.status, st.body.status, st.body.pending], [200, 'unpaid', true]);
    /* a click on 立即支付 from another tab: refused, nothing opened */
    for (const channel of ['alipay', 'wechat']) {
        const again = await c.post('/pay/online', { id, channel });
        assert.equal(again.status, 409, again.text);
        assert.match(again.body.message, /支付结果确认中，请勿重复支付/);
    }
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id} AND pay_url IS NOT NULL`), '1');
    /* the callback arrives: the page's poll sees the order move on */
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay_notify', mode: 'ok' } });
    const replay = await sandbox(`/sandbox/pay/${t}/callback`, { method: 'POST', body: {} });
    assert.equal(replay.body.results[0].acked, true);
    st = await c.getJSON(`/pay/state?id=${id}`);
    assert.notEqual(st.body.status, 'unpaid');
    assert.equal(st.body.pending, false);
    const after = await c.get(`/pay?id=${id}`);
    assert.ok(!after.text.includes('立即支付'));
    assert.equal(await netCharged([t]), 60000);
});

test('pay_return_page__cashier_cancelled__payment_offered_again', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const t = await payOnline(c, id, 'wechat');
    assert.equal((await sandbox(`/pay/page/${t}/cancel`, { method: 'POST', body: {} })).status, 200);
    const page = await c.get(`/pay?id=${id}`);
    assert.ok(page.text.includes('立即支付'));
    assert.ok(!page.text.includes('支付结果确认中'));
    /* the same channel again: a new trade, the cancelled one is not reused */
    const t2 = await payOnline(c, id, 'wechat');
    assert.notEqual(t2, t);
    assert.equal((await confirm(t2)).status, 200);
    await waitStatus(id, 'finauth_ok');
});

const staff = staffLogin;

/* issue 7, item 2: paid 700 for 2 years, rejected, 编辑 → 5 years */
test('new_edit_after_payment__years_raised__refused_nothing_changed_diff_shows_choices', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
    await confirmTrade(await payOnline(c, id, 'wechat', '/hunan'));
    await waitStatus(id, 'review');
    const reviewer = await staff('reviewer', 'Reviewer2026demo');
    const rej = await reviewer.post('/admin/order/reject', { id, reason: '身份证复印件未加盖公章' });
    assert.equal(rej.status, 200, rej.text);
    assert.equal(orderStatus(id), 'rejected');
    const before = psql(`SELECT form_rev || '|' || amount_fen || '|' || years FROM orders WHERE id = ${id}`);
    assert.equal(before.split('|').slice(1).join('|'), '70000|2');

    await c.get(`/hunan/new/apply?id=${id}`);
    const more = await c.post('/hunan/new/apply', { id, ...personForm({ years: '5' }) });
    assert.equal(more.status, 409, more.text);
    assert.equal(more.body.field, 'years');
    assert.match(more.body.message, /已缴费700\.00元，修改后应缴1750\.00元/);
    assert.equal(psql(`SELECT form_rev || '|' || amount_fen || '|' || years FROM orders WHERE id = ${id}`),
        before, 'nothing changed');

    /* an edit that keeps the amount goes through; the reviewer sees every change */
    const ok = await c.post('/hunan/new/apply', { id, ...personForm({ app_email: 'wang2@example.com' }) });
    assert.equal(ok.status, 200, ok.text);
    const view = await reviewer.getJSON(`/admin/order?id=${id}`);
    assert.equal(view.status, 200);
    const rows = Object.fromEntries(view.body.fields.map((f) => [f.label, f.value]));
    assert.equal(rows['证书年限'], '2年');
    assert.equal(rows['应付金额'], '700.00元');
    assert.equal(rows['证书类型'], '自然人证书');
    assert.deepEqual(view.body.changes.map((x) => x.name).filter((n) => !n.startsWith('choice_') &&
        n !== 'price_total'), ['app_email']);
});
