'use strict';
/*
 * Helpers of the integration and end-to-end tests: they talk to the hall
 * script/test started (nginx at HALL_URL, the sandbox at HALL_SANDBOX_URL,
 * the database through HALL_PSQL).  Not a test file itself (script/test runs
 * only *.test.js).
 */

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { setCookies } = require('./cookies');

const HALL_URL = process.env.HALL_URL;
const SANDBOX_URL = process.env.HALL_SANDBOX_URL;
const HALL_VAR = process.env.HALL_VAR;
const HALL_CONF = process.env.HALL_CONF;
const HALL_ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..', '..');

/* node:test's skip option: a reason, or false when the hall is there */
const SKIP = HALL_URL && SANDBOX_URL && HALL_VAR && process.env.HALL_PSQL ? false
    : 'needs the hall that script/test starts (HALL_URL, HALL_SANDBOX_URL, HALL_VAR, HALL_PSQL)';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* Polls fn until it returns a truthy value; fails after timeoutMs. */
async function waitFor(what, fn, { timeoutMs = 20000, intervalMs = 100 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v)
            return v;
        if (Date.now() > deadline)
            assert.fail(`gave up waiting for ${what} after ${timeoutMs} ms`);
        await sleep(intervalMs);
    }
}

/* ---- phone numbers ------------------------------------------------------ */

const usedPhones = new Set();

/* A fresh, valid mainland mobile number (never one ending in 0000). */
function newPhone(prefix = '139') {
    for (;;) {
        let p = prefix;
        while (p.length < 11)
            p += String(Math.floor(Math.random() * 10));
        if (!p.endsWith('0000') && !usedPhones.has(p)) {
            usedPhones.add(p);
            return p;
        }
    }
}

const maskPhone = (p) => `${p.slice(0, 3)}****${p.slice(7)}`;

/* ---- a browser-like HTTP client ----------------------------------------- */

/* Set-Cookie lines of a response, parsed: [{name, value, attrs: {lower: value}}] */
function parseSetCookies(res) {
    return setCookies(res).map((line) => {
        const [pair, ...rest] = line.split(';');
        const eq = pair.indexOf('=');
        const attrs = {};
        for (const a of rest) {
            const i = a.indexOf('=');
            const k = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
            attrs[k] = i < 0 ? true : a.slice(i + 1).trim();
        }
        return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs, line };
    });
}

/*
 * Keeps cookies like a browser would (one host, so no domain logic), and the
 * CSRF token of the last page it loaded.
 */
class Client {
    constructor(base = HALL_URL) {
        this.base = base;
        this.jar = new Map();
        this.csrf = null;
    }

    cookie(name) {
        return this.jar.get(name);
    }

    setCookie(name, value) {
        this.jar.set(name, value);
    }

    async request(method, p, { body, headers = {}, accept = 'html' } = {}) {
        const h = { ...headers };
        h.Accept = accept === 'json' ? 'application/json' : 'text/html,application/xhtml+xml';
        if (this.jar.size > 0)
            h.Cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const res = await fetch(this.base + p, { method, headers: h, body, redirect: 'manual' });
        const cookies = parseSetCookies(res);
        for (const c of cookies) {
            const maxAge = c.attrs['max-age'];
            if (maxAge !== undefined && Number(maxAge) <= 0)
                this.jar.delete(c.name);
            else
                this.jar.set(c.name, c.value);
            /* a new session has new form tokens */
            if (c.name === 'hall_sid')
                this.csrf = null;
        }
        const text = await res.text();
        let json = null;
        if ((res.headers.get('content-type') || '').startsWith('application/json'))
            json = JSON.parse(text);
        return { status: res.status, headers: res.headers, cookies, text, json };
    }

    /* GET a page as a browser would; remembers its CSRF token */
    async page(p) {
        const r = await this.request('GET', p);
        const m = r.text.match(/<meta name="csrf-token" content="([^"]*)">/);
        if (m)
            this.csrf = m[1];
        return r;
    }

    async getJson(p) {
        return this.request('GET', p, { accept: 'json' });
    }

    /*
     * POST a form the way static/hall.js does (urlencoded, Accept JSON,
     * X-CSRF-Token from the page).  csrf: false sends no token at all.
     */
    async post(p, params, { csrf = true, accept = 'json', tokenPage = '/login' } = {}) {
        const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
        if (csrf) {
            if (this.csrf === null)
                await this.page(tokenPage);
            assert.ok(this.csrf, 'the page carries a CSRF token');
            headers['X-CSRF-Token'] = this.csrf;
        }
        return this.request('POST', p, {
            body: new URLSearchParams(params).toString(), headers, accept,
        });
    }
}

/* ---- the sandbox ------------------------------------------------------------ */

