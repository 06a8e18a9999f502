'use strict';
/*
 * After a provider outage the outbox recovers at once (issue 51 §5): each
 * failed SMS job waits 2^attempts s (at most 300) before its next try, but
 * the first job delivered on the lane ends the wait of every job waiting on
 * it, so a login code asked during the outage arrives as soon as the
 * provider answers again, not up to five minutes later; with no new job to
 * find it out, the lane's probe (one waiting job tried every outbox_probe_s,
 * no attempt counted when it fails) notices the provider back.  A code that
 * is no longer valid by then (expired, used, replaced) is not sent at all.
 *
 * The outage is made twice: by the sandbox's fault control (the provider
 * answering 503), and as it happens outside (issue 51, "Done when"), with
 * the provider gone: the SMS accounts pointed at a proxy of the test's own
 * in front of the sandbox, which is killed (connections refused, those open
 * cut) and started again, or which cuts each connection once the provider
 * has answered, so the answer is lost after the SMS went out.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { SKIP, newPhone, sql, sql1, smsMessages, setSmsFault, waitFor, Client } = require('./lib/hall');

after(async () => {
    if (!SKIP)
        await setSmsFault('ok');
});

/* a TCP proxy in front of the sandbox: 'pass' forwards, 'cut' forwards the
 * request and cuts the connection when the answer comes (the provider
 * acted, the hall never hears it); kill() closes it and every connection
 * (refused until start() again on the same port) */
class Provider {
    constructor() {
        this.mode = 'pass';
        this.socks = new Set();
        this.upstream = Number(new URL(process.env.HALL_SANDBOX_URL).port);
    }

    start(port = 0) {
        this.server = net.createServer((down) => {
            const up = net.connect(this.upstream, '127.0.0.1');
            this.socks.add(down);
            this.socks.add(up);
            const end = () => { down.destroy(); up.destroy(); this.socks.delete(down); this.socks.delete(up); };
            down.on('error', end).on('close', end);
            up.on('error', end).on('close', end);
            down.pipe(up);
            up.on('data', (b) => {
                if (this.mode === 'cut')
                    end();
                else
                    down.write(b);
            });
        });
        return new Promise((res) => this.server.listen(port, '127.0.0.1', () => {
            this.port = this.server.address().port;
            res(this);
        }));
    }

    kill() {
        for (const s of this.socks)
            s.destroy();
        this.socks.clear();
        return new Promise((res) => this.server.close(() => res()));
    }
}

/* the SMS accounts that use the sandbox sent through p, for the length of fn */
async function through(p, fn) {
    const names = sql("SELECT name FROM provider_accounts WHERE service = 'sms' AND endpoint IS NULL").map((r) => r[0]);
    assert.ok(names.length >= 1, 'an SMS account on the sandbox');
    const list = names.map((n) => `'${n}'`).join(',');
    sql(`UPDATE provider_accounts SET endpoint = 'http://127.0.0.1:${p.port}' WHERE name IN (${list})`);
    try {
        return await fn();
    } finally {
        sql(`UPDATE provider_accounts SET endpoint = NULL WHERE name IN (${list})`);
    }
}

/* a login code asked for phone p: its outbox job's id */
async function askCode(p) {
    const o0 = Number(sql1('SELECT coalesce(max(id), 0) FROM outbox'));
    const c = new Client();
    await c.page('/login');
    const r = await c.post('/sms/send', { phone: p, purpose: 'login' });
    assert.equal(r.status, 200, r.text);
    return Number(sql1(`SELECT min(id) FROM outbox WHERE id > ${o0} AND kind = 'sms' AND idem_key LIKE 'sms-code-%'`));
}

const job = (id) => {
    const [status, attempts, result] = sql(`SELECT status, attempts, coalesce(result->>'skipped', '')
        FROM outbox WHERE id = ${id}`)[0];
    return { status, attempts: Number(attempts), skipped: result };
};

test('outbox__provider_back__codes_held_in_backoff_go_with_the_first_success', { skip: SKIP }, async () => {
    const held = [newPhone('147'), newPhone('147')];
    const ids = [];
    await setSmsFault('fail');
    try {
        for (const p of held)
            ids.push(await askCode(p));
        await waitFor('both jobs failed once', () => ids.every((id) => job(id).attempts >= 1));
        /* as after a long outage: the next try minutes away */
        sql(`UPDATE outbox SET next_attempt_at = now() + interval '250 seconds' WHERE id IN (${ids.join(',')})`);
    } finally {
        await setSmsFault('ok');
    }
    /* a new code is sent at once; its delivery frees the lane's waiting jobs */
    const fresh = newPhone('147');
    await askCode(fresh);
    await waitFor('the new code', async () => (await smsMessages(fresh)).length === 1);
    /* well before the 250 s their backoff had left */
    await waitFor('the held codes delivered', () => ids.every((id) => job(id).status === 'done'), { timeoutMs: 30000 });
    for (const p of held) {
        const msgs = await smsMessages(p);
        assert.equal(msgs.length, 1, 'one SMS per code');
        assert.match(msgs[0].text, /验证码是\d{6}/);
    }
});

