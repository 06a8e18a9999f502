'use strict';
/*
 * The staff console's back-office tools through nginx: an order's whole
 * timeline from the audit log (every state change, who, when), finance
 * unlocking a financial authentication locked after five wrong codes, and
 * finance sending a dead outbox job again; both audited, both refused to
 * other roles.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant, freshPhone } = require('./lib/client');
const {
    psql, orgForm, unpaidOrder, waitStatus, payOnline, confirmTrade, lastTransfer, memoCode,
    sandbox, waitFor,
} = require('./lib/payflow');
const { staffSignIn } = require('./lib/staff');

async function staff(login, password) {
    const c = new Client();
    const r = await staffSignIn(c, login, password);
    assert.equal(r.status, 200, r.text);
    await c.get('/admin'); /* the staff session's form token */
    return c;
}

const finance = () => staff('finance', 'Finance2026demo');
const reviewer = () => staff('reviewer', 'Reviewer2026demo');

function wrongCode(code) {
    return String((Number(code) + 1) % 1000000).padStart(6, '0');
}

/* an organisation order paid online; its micro-deposit made */
async function paidOrder(form = orgForm({ agent_mobile: freshPhone('134') })) {
    const c = await applicant();
    const o = await unpaidOrder(c, { form });
    await confirmTrade(await payOnline(c, o.id));
    await waitStatus(o.id, 'finauth_ok');
    return { c, ...o };
}

test('admin_timeline__every_state_change_with_who_and_when', async () => {
    const o = await paidOrder();
    /* the code typed, the order approved: the e-invoice (seeds: 审核通过后) */
    assert.equal((await o.c.post('/finauth/code', { id: o.id, code: memoCode(await lastTransfer(o.account)) })).status, 200);
    const rv = await reviewer();
    await rv.get(`/admin/order?id=${o.id}`);
    assert.equal((await rv.post('/admin/order/approve', { id: o.id })).status, 200);
    await waitFor('the invoice', () => psql(`SELECT count(*) FROM invoices WHERE order_id = ${o.id}`) === '1');
    const f = await finance();
    const r = await f.getJSON(`/admin/order?id=${o.id}`);
    assert.equal(r.status, 200);
    const h = r.body.history;
    for (const e of h)
        assert.match(e.at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const line = (e) => `${e.who}|${e.action_label}|${e.from_label}|${e.to_label}`;
    const lines = h.map(line);
    assert.equal(lines[0], '申请人|创建业务单||填写中');
    /* the state changes in order, each with who made it */
    const moves = h.filter((e) => e.action === 'status').map(line);
    assert.deepEqual(moves.slice(-4, -2), [
        '微信支付|状态变更|待支付|金融认证中',
        '系统（银行打款）|状态变更|金融认证中|金融认证成功',
    ]);
    assert.match(moves[moves.length - 1], /\|状态变更\|待审核\|成功受理$/);
    const inv = h.find((e) => e.action === 'invoice_issued');
    assert.ok(inv, 'the invoice is in the timeline');
    assert.equal(inv.who, '系统（电子发票）');
    assert.equal(inv.ref, psql(`SELECT invoice_no FROM invoices WHERE order_id = ${o.id}`));
    /* every audit row of the order is there, none dropped */
    assert.equal(h.length, Number(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order'
        AND entity_id = '${o.id}'`)));
    const page = await f.get(`/admin/order?id=${o.id}`);
    assert.match(page.text, /<td>微信支付<\/td><td>状态变更<\/td><td>待支付 → 金融认证中<\/td>/);
});

test('admin_finauth_unlock__finance_only_audited_code_accepted_again', async () => {
    const o = await paidOrder();
    const code = memoCode(await lastTransfer(o.account));
    for (let i = 0; i < 5; i++)
        assert.equal((await o.c.post('/finauth/code', { id: o.id, code: wrongCode(code) })).status, 400);
    assert.equal((await o.c.post('/finauth/code', { id: o.id, code })).status, 423);

    const rv = await reviewer();
    assert.equal((await rv.post('/admin/finauth/unlock', { id: o.id })).status, 403);
    assert.equal(psql(`SELECT result FROM finauth_attempts WHERE order_id = ${o.id}`), 'locked');

    const f = await finance();
    const page = await f.get(`/admin/order?id=${o.id}`);
    assert.match(page.text, /id="unlock"/);
    /* two finance clicks at once: one unlocks, the other finds nothing locked */
    const clicks = await Promise.all([f.post('/admin/finauth/unlock', { id: o.id }),
        f.post('/admin/finauth/unlock', { id: o.id })]);
    assert.deepEqual(clicks.map((x) => x.status).sort(), [200, 409]);
    assert.equal(psql(`SELECT result || '|' || tries FROM finauth_attempts WHERE order_id = ${o.id}`), 'sent|0');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${o.id}'
        AND action = 'finauth_unlock' AND actor = 'staff:' || (SELECT id FROM staff WHERE login = 'finance')`), '1');
    const h = (await f.getJSON(`/admin/order?id=${o.id}`)).body.history;
    const u = h.find((e) => e.action === 'finauth_unlock');
    assert.equal(u.who, '工作人员 finance');
    assert.equal(u.action_label, '解锁金融认证');

    const ok = await o.c.post('/finauth/code', { id: o.id, code });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'review');
    assert.equal((await f.post('/admin/finauth/unlock', { id: o.id })).status, 409);
});

