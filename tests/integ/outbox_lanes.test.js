'use strict';
/*
 * The outbox delivers in lanes, one per provider (hall-outbox): an SMS
 * gateway that hangs holds up only the SMS jobs, while the bank's
 * micro-deposits keep flowing; once the gateway answers again every code
 * arrives, exactly once.
 */

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP, newPhone, sql, sql1, smsMessages, setSmsFault, waitFor, Client } = require('./lib/hall');
const { applicant } = require('./lib/client');
const { unpaidOrder, payOnline, confirmTrade, lastTransfer } = require('./lib/payflow');

after(async () => {
    if (!SKIP)
        await setSmsFault('ok');
});

const maxId = () => Number(sql1('SELECT coalesce(max(id), 0) FROM outbox'));

/* SMS code jobs after o0 (not the e-invoice's SMS the payment queues): attempts, status, and whether a worker holds the row (in flight) */
function smsJobs(o0) {
    return sql(`SELECT o.id, o.status, o.attempts,
                       EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_xid = o.xmax)
                FROM outbox o WHERE o.id > ${o0} AND o.kind = 'sms' AND o.idem_key LIKE 'sms-code-%' ORDER BY o.id`)
        .map((r) => ({ id: Number(r[0]), status: r[1], attempts: Number(r[2]), inFlight: r[3] === 't' }));
}

test('a hung SMS gateway delays only SMS jobs: the bank transfer goes through meanwhile', { skip: SKIP }, async () => {
    /* the organisation and its unpaid order, made before the gateway hangs */
    const c = await applicant();
    const o = await unpaidOrder(c);
    const phones = Array.from({ length: 6 }, () => newPhone('149'));
    const o0 = maxId();
    await setSmsFault('timeout');
    try {
        for (const p of phones) {
            const anon = new Client();
            await anon.page('/login');
            const r = await anon.post('/sms/send', { phone: p, purpose: 'login' });
            assert.equal(r.status, 200, r.text);
        }
        await waitFor('SMS jobs held at the hung gateway', () => smsJobs(o0).some((j) => j.inFlight));

        /* paying queues the micro-deposit: a bank job behind six due SMS jobs */
        const tradeNo = await payOnline(c, o.id);
        await confirmTrade(tradeNo);
        const transfer = await lastTransfer(o.account);
        assert.equal(transfer.amount_fen, 1);
        await waitFor('the order to move on', () =>
            sql1(`SELECT status FROM orders WHERE id = ${o.id}`) === 'finauth_ok');

        /* ... while the SMS gateway still hangs: no SMS job is done, and the
         * bank did not wait for every SMS job to be tried first */
        const jobs = smsJobs(o0);
        assert.equal(jobs.length, phones.length);
        assert.ok(jobs.every((j) => j.status === 'pending'), 'no SMS job done while the gateway hangs');
        const tried = jobs.filter((j) => j.attempts > 0).length;
        assert.ok(tried < phones.length, `the bank job waited for all ${tried} SMS tries`);
        for (const p of phones)
            assert.equal((await smsMessages(p)).length, 0);
    } finally {
        await setSmsFault('ok');
    }

    /* the gateway is back: each code arrives once (retries after the hung tries give up) */
    await waitFor('every SMS job done', () => smsJobs(o0).every((j) => j.status === 'done'),
        { timeoutMs: 90000, intervalMs: 250 });
    for (const p of phones) {
        const msgs = await smsMessages(p);
        assert.equal(msgs.length, 1, 'exactly one SMS per code');
        assert.match(msgs[0].text, /^【深圳CA】您的验证码是\d{6}/);
    }
});
