'use strict';
/*
 * PostgreSQL restarts under the running hall (last file: it disturbs the
 * others).  Workers idle at that moment notice it before their next
 * request sends anything (core/store/db.c, idle_conn_lost) and reconnect,
 * so after the restart every request succeeds, writes included.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client, applicant, freshPhone } = require('./lib/client');

const VAR = process.env.HALL_VAR;
const SKIP = !VAR || !process.env.HALL_URL;

function pgCtl(args) {
    const bin = path.join(process.env.HALL_PG_BIN || '/usr/lib/postgresql/15/bin', 'pg_ctl');
    const full = [bin, '-D', path.join(VAR, 'pg'), ...args];
    const r = process.getuid() === 0
        ? spawnSync('runuser', ['-u', process.env.HALL_PG_USER || 'postgres', '--', ...full],
            { encoding: 'utf8', cwd: '/' })
        : spawnSync(full[0], full.slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
}

test('db_restart__idle_workers_reconnect__no_request_fails', { skip: SKIP }, async () => {
    const c = await applicant();
    assert.equal((await c.get('/new?project=jieyang')).status, 200); /* the form token */
    /* every worker of the account and new modules holds a connection */
    for (let i = 0; i < 12; i++) {
        assert.equal((await c.get('/healthz', 'application/json')).status, 200);
        assert.equal((await c.getJSON('/new/divisions')).status, 200);
    }
    pgCtl(['-m', 'fast', '-w', '-t', '60', '-l', path.join(VAR, 'log', 'postgresql.log'), 'restart']);
    /* writes first, on workers idle through the restart: each notices its
     * lost connection before it sends anything, so nothing is in doubt */
    for (let i = 0; i < 12; i++) {
        const a = await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
        assert.equal(a.status, 200, `agree ${i}: ${a.text}`);
    }
    for (let i = 0; i < 12; i++) {
        const h = await c.get('/healthz', 'application/json');
        assert.equal(h.status, 200, `healthz ${i}: ${h.text}`);
        const d = await c.getJSON('/new/divisions');
        assert.equal(d.status, 200, `divisions ${i}`);
    }
    /* the session survived (it is in the database), and writes work */
    const p = await c.get('/account/profile');
    assert.equal(p.status, 200);
    const anon = new Client();
    await anon.get('/register');
    const s = await anon.post('/sms/send', { phone: freshPhone('136'), purpose: 'register' });
    assert.equal(s.status, 200, s.text);
});

test('db_down__healthz_503_and_pages_say_busy__back_when_it_returns', { skip: SKIP }, async () => {
    const c = await applicant();
    pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']);
    try {
        const h = await c.get('/healthz', 'application/json');
        assert.equal(h.status, 503);
        assert.deepEqual(JSON.parse(h.text), { ok: false, database: false });
        const p = await c.getJSON('/center/orders');
        assert.equal(p.status, 503);
        assert.match(p.body.message, /系统繁忙/);
    } finally {
        /* restart on a stopped cluster starts it with the options it had (postmaster.opts) */
        pgCtl(['-m', 'fast', '-w', '-t', '60', '-l', path.join(VAR, 'log', 'postgresql.log'), 'restart']);
    }
    for (let i = 0; i < 8; i++)
        assert.equal((await c.get('/healthz', 'application/json')).status, 200);
    assert.equal((await c.getJSON('/center/orders')).status, 200);
});
