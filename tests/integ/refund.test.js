'use strict';
/*
 * Refunds (issue 9): the applicant's 申请退费, finance's queue in the staff
 * console, approval → the gateway's refund through the outbox → 已退费 and
 * the SMS; refusal with a reason → the order back where it was; a corporate
 * transfer paid back by hand; a surplus payment refunded without anyone
 * asking and listed for finance.  Concurrent clicks of finance refund once.
 */
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const {
    psql, personForm, unpaidOrder, orderStatus, waitStatus, waitFor, sandbox, payOnline,
    confirmTrade, upload, PNG, staffLogin,
} = require('./lib/payflow');

afterEach(async () => {
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay_close', mode: 'ok' } });
});

const staff = staffLogin;
const finance = () => staff('finance', 'Finance2026demo');

/* a Hunan natural person's order (700.00 for 2 years) paid online: 待审核 */
async function paidOrder() {
    const c = await applicant();
    const { id, form } = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
    const trade = await payOnline(c, id, 'wechat', '/hunan');
    await confirmTrade(trade);
    await waitStatus(id, 'review');
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    return { c, id, trade, form, orderNo };
}

async function askRefund(c, id, reason = '项目取消，不再需要证书') {
    await c.get(`/center/order?id=${id}`);
    const r = await c.post('/center/refund', { id, reason });
    assert.equal(r.status, 200, r.text);
    assert.equal(orderStatus(id), 'refund_requested');
    return Number(psql(`SELECT id FROM refunds WHERE order_id = ${id} AND kind = 'request'
        ORDER BY id DESC LIMIT 1`));
}

async function smsFor(phone, orderNo, words) {
    return waitFor(`SMS ${words}`, async () => {
        const r = await sandbox(`/sandbox/sms?phone=${phone}`);
        return r.body.messages.find((m) => m.text.includes(orderNo) && m.text.includes(words));
    });
}

test('refund_request_online__finance_approves_5_clicks_at_once__refunded_once_sms', async () => {
    const { c, id, trade, form, orderNo } = await paidOrder();
    const rid = await askRefund(c, id);
    const f = await finance();
    const q = await f.getJSON('/admin/refunds');
    assert.equal(q.status, 200);
    const row = q.body.refunds.find((x) => x.id === rid);
    assert.ok(row, 'the request is in finance\'s queue');
    assert.deepEqual([row.kind, row.status, row.amount, row.method_label, row.reason],
        ['request', 'requested', '700.00', '微信支付', '项目取消，不再需要证书']);
    const page = await f.get('/admin/refunds');
    assert.ok(page.text.includes(orderNo) && page.text.includes('同意退费'));

    const rs = await Promise.all([1, 2, 3, 4, 5].map(() => f.post('/admin/refund/approve', { id: rid })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 409, 409, 409, 409]);
    await waitStatus(id, 'refunded');
    const t = (await sandbox(`/sandbox/pay/${trade}`)).body;
    assert.deepEqual([t.status, t.refunded_fen, t.refunds.length], ['REFUND', 70000, 1]);
    assert.equal(psql(`SELECT status || '|' || (refund_no IS NOT NULL) FROM refunds WHERE id = ${rid}`),
        'done|true');
    const sms = await smsFor(form.app_mobile, orderNo, '退费申请已审核通过');
    assert.equal(sms.text.indexOf(`【深圳CA】您好，您的业务单${orderNo}退费申请已审核通过，700.00元已原路退还`), 0);
    /* audited: who approved, and the move made by the gateway's answer */
    const audit = psql(`SELECT string_agg(action || ':' || actor || ':' || coalesce(to_state, ''), ',' ORDER BY id)
        FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'
        AND (action = 'refund_approved' OR to_state IN ('refund_requested', 'refunded'))`);
    assert.match(audit, /^status:user:\d+:refund_requested,refund_approved:staff:\d+:,status:outbox:pay:refunded$/);
    const center = await c.get(`/center/order?id=${id}`);
    assert.ok(center.text.includes('已退费'));
    assert.ok(!/refund_approved|pay_refund/.test(center.text));
});

