'use strict';
/*
 * SMS codes reach the SMS gateway (the sandbox) only through the outbox:
 * queued in the transaction that makes the code, delivered by hall-outbox
 * with the job's key as OutId, retried while the gateway fails, and
 * neither lost nor sent twice when a worker dies in the middle of a call
 * (SendSms has no idempotency key: the retry asks QuerySendDetails first).
 *
 * The worker that gets killed is one this file starts itself (with its own
 * application_name, to tell its database session apart); the worker
 * script/test started is left alone.
 */

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {
    SKIP, HALL_VAR, HALL_CONF, HALL_ROOT, Client, processFamily, newPhone, sendCode, sql, sql1,
    smsMessages, smsStats, setSmsFault, waitFor, alive,
} = require('./lib/hall');

const VICTIM_APP = 'integ-outbox-victim';
const started = [];

after(async () => {
    if (SKIP)
        return;
    await setSmsFault('ok');
    for (const child of started) {
        if (alive(child.pid))
            child.kill('SIGKILL');
    }
});

const maxId = (table) => Number(sql1(`SELECT coalesce(max(id), 0) FROM ${table}`));

/* outbox rows after id, oldest first: {id, kind, idem_key, status, attempts, last_error, provider_id} */
function outboxAfter(id) {
    return sql(`SELECT id, kind, idem_key, status, attempts, coalesce(last_error, ''),
                       coalesce(result->>'provider_id', '')
                FROM outbox WHERE id > ${id} ORDER BY id`).map((r) => ({
        id: Number(r[0]), kind: r[1], idem_key: r[2], status: r[3], attempts: Number(r[4]),
        last_error: r[5], provider_id: r[6],
    }));
}

/* asks for a code; returns the HTTP answer (the code is not waited for) */
async function askCode(phone, purpose = 'login') {
    const c = new Client();
    await c.page('/login');
    return c.post('/sms/send', { phone, purpose });
}

test('a code is queued as one outbox job, encrypted, and delivered with the job\'s key', { skip: SKIP }, async () => {
    const phone = newPhone('150');
    const o0 = maxId('outbox');
    const s0 = maxId('sms_codes');
    const c = new Client();
    const code = await sendCode(c, phone, 'login');

    const rows = sql(`SELECT s.id, o.idem_key, o.kind
                      FROM sms_codes s, outbox o WHERE s.id > ${s0} AND o.id > ${o0}`);
    assert.equal(rows.length, 1, 'one code, one outbox job');
    const [sid, key, kind] = rows[0];
    assert.equal(kind, 'sms');
    assert.equal(key, `sms-code-${sid}`);

    /* the job holds the phone and the text only encrypted */
    assert.equal(sql1(`SELECT position(convert_to('${phone}', 'UTF8') IN payload_enc) = 0
                         AND position(convert_to('${code}', 'UTF8') IN payload_enc) = 0
                       FROM outbox WHERE idem_key = '${key}'`), 't');

    /* what the gateway got is that job: same key, and the job records the gateway's id */
    const [job] = await waitFor('the job to be done', () => {
        const r = outboxAfter(o0);
        return r.length === 1 && r[0].status === 'done' ? r : null;
    });
    const msgs = await smsMessages(phone);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0].idempotency_key, key);
    assert.equal(msgs[0].sign, '深圳CA');
    assert.match(msgs[0].text, /^【深圳CA】您的验证码是\d{6}，5分钟内有效。/);
    assert.equal(job.provider_id, msgs[0].id);
    assert.equal(job.attempts, 1);

    /* a refused request queues nothing */
    const soon = await c.post('/sms/send', { phone, purpose: 'login' });
    assert.equal(soon.status, 429);
    assert.equal(maxId('outbox'), job.id, 'no job for a refused request');
    assert.equal(maxId('sms_codes'), Number(sid), 'no code for a refused request');
});