test('outbox__provider_back_with_no_new_sms__held_codes_go_within_the_probe', { skip: SKIP, timeout: 90000 }, async () => {
    const held = [newPhone('147'), newPhone('147')];
    const ids = [];
    await setSmsFault('fail');
    try {
        for (const p of held)
            ids.push(await askCode(p));
        await waitFor('both jobs failed once', () => ids.every((id) => job(id).attempts >= 1));
        /* as after a long outage: the next try minutes away */
        sql(`UPDATE outbox SET next_attempt_at = now() + interval '250 seconds' WHERE id IN (${ids.join(',')})`);
        /* still away: the lane's probes fail, and they cost the codes no try */
        const tries = ids.map((id) => job(id).attempts);
        const t0 = sql1('SELECT clock_timestamp()');
        const probes = () => Number(sql1(`SELECT count(*) FROM outbox_lanes WHERE lane = 'sms' AND probed_at > '${t0}'`));
        await waitFor('the lane probed', () => probes() === 1, { timeoutMs: 30000 });
        sql(`UPDATE outbox_lanes SET probed_at = '-infinity' WHERE lane = 'sms'`);
        await waitFor('the lane probed again', () => probes() === 1, { timeoutMs: 30000 });
        assert.deepEqual(ids.map((id) => job(id).attempts), tries, 'a failed probe is no attempt');
        for (const id of ids)
            assert.equal(job(id).status, 'pending');
    } finally {
        await setSmsFault('ok');
    }
    /* the provider back, and nobody asks for another SMS: the codes still go
     * while they are valid, not 250 s later */
    await waitFor('the held codes delivered', () => ids.every((id) => job(id).status === 'done'), { timeoutMs: 40000 });
    for (const p of held) {
        const msgs = await smsMessages(p);
        assert.equal(msgs.length, 1, 'one SMS per code');
        assert.match(msgs[0].text, /验证码是\d{6}/);
    }
});

test('outbox__code_expired_while_held__not_sent', { skip: SKIP }, async () => {
    const p = newPhone('147');
    let id;
    await setSmsFault('fail');
    try {
        id = await askCode(p);
        await waitFor('the job failed once', () => job(id).attempts >= 1);
        /* its validity passes while the provider is down */
        const code = Number(sql1(`SELECT substr(idem_key, 10) FROM outbox WHERE id = ${id}`));
        sql(`UPDATE sms_codes SET expires_at = now() - interval '1 second' WHERE id = ${code}`);
    } finally {
        await setSmsFault('ok');
    }
    await waitFor('the job ended', () => job(id).status === 'done', { timeoutMs: 30000 });
    assert.equal(job(id).skipped, 'the code was no longer valid');
    assert.equal((await smsMessages(p)).length, 0, 'no SMS for a code nobody can enter');
    assert.equal(Number(sql1(`SELECT count(*) FROM outbox_sms_tries WHERE outbox_id = ${id}`)), 0,
        'the count of its calls ends with the job');
});

test('outbox__provider_killed_then_back__codes_asked_meanwhile_go_with_the_first_success', { skip: SKIP, timeout: 90000 }, async (t) => {
    const p = await new Provider().start();
    t.after(() => p.kill());
    await through(p, async () => {
        /* it works through the proxy */
        const first = newPhone('147');
        await askCode(first);
        await waitFor('a code through the proxy', async () => (await smsMessages(first)).length === 1);
        /* the provider gone: connections refused */
        await p.kill();
        const held = [newPhone('147'), newPhone('147')];
        const ids = [];
        for (const ph of held)
            ids.push(await askCode(ph));
        await waitFor('both jobs failed on the refused connection', () => ids.every((id) => job(id).attempts >= 1));
        for (const id of ids)
            assert.equal(job(id).status, 'pending', `job ${id} kept for another try`);
        /* as after a long outage: the next try minutes away */
        sql(`UPDATE outbox SET next_attempt_at = now() + interval '250 seconds' WHERE id IN (${ids.join(',')})`);
        await p.start(p.port);
        /* the provider back: a new code goes at once and frees the waiting ones */
        const fresh = newPhone('147');
        await askCode(fresh);
        await waitFor('the new code', async () => (await smsMessages(fresh)).length === 1, { timeoutMs: 30000 });
        await waitFor('the held codes delivered', () => ids.every((id) => job(id).status === 'done'), { timeoutMs: 30000 });
        for (const ph of held) {
            const msgs = await smsMessages(ph);
            assert.equal(msgs.length, 1, 'one SMS per code');
            assert.match(msgs[0].text, /验证码是\d{6}/);
        }
    });
});

test('outbox__provider_answer_cut_after_it_sent__one_sms_not_two', { skip: SKIP, timeout: 90000 }, async (t) => {
    const p = await new Provider().start();
    t.after(() => p.kill());
    await through(p, async () => {
        p.mode = 'cut';
        const ph = newPhone('147');
        const id = await askCode(ph);
        await waitFor('the SMS out while its answer was lost', async () => (await smsMessages(ph)).length === 1);
        await waitFor('the job tried again', () => job(id).attempts >= 1);
        p.mode = 'pass';
        sql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${id} AND status = 'pending'`);
        await waitFor('the job ended', () => job(id).status === 'done', { timeoutMs: 30000 });
        assert.equal((await smsMessages(ph)).length, 1, 'the provider asked first: the code sent once');
    });
});