test('refund_request__finance_refuses_with_reason__order_back_reason_shown', async () => {
    const { c, id, trade, form, orderNo } = await paidOrder();
    const rid = await askRefund(c, id);
    const f = await finance();
    const none = await f.post('/admin/refund/refuse', { id: rid, reason: '' });
    assert.equal(none.status, 400);
    assert.equal(none.body.field, 'reason');
    const reviewer = await staff('reviewer', 'Reviewer2026demo');
    assert.equal((await reviewer.post('/admin/refund/refuse', { id: rid, reason: 'x' })).status, 403);
    assert.equal(orderStatus(id), 'refund_requested', 'nothing changed by the refused attempts');

    const r = await f.post('/admin/refund/refuse', { id: rid, reason: '证书已进入制作流程' });
    assert.equal(r.status, 200, r.text);
    assert.equal(orderStatus(id), 'review', 'back where it was');
    assert.equal(psql(`SELECT status || '|' || note FROM refunds WHERE id = ${rid}`), 'refused|证书已进入制作流程');
    const page = await c.get(`/center/order?id=${id}`);
    assert.match(page.text, /退费申请未通过<\/dt><dd class="err" id="refund-refused">证书已进入制作流程/);
    await smsFor(form.app_mobile, orderNo, '退费申请未通过，原因：证书已进入制作流程');
    assert.equal((await sandbox(`/sandbox/pay/${trade}`)).body.refunded_fen, 0, 'no money moved');
    assert.equal((await f.post('/admin/refund/approve', { id: rid })).status, 409);
    /* the applicant may ask again */
    const again = await askRefund(c, id, '再次申请');
    assert.notEqual(again, rid);
});

test('refund_request_transfer__approve_needs_note__recorded_as_done_by_hand', async () => {
    const c = await applicant();
    const { id, form } = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
    const up = await upload(c, '/hunan/pay/transfer', { id }, { bytes: PNG, name: 'v.png', type: 'image/png' });
    assert.equal(up.status, 200, up.text);
    const f = await finance();
    assert.equal((await f.post('/admin/transfer/confirm', { id })).status, 200);
    assert.equal(orderStatus(id), 'review');
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    const rid = await askRefund(c, id);
    const bare = await f.post('/admin/refund/approve', { id: rid });
    assert.equal(bare.status, 400);
    assert.equal(bare.body.field, 'note');
    assert.match(bare.body.message, /对公转账的款项不能原路退回/);
    assert.equal(orderStatus(id), 'refund_requested');
    const ok = await f.post('/admin/refund/approve', { id: rid, note: '2026-11-23 工行退回，流水号 1234567890' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(orderStatus(id), 'refunded');
    assert.equal(psql(`SELECT status || '|' || (decided_by LIKE 'staff:%') || '|' || (done_at IS NOT NULL)
        FROM refunds WHERE id = ${rid}`), 'manual|true|true');
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE idem_key = 'refund-${rid}'`), '0',
        'nothing sent to the gateway');
    /* a natural person paid from their own account, not a company's */
    await smsFor(form.app_mobile, orderNo, '退回您的付款账户');
});

test('refund_surplus__paid_twice__refunded_without_asking_listed_for_finance', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay_close', mode: 'fail' } });
    const t1 = await payOnline(c, id, 'alipay', '/hunan');
    const t2 = await payOnline(c, id, 'wechat', '/hunan');
    const both = await Promise.all([t1, t2].map((t) =>
        sandbox(`/pay/page/${t}/confirm`, { method: 'POST', body: {} })));
    assert.deepEqual(both.map((x) => x.status), [200, 200]);
    const rid = await waitFor('surplus refunded', () =>
        psql(`SELECT id FROM refunds WHERE order_id = ${id} AND kind = 'surplus' AND status = 'done'`));
    assert.equal(orderStatus(id), 'review', 'nobody asked, nothing else changed');
    const f = await finance();
    const q = await f.getJSON('/admin/refunds');
    const row = q.body.finished.find((x) => x.id === Number(rid));
    assert.ok(row, 'finance sees the automatic refund');
    assert.deepEqual([row.kind_label, row.status_label, row.amount], ['重复支付（自动退还）', '已退款', '700.00']);
    /* it cannot be decided again */
    assert.equal((await f.post('/admin/refund/approve', { id: rid })).status, 409);
});