async function sandbox(method, p, body) {
    const res = await fetch(SANDBOX_URL + p, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    assert.equal(res.status, 200, `sandbox ${method} ${p}: ${JSON.stringify(json)}`);
    return json;
}

async function smsMessages(phone) {
    return (await sandbox('GET', `/sandbox/sms?phone=${phone}`)).messages;
}

async function smsStats() {
    return sandbox('GET', '/sandbox/sms/stats');
}

async function setSmsFault(mode, extra = {}) {
    return sandbox('POST', '/sandbox/faults', { service: 'sms', mode, ...extra });
}

const codeOf = (msg) => {
    const m = msg.text.match(/验证码是(\d{6})/);
    assert.ok(m, `an SMS code text: ${msg.text}`);
    return m[1];
};

/* Waits until the phone has more than `before` messages; the newest one. */
async function waitForSms(phone, before, opts) {
    return waitFor(`SMS number ${before + 1} to the phone`, async () => {
        const msgs = await smsMessages(phone);
        return msgs.length > before ? msgs[0] : null;
    }, opts);
}

/* Asks the hall for a code (as the page's 获取验证码 does) and reads it from the sandbox. */
async function sendCode(client, phone, purpose, { tokenPage } = {}) {
    const before = (await smsMessages(phone)).length;
    const r = await client.post('/sms/send', { phone, purpose }, { tokenPage });
    assert.equal(r.status, 200, `POST /sms/send: ${r.text}`);
    assert.equal(r.json.ok, true);
    return codeOf(await waitForSms(phone, before));
}

/* ---- the database ------------------------------------------------------- */

/* Runs one statement with psql as the hall role; the rows, fields split on |. */
function sql(query) {
    const argv = process.env.HALL_PSQL.trim().split(/\s+/);
    const r = spawnSync(argv[0], [...argv.slice(1), '-At', '-F', '|', '-v', 'ON_ERROR_STOP=1',
        '-c', query], { encoding: 'utf8' });
    if (r.error)
        throw r.error;
    assert.equal(r.status, 0, `psql: ${r.stderr}`);
    const out = r.stdout.replace(/\n$/, '');
    return out === '' ? [] : out.split('\n').map((l) => l.split('|'));
}

/* The single value of a one-row, one-column query. */
function sql1(query) {
    const rows = sql(query);
    assert.equal(rows.length, 1, `one row from: ${query}`);
    return rows[0][0];
}

/*
 * Moves the phone's SMS codes a minute into the past, standing in for the
 * 60 s a user waits before asking for another code.  The phone is found
 * through the idempotency key of its newest SMS ("sms-code-<sms_codes.id>"),
 * since the database keeps only a keyed hash of it.
 */
async function ageSmsCodes(phone) {
    const msgs = await smsMessages(phone);
    assert.ok(msgs.length > 0, 'the phone got an SMS');
    /* the newest code's: another SMS (an expiry reminder from the
     * outbox's tick, a notice) may have come after it */
    const keys = msgs.map((x) => x.idempotency_key);
    const m = keys.map((k) => /^sms-code-(\d+)$/.exec(k || '')).find(Boolean);
    assert.ok(m, `an SMS code among the phone's SMS: ${keys.join(', ')}`);
    sql(`UPDATE sms_codes SET created_at = created_at - interval '61 seconds'
         WHERE phone_idx = (SELECT phone_idx FROM sms_codes WHERE id = ${Number(m[1])})`);
}

/* ---- users ---------------------------------------------------------------------- */

/* Registers a fresh phone through the pages; the client is then logged in. */
async function registerUser(client = new Client(), { phone = newPhone(), password = 'Passw0rd' + Math.floor(Math.random() * 1e6) } = {}) {
    await client.page('/register');
    const code = await sendCode(client, phone, 'register', { tokenPage: '/register' });
    const r = await client.post('/register', { phone, code, password, password2: password });
    assert.equal(r.status, 200, `POST /register: ${r.text}`);
    assert.equal(r.json.ok, true);
    return { client, phone, password, code };
}

async function loginPassword(client, phone, password) {
    return client.post('/login', { phone, password });
}

/* ---- processes --------------------------------------------------------------- */

/* Processes whose argv[0] ends in /NAME and whose argv has "-c HALL_CONF". */
function findProcs(name) {
    const found = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d))
            continue;
        let argv, stat;
        try {
            argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
            stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        } catch {
            continue; /* gone meanwhile */
        }
        const ci = argv.indexOf('-c');
        if (path.basename(argv[0]) !== name || ci < 0 || argv[ci + 1] !== HALL_CONF)
            continue;
        /* "pid (comm) state ppid ...": comm may hold spaces, so split after ")" */
        const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        found.push({ pid: Number(d), ppid: Number(after[1]), state: after[0] });
    }
    return found;
}

function alive(pid) {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    /* a zombie is dead for our purposes */
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
        return false;
    }
}

/* The hall's logs: every VAR/log/*.log (not the test runner's own output). */
function readLogs() {
    const dir = path.join(HALL_VAR, 'log');
    const out = {};
    for (const f of fs.readdirSync(dir)) {
        if (f.endsWith('.log'))
            out[f] = fs.readFileSync(path.join(dir, f), 'utf8');
    }
    return out;
}

/* a process script/server started (VAR/run/NAME.pid) and its children */
function processFamily(name) {
    const master = Number(fs.readFileSync(path.join(HALL_VAR, 'run', `${name}.pid`), 'utf8'));
    const pids = [master];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d))
            continue;
        try {
            /* pid (comm) state ppid ...: comm may hold spaces, read after the last ')' */
            const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master)
                pids.push(Number(d));
        } catch { /* gone meanwhile */ }
    }
    return pids;
}

module.exports = {
    processFamily,
    HALL_URL, SANDBOX_URL, HALL_VAR, HALL_CONF, HALL_ROOT, SKIP,
    sleep, waitFor, newPhone, maskPhone, parseSetCookies, Client,
    sandbox, smsMessages, smsStats, setSmsFault, codeOf, waitForSms, sendCode,
    sql, sql1, ageSmsCodes, registerUser, loginPassword,
    findProcs, alive, readLogs,
};
