'use strict';
/*
 * After a provider outage the outbox recovers at once (issue 51 §5): each
 * failed SMS job waits 2^attempts s (at most 300) before its next try, but
 * the first job delivered on the lane ends the wait of every job waiting on
 * it, so a login code asked during the outage arrives as soon as the
 * provider answers again, not up to five minutes later.  A code that is no
 * longer valid by then (expired, used, replaced) is not sent at all.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP, newPhone, sql, sql1, smsMessages, setSmsFault, waitFor, Client } = require('./lib/hall');

after(async () => {
    if (!SKIP)
        await setSmsFault('ok');
});

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
});