test('a code whose SMS cannot be queued does not exist either', { skip: SKIP }, async () => {
    const phone = newPhone('152');
    const o0 = maxId('outbox');
    const s0 = maxId('sms_codes');
    /* the outbox refuses SMS jobs for a moment (NOT VALID: old rows are not checked) */
    sql(`ALTER TABLE outbox ADD CONSTRAINT integ_no_sms CHECK (kind <> 'sms') NOT VALID`);
    let r;
    try {
        r = await askCode(phone);
    } finally {
        sql('ALTER TABLE outbox DROP CONSTRAINT integ_no_sms');
    }
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.message, '系统繁忙，请稍后再试');
    assert.equal(maxId('sms_codes'), s0, 'no code was kept');
    assert.equal(maxId('outbox'), o0);
    /* so the user may try again at once: no 60 s wait for a code never sent */
    const again = await askCode(phone);
    assert.equal(again.status, 200, again.text);
    await waitFor('the SMS', async () => (await smsMessages(phone)).length === 1);
});

test('while the gateway fails the codes wait; after it recovers each is sent exactly once', { skip: SKIP }, async () => {
    const phones = [newPhone('151'), newPhone('151'), newPhone('151')];
    const o0 = maxId('outbox');
    try {
        await setSmsFault('fail');
        for (const p of phones) {
            const r = await askCode(p);
            /* the user is not told about the gateway: the request succeeds */
            assert.equal(r.status, 200, r.text);
        }
        /* every job was tried and failed, nothing reached a phone */
        const failed = await waitFor('a failed attempt on every job', () => {
            const rows = outboxAfter(o0);
            return rows.length === phones.length && rows.every((j) => j.attempts >= 1) ? rows : null;
        });
        for (const j of failed) {
            assert.equal(j.status, 'pending');
            assert.equal(j.last_error, 'sms: http 503 ServiceUnavailable (sandbox fault: fail)');
        }
        for (const p of phones)
            assert.equal((await smsMessages(p)).length, 0);
    } finally {
        await setSmsFault('ok');
    }

    /* retries use a growing backoff (1 s, 2 s, 4 s...): allow for it */
    const done = await waitFor('every job done after the recovery', () => {
        const rows = outboxAfter(o0);
        return rows.every((j) => j.status === 'done') ? rows : null;
    }, { timeoutMs: 60000, intervalMs: 200 });
    assert.equal(done.length, phones.length);
    const stats = await smsStats();
    for (const p of phones) {
        const msgs = await smsMessages(p);
        assert.equal(msgs.length, 1, 'exactly one SMS per code');
        const job = done.find((j) => j.idem_key === msgs[0].idempotency_key);
        assert.ok(job, 'the SMS is one of the jobs');
        assert.equal(job.provider_id, msgs[0].id);
        assert.ok(job.attempts >= 2, 'the gateway was called more than once for it');
        assert.equal(stats.by_key[job.idem_key], 1, 'SendSms went through once: the failed calls were refused');
    }
});

