'use strict';
/*
 * A hall of its own (script/server in a temporary var directory, on
 * HALL_TEST_PORT + 3 and HALL_TEST_SANDBOX_PORT + 3), because these tests
 * stop it, wipe it and bring it back:
 *   - stopping the hall while requests are in flight: each gets its whole
 *     answer, and each 2xx was committed;
 *   - script/backup, wipe, script/restore into a fresh var: the same
 *     applicant logs in and sees the same decrypted order;
 *   - a start with a PII key that is not the database's is refused (by
 *     script/server, and by a module started on its own).
 */

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('./lib/client');
const { orgForm } = require('./lib/payflow');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
const SKIP = !process.env.HALL_VAR || !process.env.HALL_URL;
const PORT = Number(new URL(process.env.HALL_URL || 'http://127.0.0.1:18080').port) + 3;
const SB_PORT = Number(new URL(process.env.HALL_SANDBOX_URL || 'http://127.0.0.1:18091').port) + 3;
const BASE = `http://127.0.0.1:${PORT}`;
const SANDBOX = `http://127.0.0.1:${SB_PORT}`;
const PASSPHRASE = 'integ-backup-passphrase-' + crypto.randomBytes(6).toString('hex');

const work = SKIP ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'hall-stop-backup-'));
const VAR = work && path.join(work, 'var');
let server = null;

function env() {
    return {
        PATH: process.env.PATH, HOME: process.env.HOME || '/root', LANG: 'C.UTF-8',
        HALL_VAR: VAR, HALL_PORT: String(PORT), HALL_SANDBOX_PORT: String(SB_PORT),
        HALL_PG_FAST: '1', HALL_BUILD: '0', HALL_BACKUP_PASSPHRASE: PASSPHRASE,
    };
}

