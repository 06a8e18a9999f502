'use strict';
/*
 * The money documents in the order the seeds give (issue 22 §2): the
 * e-invoice after approval, not at payment (seeds 001/002); a refund until
 * the certificate is produced, refused after with the reason; a refund of an
 * invoiced order issues ONE red-letter invoice (红冲) however many clicks
 * and retries, and the applicant gets its link; both shown on the order.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { freshPhone } = require('./lib/client');
const {
    psql, orgForm, waitStatus, sandbox, waitFor, staffLogin, inReview: review, approve,
} = require('./lib/payflow');

function email() {
    return `money-${crypto.randomBytes(5).toString('hex')}@example.com`;
}

/* an organisation order in review, its agent's phone and e-mail fresh */
function inReview(form = orgForm({ agent_mobile: freshPhone('135'), agent_email: email() })) {
    return review(form);
}

async function invoiced(id) {
    return waitFor(`the invoice of order ${id}`, () =>
        psql(`SELECT invoice_no FROM invoices WHERE order_id = ${id}`) || null);
}

async function smsTo(phone, re) {
    const r = await sandbox(`/sandbox/sms?phone=${phone}`);
    return r.body.messages.filter((x) => re.test(x.text));
}

test('invoice__after_approval_not_at_payment', async () => {
    const o = await inReview();
    /* paid and code typed: no invoice queued, none issued */
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE idem_key = 'invoice-${o.id}'`), '0');
    assert.equal((await sandbox(`/sandbox/invoices?order_no=${o.no}`)).body.invoices.length, 0);
    await approve(o.id);
    const no = await invoiced(o.id);
    assert.equal((await sandbox(`/sandbox/invoices?order_no=${o.no}`)).body.invoices.length, 1);
    await waitFor('the invoice SMS', async () =>
        (await smsTo(o.form.agent_mobile, new RegExp(`电子发票已开具，发票号码${no}`))).length === 1);
});

test('refund__after_approval_before_production__red_letter_invoice_once', async () => {
    const o = await inReview();
    await approve(o.id);
    const blue = await invoiced(o.id);
    /* 申请退费 on an accepted order */
    const page = await o.c.get(`/center/order?id=${o.id}`);
    assert.ok(page.text.includes('id="refund"'), 'the refund form is offered after approval');
    const r = await o.c.post('/center/refund', { id: o.id, reason: '项目取消，不再需要证书' });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'refund_requested');
    /* production waits for the decision */
    const op = await staffLogin('operator', 'Operator2026demo');
    await op.get('/admin/pki/production');
    const made = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(made.status, 409, made.text);
    /* two finance clicks at once: one decides */
    const f = await staffLogin('finance', 'Finance2026demo');
    await f.get('/admin/refunds');
    const rid = psql(`SELECT id FROM refunds WHERE order_id = ${o.id} AND kind = 'request'`);
    const clicks = await Promise.all([1, 2].map(() => f.post('/admin/refund/approve', { id: rid })));
    assert.deepEqual(clicks.map((x) => x.status).sort(), [200, 409], clicks.map((x) => x.text).join());
    await waitStatus(o.id, 'refunded');
    const red = await waitFor('the red-letter invoice', () =>
        psql(`SELECT red_invoice_no FROM invoices WHERE order_id = ${o.id} AND red_invoice_no IS NOT NULL`) || null);
    /* the job run again (a worker that died after the provider answered) changes nothing */
    psql(`UPDATE outbox SET status = 'pending', next_attempt_at = now() WHERE idem_key = 'invoice-red-${o.id}'`);
    await waitFor('the job done again', () =>
        psql(`SELECT status FROM outbox WHERE idem_key = 'invoice-red-${o.id}'`) === 'done');
    const inv = (await sandbox(`/sandbox/invoices?order_no=${o.no}`)).body.invoices;
    assert.equal(inv.length, 2, JSON.stringify(inv));
    assert.equal(inv.filter((x) => x.red_of === blue).length, 1, 'one red-letter invoice of the blue one');
    assert.equal(inv.find((x) => x.red_of === blue).invoice_no, red);
    assert.equal(inv.find((x) => x.red_of === blue).amount_fen, -inv.find((x) => x.invoice_no === blue).amount_fen);
    await waitFor('the red-letter SMS', async () =>
        (await smsTo(o.form.agent_mobile, new RegExp(`原电子发票${blue}已红冲，红字发票号码${red}`))).length === 1);
    const mails = (await sandbox(`/sandbox/mail?to=${encodeURIComponent(o.form.agent_email)}`)).body.messages;
    assert.equal(mails.filter((m) => m.text.includes(`红字发票号码${red}`)).length, 1);
    /* the order page shows both */
    const shown = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(shown.text, new RegExp(`id="invoice-link">${blue}</a>`));
    assert.match(shown.text, new RegExp(`id="red-invoice-link">${red}</a>`));
    assert.ok(shown.text.includes('已红冲'));
    /* the provider refuses a second red-letter invoice of the same one */
    const again = await sandbox('/invoice/red', {
        method: 'POST', body: { invoice_no: blue, order_no: o.no, amount_fen: inv.find((x) => x.invoice_no === blue).amount_fen },
    });
    assert.equal(again.status, 409);
});

test('refund__before_the_invoice_issued__no_invoice_no_red_one', async () => {
    const o = await inReview(orgForm({ agent_mobile: freshPhone('135'), agent_email: email() }));
    /* the e-invoice service down: the approval's invoice job waits */
    const down = await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'invoice', mode: 'fail', count: 1000 } });
    assert.equal(down.status, 200, JSON.stringify(down.body));
    try {
        await approve(o.id);
        await waitFor('the invoice job tried', () =>
            Number(psql(`SELECT attempts FROM outbox WHERE idem_key = 'invoice-${o.id}'`)) > 0);
        const r = await o.c.post('/center/refund', { id: o.id, reason: '不需要了' });
        assert.equal(r.status, 200, r.text);
        const f = await staffLogin('finance', 'Finance2026demo');
        await f.get('/admin/refunds');
        const rid = psql(`SELECT id FROM refunds WHERE order_id = ${o.id} AND kind = 'request'`);
        assert.equal((await f.post('/admin/refund/approve', { id: rid })).status, 200);
        await waitStatus(o.id, 'refunded');
    } finally {
        const ok = await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'invoice', mode: 'ok' } });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
    }
    psql(`UPDATE outbox SET next_attempt_at = now() WHERE idem_key = 'invoice-${o.id}'`);
    await waitFor('the invoice job ended', () =>
        psql(`SELECT status FROM outbox WHERE idem_key = 'invoice-${o.id}'`) === 'done');
    assert.match(psql(`SELECT result::text FROM outbox WHERE idem_key = 'invoice-${o.id}'`), /order refunded/);
    assert.equal(psql(`SELECT count(*) FROM invoices WHERE order_id = ${o.id}`), '0');
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE idem_key = 'invoice-red-${o.id}'`), '0');
});

