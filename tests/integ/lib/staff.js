'use strict';
/*
 * Staff sign-in for every test: the password at POST /admin/login (a half
 * session), then a TOTP code at POST /admin/login/code (sql/073,
 * modules/admin).  The codes are computed here, RFC 6238 with node's HMAC
 * (SHA-1, 30-second steps, 6 digits), from the member's secret: the demo
 * accounts' are read from sql/demo-accounts.txt, where script/server's
 * banner shows them too.
 *
 * The hall accepts each step of a member once, and only a step after the
 * last one it accepted (a replayed code is refused).  The tests log the
 * same demo accounts in many times a minute: freshCode takes the next step
 * the hall has not accepted yet, and when the window (one step either side)
 * has none left it moves the member's record of the last step back with SQL,
 * a fixture shortcut like the orders the tests move with SQL.  The replay
 * rule itself is tested without it in tests/integ/totp.test.js.
 *
 * hall-staff from the tests.  Four eyes (docs/operations.md): a new account
 * is asked for by the demo administrator `admin` and approved by `admin2`
 * (sql/demo-accounts.txt); each proves who they are as at /admin/login:
 * their password and then a code of their secret, two lines of stdin
 * (actorInput, with freshCode's steps).
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..', '..');
const STEP_S = 30;

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

/* RFC 4648 base32 (spaces and padding ignored) */
function base32(s) {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0;
    let buf = 0;
    const out = [];
    for (const ch of s.toUpperCase().replace(/[\s=]/g, '')) {
        const v = abc.indexOf(ch);
        if (v < 0)
            throw new Error(`not base32: ${ch}`);
        buf = (buf << 5) | v;
        bits += 5;
        if (bits >= 8) {
            out.push((buf >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return Buffer.from(out);
}

function stepNow(ms = Date.now()) {
    return Math.floor(ms / 1000 / STEP_S);
}

/* the 6-digit code of a base32 secret at a step (RFC 4226 truncation) */
function totp(secret, step = stepNow()) {
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(step));
    const mac = crypto.createHmac('sha1', base32(secret)).update(msg).digest();
    const off = mac[19] & 0x0f;
    const bin = mac.readUInt32BE(off) & 0x7fffffff;
    return String(bin % 1000000).padStart(6, '0');
}

/* sql/demo-accounts.txt: login -> { password, roles, secret } */
function demoAccounts() {
    const text = fs.readFileSync(path.join(ROOT, 'sql', 'demo-accounts.txt'), 'utf8');
    const out = {};
    for (const line of text.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f[0] === 'staff' && f.length >= 5)
            out[f[1]] = { password: f[2], roles: f[3], secret: f[4] };
    }
    return out;
}

const DEMO = demoAccounts();
const secrets = new Map(); /* accounts the tests made, with their secrets */

function secretOf(login) {
    if (secrets.has(login))
        return secrets.get(login);
    assert.ok(DEMO[login], `no TOTP secret known for staff ${login}`);
    return DEMO[login].secret;
}

const ADMIN = ['admin', 'Admin2026demo'];
const ADMIN2 = ['admin2', 'Admin2026demo2'];

/* {status, stdout, stderr} of one run of hall-staff; input: its stdin */
function hallStaff(args, input = '') {
    assert.ok(process.env.HALL_CONF, 'HALL_CONF is set by script/test');
    return spawnSync(path.join(ROOT, 'tools', 'staff', 'hall-staff'), ['-c', process.env.HALL_CONF, ...args],
        { input, encoding: 'utf8' });
}

/* its output, or an exception when it failed */
function hallStaffOut(args, input = '') {
    const r = hallStaff(args, input);
    if (r.status !== 0)
        throw new Error(`hall-staff ${args[0]}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
}

/* hall-staff's stdin for an acting member: the password, a fresh code */
function actorInput([login, password], code = freshCode(login)) {
    return `${password}\n${code}\n`;
}

/* a staff account through both steps; what the approval (or "exists") said */
function addStaff(login, roles, password) {
    const r = hallStaff(['add', login, roles, password, 'as', ADMIN[0], '测试账号'], actorInput(ADMIN));
    assert.equal(r.status, 0, r.stderr);
    const m = r.stdout.match(/^request (\d+) pending/m);
    if (!m)
        return r.stdout;
    const a = hallStaff(['approve', m[1], 'as', ADMIN2[0]], actorInput(ADMIN2));
    assert.equal(a.status, 0, a.stderr);
    return a.stdout;
}

function newSecret() {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    return [...crypto.randomBytes(32)].map((b) => abc[b & 31]).join('');
}

/* a staff account of the test's own, with a known secret (or none: enrolment) */
function makeStaff(login, roles, password, { secret = newSecret(), enrol = true } = {}) {
    addStaff(login, roles, password);
    if (enrol) {
        hallStaffOut(['totp-set', login, '-'], `${secret}\n`);
        secrets.set(login, secret);
    }
    return secret;
}

function rememberSecret(login, secret) {
    secrets.set(login, secret);
}

/* a code of a step the hall has not accepted for this member yet (see above) */
function freshCode(login, secret = secretOf(login)) {
    const now = stepNow();
    const last = Number(psql(`SELECT totp_last_step FROM staff WHERE login = '${login}'`));
    /* this step or the next: still inside the window if the clock turns now */
    let step = Math.max(last + 1, now);
    if (step > now + 1) {
        psql(`UPDATE staff SET totp_last_step = ${now - 1} WHERE login = '${login}'`);
        step = now;
    }
    return totp(secret, step);
}

/* one sign-in at a time per member in this process (Promise.all of logins) */
const queue = new Map();
function serial(login, fn) {
    const prev = queue.get(login) || Promise.resolve();
    const run = prev.then(fn, fn);
    queue.set(login, run.catch(() => {}));
    return run;
}

/*
 * The password, then the code, on client c (tests/integ/lib/client): the
 * answer of the code's POST ({ status, body, text }).  next: where to go.
 * A member without a factor (made by a test with hall-staff add) enrols.
 */
function staffSignIn(c, login, password, { next, secret } = {}) {
    return serial(login, async () => {
        await c.get('/admin/login');
        const fields = { login, password };
        if (next)
            fields.next = next;
        const r = await c.post('/admin/login', fields);
        assert.equal(r.status, 200, r.text);
        /* an account a test made without a secret: enrolled here, as a
         * person would, with the secret its enrolment page shows */
        if (/^\/admin\/login\/enrol\?/.test(r.body.redirect)) {
            const page = await c.get(r.body.redirect);
            const shown = page.text.match(/id="enrol-secret">([A-Z2-7 ]+)</);
            assert.ok(shown, `the enrolment page of ${login} shows its secret`);
            secrets.set(login, shown[1].replace(/ /g, ''));
            return c.post('/admin/login/enrol', { code: freshCode(login), next: next || '' });
        }
        assert.match(r.body.redirect, /^\/admin\/login\/code\?/, r.text);
        await c.get(r.body.redirect);
        return c.post('/admin/login/code', { code: freshCode(login, secret), next: next || '' });
    });
}

/* a staff member logged in to the console, with the staff CSRF token */
async function staffLogin(login, password, opts = {}) {
    const { Client } = require('./client');
    const c = new Client();
    const r = await staffSignIn(c, login, password, opts);
    assert.equal(r.status, 200, r.text);
    await c.get('/admin');
    return c;
}

module.exports = {
    totp, stepNow, base32, DEMO, secretOf, freshCode, staffSignIn, staffLogin, makeStaff,
    rememberSecret, newSecret, hallStaff, hallStaffOut, addStaff, ADMIN, ADMIN2, serial, actorInput,
};
