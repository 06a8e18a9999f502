'use strict';
/*
 * A browser-like HTTP client for the integration tests: a cookie jar, the
 * CSRF token from <meta name="csrf-token">, form posts answered in JSON,
 * and an applicant registered through the real SMS path (outbox → sandbox).
 */
const { setCookies } = require('./cookies');
const { fetchAs } = require('./front');

const HALL = process.env.HALL_URL || 'http://127.0.0.1:18080';
const SANDBOX = process.env.HALL_SANDBOX_URL || 'http://127.0.0.1:18091';

/* fetch, with what undici only keeps in e.cause (EPIPE, "other side
 * closed") and the request in the message a failed test prints.  The
 * event loop turns once first: after a long synchronous stretch (psql,
 * spawnSync) the close of an idle keep-alive connection by nginx is still
 * unread, and undici would write the request into it (EPIPE), a thing a
 * browser retries and no user sees */
async function fetchSaying(url, opts = {}) {
    await new Promise((r) => setImmediate(r));
    const method = opts.method || 'GET';
    for (let retried = false; ; retried = true) {
        try {
            return await fetch(url, opts);
        } catch (e) {
            const c = e.cause || {};
            /* on a loaded machine one turn is not always enough: an
             * idempotent request that met a kept connection closed under it
             * is sent once more on a new one, as a browser does (RFC 9110
             * 9.2.2); a POST never is */
            if (!retried && (method === 'GET' || method === 'HEAD') &&
                ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(c.code))
                continue;
            throw new Error(`${e.message} (${method} ${url}): ${c.code || ''} ${c.message || c}`,
                { cause: e.cause });
        }
    }
}

class Client {
    constructor(base = HALL) {
        this.base = base;
        this.jar = new Map();
        this.csrf = '';
    }

    cookieHeader() {
        return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }

    keep(res) {
        for (const c of setCookies(res)) {
            const [pair] = c.split(';');
            const i = pair.indexOf('=');
            const k = pair.slice(0, i).trim();
            const v = pair.slice(i + 1).trim();
            if (/Max-Age=0/i.test(c) || v === '')
                this.jar.delete(k);
            else
                this.jar.set(k, v);
        }
    }

    async get(path, accept = 'text/html') {
        const res = await fetchSaying(this.base + path, {
            headers: { Cookie: this.cookieHeader(), Accept: accept },
            redirect: 'manual',
        });
        this.keep(res);
        const text = await res.text();
        const m = text.match(/<meta name="csrf-token" content="([^"]+)"/);
        if (m)
            this.csrf = m[1];
        return { status: res.status, text, headers: res.headers };
    }

    async getJSON(path) {
        const r = await this.get(path, 'application/json');
        return { status: r.status, body: JSON.parse(r.text) };
    }

    /* form post; fields may repeat via arrays */
    async post(path, fields = {}, { csrf = true, headers: extra = {} } = {}) {
        const body = new URLSearchParams();
        for (const [k, v] of Object.entries(fields))
            body.append(k, String(v));
        const headers = {
            Cookie: this.cookieHeader(),
            Accept: 'application/json',
            'Content-Type': 'application/x-www-form-urlencoded',
            ...extra,
        };
        if (csrf)
            headers['X-CSRF-Token'] = this.csrf;
        /* a visitor's address in X-Forwarded-For: through the trusted front */
        await new Promise((r) => setImmediate(r));
        const res = await fetchAs(this.base + path, { method: 'POST', headers, body, redirect: 'manual' });
        this.keep(res);
        const text = await res.text();
        let json = null;
        try {
            json = JSON.parse(text);
        } catch {
            json = null;
        }
        return { status: res.status, body: json, text };
    }

    /* multipart post; files: { field: { name, data: Buffer|string } } */
    async postMultipart(path, fields = {}, files = {}, { csrf = true } = {}) {
        const fd = new FormData();
        for (const [k, v] of Object.entries(fields))
            fd.append(k, String(v));
        for (const [k, f] of Object.entries(files))
            fd.append(k, new Blob([f.data]), f.name);
        const headers = { Cookie: this.cookieHeader(), Accept: 'application/json' };
        if (csrf)
            headers['X-CSRF-Token'] = this.csrf;
        const res = await fetchSaying(this.base + path, { method: 'POST', headers, body: fd, redirect: 'manual' });
        this.keep(res);
        const text = await res.text();
        let json = null;
        try {
            json = JSON.parse(text);
        } catch {
            json = null;
        }
        return { status: res.status, body: json, text };
    }
}

async function latestCode(phone, after = '') {
    for (let i = 0; i < 100; i++) {
        const r = await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}`);
        const j = await r.json();
        const m = (j.messages || []).find((x) => x.id !== after && /\d{6}/.test(x.text));
        if (m)
            return { code: m.text.match(/(\d{6})/)[1], id: m.id };
        await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`no SMS code reached the sandbox for ${phone}`);
}

/* a fresh phone number per call: 1 + 3..9 + 9 digits from time and counter */
let seq = 0;
function freshPhone(prefix = '139') {
    seq += 1;
    const n = (Date.now() % 1e6) * 100 + (seq % 100) + process.pid % 7;
    return prefix + String(n).padStart(8, '0').slice(-8);
}

/* registered and logged in, through SMS code; returns the client */
async function applicant(base = HALL) {
    const c = new Client(base);
    const phone = freshPhone();
    await c.get('/register');
    const s = await c.post('/sms/send', { phone, purpose: 'register' });
    if (s.status !== 200)
        throw new Error(`sms/send: ${s.status} ${s.text}`);
    const { code } = await latestCode(phone);
    const r = await c.post('/register', { phone, code, password: 'Passw0rd123', password2: 'Passw0rd123' });
    if (r.status !== 200)
        throw new Error(`register: ${r.status} ${r.text}`);
    await c.get('/');
    c.phone = phone;
    return c;
}

module.exports = { Client, HALL, SANDBOX, latestCode, freshPhone, applicant };