/* script/server in the background; resolves when it says it runs, rejects when it exits */
function startServer() {
    fs.mkdirSync(VAR, { recursive: true });
    fs.chmodSync(work, 0o755);
    fs.chmodSync(VAR, 0o755);
    const logPath = path.join(work, `server-${Date.now()}.log`);
    const log = fs.openSync(logPath, 'a');
    const child = spawn(path.join(ROOT, 'script', 'server'), [],
        { env: env(), detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    child.logPath = logPath;
    child.exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
    return new Promise((resolve, reject) => {
        const timer = setInterval(() => {
            const text = fs.readFileSync(logPath, 'utf8');
            if (text.includes('hall is running')) {
                clearInterval(timer);
                server = child;
                resolve(child);
            }
        }, 200);
        child.exited.then(({ code }) => {
            clearInterval(timer);
            reject(Object.assign(new Error(`script/server exited (${code})`), {
                code, log: fs.readFileSync(logPath, 'utf8'),
            }));
        });
    });
}

async function stopServer() {
    if (server === null)
        return null;
    const s = server;
    server = null;
    s.kill('SIGTERM');
    return s.exited;
}

function psql(query) {
    const bin = path.join(process.env.HALL_PG_BIN || '/usr/lib/postgresql/15/bin', 'psql');
    return execFileSync(bin, ['-h', path.join(VAR, 'run', 'pg'), '-U', 'hall', '-d', 'hall', '-X',
        '-At', '-c', query], { encoding: 'utf8' }).trim();
}

async function sandboxPost(p, body) {
    const r = await fetch(SANDBOX + p, { method: 'POST', body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200, await r.text());
}

/* registered with a password through the SMS code of the nested sandbox */
async function register() {
    const c = new Client(BASE);
    const phone = `139${String(crypto.randomInt(10000000, 99999999))}`;
    await c.get('/register');
    const s = await c.post('/sms/send', { phone, purpose: 'register' });
    assert.equal(s.status, 200, s.text);
    let code = null;
    for (let i = 0; i < 100 && code === null; i++) {
        const j = await (await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}`)).json();
        const m = (j.messages || []).map((x) => x.text.match(/验证码是(\d{6})/)).find(Boolean);
        if (m)
            code = m[1];
        else
            await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.ok(code, 'the code reached the nested sandbox');
    const r = await c.post('/register', { phone, code, password: 'Passw0rd123', password2: 'Passw0rd123' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await c.get('/new?project=jieyang')).status, 200);
    assert.equal((await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' })).status, 200);
    c.phone = phone;
    return c;
}

after(async () => {
    if (SKIP)
        return;
    await stopServer();
    if (!process.env.HALL_TEST_KEEP)
        fs.rmSync(work, { recursive: true, force: true });
});

const state = {};

test('stopping the hall: every request in flight gets its whole answer, every 2xx committed', { skip: SKIP, timeout: 240000 }, async () => {
    /* four workers at the carrier at once, so that requests queue behind them */
    fs.mkdirSync(VAR, { recursive: true });
    fs.writeFileSync(path.join(VAR, 'hall.conf.local'), 'provider_max_calls = 4\n');
    await startServer();
    const clients = [await register(), await register()];
    state.client = clients[0];

    await sandboxPost('/sandbox/faults', { service: 'carrier', mode: 'delay', delay_ms: 2500 });
    const n = 8;
    const inFlight = Array.from({ length: n }, (_, i) =>
        clients[i % 2].post('/new/apply', { project: 'jieyang', ...orgForm() })
            .then((r) => ({ ok: true, r }), (e) => ({ ok: false, e })));
    /* the first four are at the carrier, the others wait for a worker */
    for (let i = 0; i < 100; i++) {
        const st = await (await fetch(`${SANDBOX}/sandbox/stats`)).json();
        if ((st.stats.carrier || { calls: 0 }).calls >= 4)
            break;
        await new Promise((ok) => setTimeout(ok, 50));
    }
    const exited = stopServer();
    const answers = await Promise.all(inFlight);
    const { code } = await exited;
    assert.notEqual(code, null, 'script/server ended by itself after SIGTERM');

    const failed = answers.filter((a) => !a.ok).map((a) => String(a.e && (a.e.cause || a.e)));
    assert.deepEqual(failed, [], 'no request in flight got a connection error');
    const orderNos = [];
    for (const { r } of answers) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.ok, true);
        orderNos.push(Number(r.body.redirect.match(/id=(\d+)/)[1]));
    }
    state.orderId = orderNos[0];

    /* back up: what was answered 2xx is in the database */
    await startServer();
    const found = psql(`SELECT count(*) FROM orders WHERE id IN (${orderNos.join(',')})`);
    assert.equal(Number(found), n, 'every order answered 200 was committed');
});

test('backup, wipe, restore into a fresh var: the same applicant sees the same decrypted order', { skip: SKIP, timeout: 240000 }, async () => {
    assert.ok(state.orderId, 'the previous test made an order');
    const form = await state.client.get(`/new/apply?id=${state.orderId}`);
    assert.equal(form.status, 200);
    const ric = orgForm().agent_ric;
    assert.ok(form.text.includes(ric), 'the form shows the decrypted ID number');
    const fp = psql('SELECT pii_fingerprint FROM hall_keys');
    assert.match(fp, /^[0-9a-f]{64}$/, 'the database knows its key');

    const file = path.join(work, 'hall.backup');
    const b = spawnSync(path.join(ROOT, 'script', 'backup'), ['-o', file, '--var', VAR],
        { env: env(), encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr + b.stdout);
    const listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' });
    assert.deepEqual(listing.trim().split('\n').sort(), ['MANIFEST', 'db.dump', 'keys.tar.enc', 'uploads.tar']);
    /* the keys are in the file only encrypted; var/ holds the PII key only
     * wrapped, opened with the credentials beside it */
    const key = fs.readFileSync(path.join(VAR, 'keys', 'pii.key'), 'utf8').trim();
    assert.match(key, /^aes-256-cbc:pbkdf2-sha256:/, 'var/keys/pii.key is wrapped');
    const clear = execFileSync(path.join(ROOT, 'script', 'lib', 'keyenc.sh'),
        ['--open', path.join(`${VAR}-credentials`, 'pki.pass'), path.join(VAR, 'keys', 'pii.key')],
        { encoding: 'utf8' }).trim();
    assert.match(clear, /^[0-9a-f]{128}$/);
    assert.ok(!fs.readFileSync(file).includes(Buffer.from(key)), 'the wrapped PII key in clear in the backup');
    assert.ok(!fs.readFileSync(file).includes(Buffer.from(clear)), 'the PII key in clear in the backup');

    await stopServer();
    /* var/ and the credentials beside it both lost: the backup brings both */
    fs.rmSync(VAR, { recursive: true, force: true });
    fs.rmSync(`${VAR}-credentials`, { recursive: true, force: true });

    /* a wrong passphrase restores nothing */
    const bad = spawnSync(path.join(ROOT, 'script', 'restore'), [file, '--var', VAR],
        { env: { ...env(), HALL_BACKUP_PASSPHRASE: 'not-the-passphrase-at-all' }, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /passphrase/);
    fs.rmSync(VAR, { recursive: true, force: true });

    const r = spawnSync(path.join(ROOT, 'script', 'restore'), [file, '--var', VAR],
        { env: env(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.equal(fs.readFileSync(path.join(VAR, 'keys', 'pii.key'), 'utf8').trim(), key);
    await startServer();

    /* the same phone and password log in: the same account, not a new one */
    const c = new Client(BASE);
    await c.get('/login');
    const login = await c.post('/login', { phone: state.client.phone, password: 'Passw0rd123' });
    assert.equal(login.status, 200, login.text);
    const again = await c.get(`/new/apply?id=${state.orderId}`);
    assert.equal(again.status, 200);
    assert.ok(again.text.includes(ric), 'the restored order decrypts with the restored key');
});

test('a key file that is not the database\'s: script/server and a module refuse to start', { skip: SKIP, timeout: 240000 }, async () => {
    await stopServer();
    const keyFile = path.join(VAR, 'keys', 'pii.key');
    const good = fs.readFileSync(keyFile);
    fs.writeFileSync(keyFile, crypto.randomBytes(64).toString('hex') + '\n', { mode: 0o600 });
    let err = null;
    try {
        await startServer();
    } catch (e) {
        err = e;
    }
    assert.ok(err, 'script/server started with a wrong key');
    assert.notEqual(err.code, 0);
    assert.match(err.log, /does not belong to this database/);
    assert.match(err.log, /Refusing to start/);

    /* a module started by hand (systemd does that) refuses too: exit 78 */
    const conf = path.join(work, 'module.conf');
    /* the key as script/server left it: wrapped under this var's credentials */
    fs.writeFileSync(conf, `${fs.readFileSync(process.env.HALL_CONF, 'utf8')}\nkey_file = ${keyFile}\n`
        + `pki_pass_file = ${path.join(`${VAR}-credentials`, 'pki.pass')}\n`);
    const m = spawnSync(path.join(ROOT, 'modules', 'new', 'hall-new'),
        ['-c', conf, '-s', path.join(work, 'new.sock')], { encoding: 'utf8', timeout: 30000 });
    assert.equal(m.status, 78, m.stderr);
    assert.match(m.stderr, /key_file does not belong to this database/);
    const o = spawnSync(path.join(ROOT, 'tools', 'outbox', 'hall-outbox'), ['-c', conf],
        { encoding: 'utf8', timeout: 30000 });
    assert.equal(o.status, 78, o.stderr);
    fs.writeFileSync(keyFile, good, { mode: 0o600 });
});
