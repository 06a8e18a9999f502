'use strict';
/*
 * The primary goes away under the running hall as it does in a failover
 * (docs/operations.md, "PostgreSQL high availability"), on the test's one
 * server (near the end: it disturbs the others):
 *   - the server turns read-only under the workers' open connections (a
 *     primary demoted) while a new connection is read-write (the new
 *     primary): a worker that meets the refusal answers busy at most once,
 *     then reconnects; the outbox worker as well, so the codes are sent;
 *   - a worker's connection is reset in the middle of a transaction: that
 *     request answers busy, nothing of it stays, the next ones are served.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const { Client, freshPhone } = require('./lib/client');
const { smsMessages, waitFor } = require('./lib/hall');

const SKIP = !process.env.HALL_PSQL || !process.env.HALL_URL;
const WORKERS = 4; /* workers of each module in the test hall (script/lib/common.sh) */

/* psql as the cluster's superuser (trusted on the socket), one -c per statement */
function su(...queries) {
    const argv = process.env.HALL_PSQL.trim().split(/\s+/);
    const i = argv.indexOf('-U');
    argv[i + 1] = 'postgres';
    const r = spawnSync(argv[0], [...argv.slice(1), '-At', '-v', 'ON_ERROR_STOP=1',
        ...queries.flatMap((q) => ['-c', q])], { encoding: 'utf8' });
    assert.equal(r.status, 0, `psql: ${r.stderr}`);
    return r.stdout.trim();
}

async function send(c, phone) {
    const r = await c.post('/sms/send', { phone, purpose: 'register' });
    assert.ok(r.status === 200 || r.status === 503, `sms/send ${phone}: ${r.status} ${r.text}`);
    if (r.status === 503)
        assert.equal(r.body.message, '系统繁忙，请稍后再试');
    return r.status;
}

/* each phone that was answered 200 gets its one code, each busy one none */
async function ledgerMatches(answers) {
    for (const [phone, status] of answers)
        if (status === 200)
            await waitFor(`the code for ${phone}`, async () => (await smsMessages(phone)).length > 0);
    for (const [phone, status] of answers) {
        const m = await smsMessages(phone);
        assert.equal(m.length, status === 200 ? 1 : 0, `${phone} (answered ${status}): ${m.length} SMS`);
        if (status === 200)
            assert.match(m[0].text, /\d{6}/);
    }
}

test('primary_turns_read_only__at_most_one_busy_answer_per_worker__then_writes_and_codes_resume',
    { skip: SKIP }, async () => {
        const c = new Client();
        await c.get('/register');
        /* every worker holds a connection opened while the server was writable */
        for (let i = 0; i < 2 * WORKERS; i++)
            assert.equal(await send(c, freshPhone('137')), 200);
        /* open connections read-only (the file's setting), new ones of the
         * hall read-write (the role's, which outranks the file's) */
        su("ALTER ROLE hall SET default_transaction_read_only = off",
            "ALTER SYSTEM SET default_transaction_read_only = on", 'SELECT pg_reload_conf()');
        const answers = [];
        try {
            for (let i = 0; i < 8 * WORKERS; i++) {
                const phone = freshPhone('137');
                answers.push([phone, await send(c, phone)]);
            }
        } finally {
            su('SET default_transaction_read_only = off', 'ALTER SYSTEM RESET default_transaction_read_only',
                'SELECT pg_reload_conf()', 'ALTER ROLE hall RESET default_transaction_read_only');
        }
        const busy = answers.filter(([, s]) => s === 503).length;
        assert.ok(busy <= WORKERS, `${busy} busy answers for ${WORKERS} workers: ${JSON.stringify(answers)}`);
        assert.deepEqual(answers.slice(-4 * WORKERS).map(([, s]) => s), Array(4 * WORKERS).fill(200),
            'served again once each worker reconnected');
        /* the outbox worker reconnected too: every acknowledged code is sent, once */
        await ledgerMatches(answers);
    });

test('connection_reset_mid_transaction__that_request_busy__nothing_kept__next_ones_served',
    { skip: SKIP }, async () => {
        const c = new Client();
        await c.get('/register');
        const argv = process.env.HALL_PSQL.trim().split(/\s+/);
        /* a session of ours holds the codes' table: the send waits inside its transaction */
        const locker = spawn(argv[0], [...argv.slice(1), '-At'], { stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        locker.stdout.on('data', (d) => { out += d; });
        locker.stdin.write("BEGIN;\nLOCK TABLE sms_codes IN EXCLUSIVE MODE;\nSELECT 'locked';\n");
        const victim = freshPhone('135');
        let pending;
        try {
            await waitFor('the lock', async () => out.includes('locked'));
            pending = c.post('/sms/send', { phone: victim, purpose: 'register' });
            let pid = '';
            await waitFor('the send waiting on the lock', async () => {
                /* the account worker's backend, not another's that meets the
                 * lock (hall-outbox's, sending the codes of the test before) */
                pid = su(`SELECT pid FROM pg_stat_activity WHERE usename = 'hall'
                    AND application_name LIKE '%hall-account' AND wait_event_type = 'Lock'
                    AND query NOT LIKE '%LOCK TABLE%' LIMIT 1`);
                return pid !== '';
            });
            assert.equal(su(`SELECT pg_terminate_backend(${pid})`), 't');
            const r = await pending;
            assert.equal(r.status, 503, r.text);
            assert.equal(r.body.message, '系统繁忙，请稍后再试');
        } finally {
            locker.stdin.end('ROLLBACK;\n');
            await new Promise((ok) => locker.on('close', ok));
        }
        /* nothing of it stayed: no code, no 60-second wait for that phone */
        const answers = [[victim, await send(c, victim)]];
        for (let i = 0; i < 2 * WORKERS; i++) {
            const phone = freshPhone('135');
            answers.push([phone, await send(c, phone)]);
        }
        assert.deepEqual(answers.map(([, s]) => s), Array(answers.length).fill(200));
        await ledgerMatches(answers);
    });