/* an outbox worker of our own, whose database session is named VICTIM_APP */
function startVictim() {
    const conf = path.join(HALL_VAR, `${VICTIM_APP}.conf`);
    const base = fs.readFileSync(HALL_CONF, 'utf8');
    const lines = base.split('\n').filter((l) => /^\s*db_conninfo\s*=/.test(l));
    assert.ok(lines.length > 0, 'hall.conf has a db_conninfo');
    const conninfo = lines[lines.length - 1].replace(/^\s*db_conninfo\s*=\s*/, '');
    /* later lines win: the same settings, another application_name */
    fs.writeFileSync(conf, `${base}\ndb_conninfo = ${conninfo} application_name=${VICTIM_APP}\n`);
    const log = fs.openSync(path.join(HALL_VAR, 'log', `${VICTIM_APP}.log`), 'a');
    const child = spawn(path.join(HALL_ROOT, 'tools', 'outbox', 'hall-outbox'), ['-c', conf],
        { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    started.push(child);
    return child;
}

/* the hall's own outbox worker: its master (run/outbox.pid) and its lanes */
function hallOutboxPids() {
    return processFamily('outbox');
}

function signalAll(pids, sig) {
    for (const pid of pids) {
        try {
            process.kill(pid, sig);
        } catch { /* gone */ }
    }
}

/* does the victim's transaction hold the lock on outbox row id? */
function victimHolds(id) {
    return sql1(`SELECT count(*) FROM pg_stat_activity a, outbox o
                 WHERE o.id = ${id} AND a.application_name = '${VICTIM_APP}'
                   AND a.backend_xid = o.xmax AND o.status = 'pending'`) === '1';
}

test('a worker killed in the middle of a call loses nothing and sends nothing twice', { skip: SKIP }, async (t) => {
    const victim = startVictim();
    await waitFor('the extra worker to connect', () =>
        sql1(`SELECT count(*) FROM pg_stat_activity WHERE application_name = '${VICTIM_APP}'`) !== '0');

    const o0 = maxId('outbox');
    const phones = [];
    let killed = null;
    const { duplicates: dup0, queries: q0 } = await smsStats();
    /* the hall's own worker is paused (SIGSTOP) while the code is asked, so
     * the extra worker takes the job: left to a race between the two, a
     * loaded machine once gave every job to the hall's worker for 90 s */
    const paused = hallOutboxPids();
    signalAll(paused, 'SIGSTOP');
    try {
        /* a slow gateway: it acts at once and answers 4 s later */
        await setSmsFault('delay', { delay_ms: 4000 });
        /*
         * One code at a time, so that at most one job is in flight: either
         * worker may take it.  When the extra worker has it and the gateway
         * has acted, kill -9 the worker before the answer comes.
         */
        const deadline = Date.now() + 90000;
        while (killed === null) {
            assert.ok(Date.now() < deadline, 'the extra worker never took a job');
            const phone = newPhone('158');
            phones.push(phone);
            const r = await askCode(phone);
            assert.equal(r.status, 200, r.text);
            const [job] = outboxAfter(maxId('outbox') - 1);
            await waitFor('the job taken by a worker and sent', async () => {
                if (victimHolds(job.id) && (await smsMessages(phone)).length === 1) {
                    victim.kill('SIGKILL');
                    killed = job;
                    return true;
                }
                return outboxAfter(job.id - 1)[0].status === 'done';
            }, { timeoutMs: 30000, intervalMs: 20 });
        }
        await waitFor('the killed worker to be gone', () => !alive(victim.pid));
        assert.equal(outboxAfter(killed.id - 1)[0].status, 'pending', 'killed before it could finish');
        t.diagnostic(`the extra worker took code ${phones.length} of ${phones.length}`);
    } finally {
        signalAll(paused, 'SIGCONT');
        await setSmsFault('ok');
    }

    /* the other worker takes the job again with the same key: the gateway answers from its record */
    const rows = await waitFor('every job done', () => {
        const r = outboxAfter(o0);
        return r.length === phones.length && r.every((j) => j.status === 'done') ? r : null;
    }, { timeoutMs: 60000, intervalMs: 200 });
    const stats = await smsStats();
    for (const p of phones)
        assert.equal((await smsMessages(p)).length, 1, 'exactly one SMS per code');
    const job = rows.find((j) => j.id === killed.id);
    /* SendSms has no idempotency key: the other worker asked the provider
     * (QuerySendDetails) whether the job's OutId went out, and sent nothing */
    assert.equal(stats.by_key[job.idem_key], 1, 'SendSms called once, by the killed worker');
    assert.equal(stats.duplicates, dup0, 'no SMS sent twice');
    assert.ok(stats.queries > q0, 'the other worker asked the provider first');
    assert.equal(job.attempts, 1, 'the killed attempt left no trace in the job');
    const [msg] = await smsMessages(phones[phones.length - 1]);
    assert.equal(msg.idempotency_key, job.idem_key, 'OutId is the job\'s key');
    assert.equal(sql1(`SELECT result->>'found' FROM outbox WHERE id = ${job.id}`), 'sent by an earlier attempt');
});