test('refund__after_production__refused_with_the_reason_and_the_page_says_why', async () => {
    const o = await inReview();
    await approve(o.id);
    const op = await staffLogin('operator', 'Operator2026demo');
    await op.get('/admin/pki/production');
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const r = await o.c.post('/center/refund', { id: o.id, reason: '不需要了' });
    assert.equal(r.status, 409);
    assert.match(r.body.message, /证书已制作，不能申请退费/);
    const page = await o.c.get(`/center/order?id=${o.id}`);
    assert.ok(!page.text.includes('id="refund"'), 'no refund form');
    assert.match(page.text, /id="refund-closed">证书已制作，不能申请退费/);
    assert.equal(psql(`SELECT count(*) FROM refunds WHERE order_id = ${o.id}`), '0');
});

test('refund__racing_production__exactly_one_wins', async () => {
    for (let round = 0; round < 3; round++) {
        const o = await inReview();
        await approve(o.id);
        const op = await staffLogin('operator', 'Operator2026demo');
        await op.get('/admin/pki/production');
        const [made, asked] = await Promise.all([
            op.post('/admin/pki/issue', { id: o.id }),
            o.c.post('/center/refund', { id: o.id, reason: '并发测试' }),
        ]);
        const status = psql(`SELECT status FROM orders WHERE id = ${o.id}`);
        const certs = psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        const refunds = psql(`SELECT count(*) FROM refunds WHERE order_id = ${o.id}`);
        if (made.status === 200) {
            assert.equal(asked.status, 409, asked.text);
            assert.equal(status, 'issued');
            assert.equal(certs, '1');
            assert.equal(refunds, '0');
        } else {
            assert.equal(made.status, 409, made.text);
            assert.equal(asked.status, 200, asked.text);
            assert.equal(status, 'refund_requested');
            assert.equal(certs, '0');
            assert.equal(refunds, '1');
        }
    }
});