test('admin_outbox_retry__dead_job_sent_again_once_audited_finance_only', async () => {
    const phone = freshPhone('134');
    /* the SMS gateway is down: the job fails and, after its attempts, is dead */
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'sms', mode: 'fail', count: 1000 } });
    let id;
    try {
        const reg = new Client();
        await reg.get('/register');
        assert.equal((await reg.post('/sms/send', { phone, purpose: 'register' })).status, 200);
        id = await waitFor('the failing SMS job', () => psql(`SELECT id FROM outbox WHERE kind = 'sms'
            AND attempts >= 1 AND last_error IS NOT NULL AND status = 'pending'
            AND created_at > now() - interval '1 minute' ORDER BY id DESC LIMIT 1`) || null);
        /* as if its attempts were used up (12 with backoff: too long for a test) */
        psql(`UPDATE outbox SET status = 'dead', attempts = 12 WHERE id = ${id}`);
    } finally {
        await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'sms', mode: 'ok' } });
    }
    const rv = await reviewer();
    assert.equal((await rv.getJSON('/admin/outbox')).status, 403);
    /* the menu: finance's has 失败的外部调用 on every page, a reviewer's not */
    assert.doesNotMatch((await rv.get('/admin/review')).text, /id="nav-outbox"/);
    assert.equal((await rv.post('/admin/outbox/retry', { id })).status, 403);
    assert.equal(psql(`SELECT status FROM outbox WHERE id = ${id}`), 'dead');

    const f = await finance();
    const list = await f.getJSON('/admin/outbox');
    assert.equal(list.status, 200);
    const job = list.body.jobs.find((j) => String(j.id) === String(id));
    assert.ok(job, 'the dead job is listed');
    assert.equal(job.kind, 'sms');
    assert.match(job.last_error, /503/);
    assert.ok(!JSON.stringify(list.body).includes(phone), 'no payload (phone) shown');
    const page = await f.get('/admin/outbox');
    assert.match(page.text, /重新发送/);
    for (const p of ['/admin/finance', '/admin/refunds', '/admin/approvals'])
        assert.match((await f.get(p)).text, /<a href="\/admin\/outbox" id="nav-outbox">失败的外部调用<\/a>/, p);

    const clicks = await Promise.all([1, 2, 3].map(() => f.post('/admin/outbox/retry', { id })));
    assert.deepEqual(clicks.map((x) => x.status).sort(), [200, 409, 409]);
    await waitFor('the retried SMS', () => psql(`SELECT status FROM outbox WHERE id = ${id}`) === 'done');
    const sms = (await sandbox(`/sandbox/sms?phone=${phone}`)).body.messages;
    assert.equal(sms.length, 1, 'delivered once');
    assert.equal(psql(`SELECT count(*) || '|' || min(from_state) || '|' || min(to_state) FROM audit_log
        WHERE entity = 'outbox' AND entity_id = '${id}' AND action = 'retry'
        AND actor = 'staff:' || (SELECT id FROM staff WHERE login = 'finance')`), '1|dead|pending');
    assert.equal((await f.post('/admin/outbox/retry', { id })).status, 409);
});

test('admin_outbox_retry__unknown_job_is_404_not_409', async () => {
    const f = await finance();
    const max = Number(psql('SELECT coalesce(max(id), 0) FROM outbox'));
    const r = await f.post('/admin/outbox/retry', { id: max + 1000000 });
    assert.equal(r.status, 404, r.text);
    assert.match(r.body.message, /任务不存在/);
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'outbox'
        AND entity_id = '${max + 1000000}'`), '0');
});
