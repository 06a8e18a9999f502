'use strict';
/*
 * The process manager of script/server and script/test (supervise in
 * script/lib/common.sh): a process that dies is started again while the
 * rest of the hall keeps serving.  Each kill here is announced in
 * VAR/log/kills.log, so that script/test can tell these restarts from a
 * process that died by itself (that one counts as a failure).
 */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
    SKIP, HALL_VAR, Client, newPhone, sendCode, registerUser, findProcs, alive, waitFor,
} = require('./lib/hall');

/* the master of a program: the one of its processes whose parent is not one of them */
function masterOf(name) {
    const procs = findProcs(name).filter((p) => p.state !== 'Z');
    const pids = new Set(procs.map((p) => p.pid));
    const masters = procs.filter((p) => !pids.has(p.ppid));
    return masters.length === 1 ? masters[0].pid : null;
}

function announceKill(name, pid) {
    fs.appendFileSync(path.join(HALL_VAR, 'log', 'kills.log'), `${name}\n`);
    process.kill(pid, 'SIGKILL');
}

test('the outbox worker killed with SIGKILL comes back and delivers', { skip: SKIP }, async () => {
    const before = masterOf('hall-outbox');
    assert.ok(before, 'one outbox worker for this hall');
    announceKill('outbox', before);
    await waitFor('the killed worker to be gone', () => !alive(before));

    /* meanwhile the hall takes requests: a code asked for now is queued */
    const c = new Client();
    const phone = newPhone('147');
    const code = await sendCode(c, phone, 'login');
    assert.match(code, /^\d{6}$/, 'the SMS arrived: the worker is back');
    const after = masterOf('hall-outbox');
    assert.ok(after && after !== before, 'a new worker process');
});

test('a module master killed with SIGKILL comes back; the other modules keep serving', { skip: SKIP }, async () => {
    const { client } = await registerUser();
    assert.equal((await client.page('/new?project=jieyang')).status, 200);
    const before = masterOf('hall-new');
    assert.ok(before, 'one master of the new module');
    announceKill('new', before);

    /* the account module never stopped: its pages answer while new restarts */
    for (let i = 0; i < 10; i++) {
        const r = await client.page('/account/profile');
        assert.equal(r.status, 200, `profile ${i} while new restarts`);
    }
    await waitFor('a new master of the new module', () => {
        const m = masterOf('hall-new');
        return m !== null && m !== before;
    });
    /* and new serves again, the same session */
    const page = await waitFor('the new module to answer', async () => {
        const r = await client.page('/new?project=jieyang');
        return r.status === 200 ? r : null;
    });
    assert.match(page.text, /协议/);
    assert.ok(!alive(before));
});

test('nginx killed with SIGKILL comes back', { skip: SKIP }, async () => {
    const pidFile = path.join(HALL_VAR, 'run', 'nginx.pid');
    const before = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(alive(before), 'nginx runs with the pid of run/nginx.pid');
    announceKill('nginx', before);
    await waitFor('a new nginx', () => {
        const now = Number(fs.readFileSync(pidFile, 'utf8'));
        return now !== before && alive(now);
    });
    const c = new Client();
    const r = await waitFor('the hall to answer through the new nginx', async () => {
        try {
            const a = await c.getJson('/healthz');
            return a.status === 200 ? a : null;
        } catch {
            return null; /* the port is closed between the two */
        }
    });
    assert.deepEqual(r.json, { ok: true, database: true });
});
