#!/usr/bin/env node
'use strict';
/*
 * bench/lib/upload-probe.js: the upload prober of bench/objstore-failover.
 * Applicants of its own, each with an order of 证书新办 (jieyang, an
 * organisation) open for its materials, upload scans straight to each app
 * host in turn, and every answer is recorded; afterwards every upload
 * acknowledged 200 is downloaded again from every app host and its SHA-256
 * compared with what was sent.
 *
 *   upload-probe.js prepare STATE   N applicants per host (PROBE_ORDERS), each
 *                                   registered (its SMS code from the sandbox),
 *                                   its order applied for and printed; one
 *                                   JSON line per applicant (its session, its
 *                                   order id) appended to STATE
 *   upload-probe.js run STATE OUT   until the file PROBE_STOP exists: every
 *                                   PROBE_EVERY_MS, on each host at once, one
 *                                   POST /new/upload of a fresh scan into a
 *                                   material slot (order, kind) not used yet
 *                                   (a slot is never uploaded twice: no upload
 *                                   replaces another, so each acknowledged one
 *                                   must stay readable; more applicants are
 *                                   made, and added to STATE, as the slots run
 *                                   low); one JSON line per attempt into OUT:
 *                                   {host, order, kind, t0, t1, status,
 *                                   file_id, sha256, size}
 *   upload-probe.js verify STATE OUT [FROM_MS]  each line of OUT answered 200
 *                                   (sent at or after FROM_MS): GET
 *                                   /new/file?id=FILE_ID from every host, four
 *                                   at a time (a 503/504 asked again, up to
 *                                   five times); prints one JSON object
 *                                   {acked, checked, same, differ, failed,
 *                                   retried, samples}
 *
 *   PROBE_HOSTS="app1=http://10.79.0.11:8080 app2=http://10.79.0.12:8080"
 *   PROBE_SANDBOX=http://10.79.0.30:8091  PROBE_ORDERS=30  PROBE_EVERY_MS=1000
 *   PROBE_TIMEOUT_MS=60000 (a request's own limit: far past the hall's deadline)
 */
const crypto = require('node:crypto');
const fs = require('node:fs');

const HOSTS = (process.env.PROBE_HOSTS || '').split(/\s+/).filter(Boolean).map((h) => {
    const i = h.indexOf('=');
    return { name: h.slice(0, i), url: h.slice(i + 1) };
});
const SANDBOX = process.env.PROBE_SANDBOX || '';
const ORDERS = Number(process.env.PROBE_ORDERS || 30);
const EVERY_MS = Number(process.env.PROBE_EVERY_MS || 1000);
const TIMEOUT_MS = Number(process.env.PROBE_TIMEOUT_MS || 60000);
const KINDS = ['application', 'license', 'agent_id'];
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/* a browser of one applicant on one host: its cookies, the last page's CSRF token */
class Browser {
    constructor(base, jar = {}, csrf = '') {
        this.base = base;
        this.jar = jar;
        this.csrf = csrf;
    }

    cookie() {
        return Object.entries(this.jar).map(([k, v]) => `${k}=${v}`).join('; ');
    }

    keep(r) {
        const list = typeof r.headers.getSetCookie === 'function' ? r.headers.getSetCookie() :
            [r.headers.get('set-cookie')].filter(Boolean);
        for (const c of list) {
            const [pair] = c.split(';');
            const i = pair.indexOf('=');
            const k = pair.slice(0, i).trim();
            const v = pair.slice(i + 1).trim();
            if (/Max-Age=0/i.test(c) || v === '')
                delete this.jar[k];
            else
                this.jar[k] = v;
        }
    }

    /* { status, text | buf }; throws on a transport error */
    async req(method, path, { body, type, json = method !== 'GET', raw = false, base = this.base } = {}) {
        const headers = { Cookie: this.cookie(), Accept: json ? 'application/json' : 'text/html' };
        if (method !== 'GET')
            headers['X-CSRF-Token'] = this.csrf;
        if (type)
            headers['Content-Type'] = type;
        const r = await fetch(base + path, { method, headers, body, redirect: 'manual',
            signal: AbortSignal.timeout(TIMEOUT_MS) });
        this.keep(r);
        if (raw)
            return { status: r.status, buf: Buffer.from(await r.arrayBuffer()) };
        const text = await r.text();
        const m = text.match(/<meta name="csrf-token" content="([^"]+)"/);
        if (m)
            this.csrf = m[1];
        return { status: r.status, text };
    }

    async must(method, path, fields) {
        const r = await this.req(method, path, fields === undefined ? {} : {
            body: new URLSearchParams(fields).toString(), type: 'application/x-www-form-urlencoded' });
        if (r.status !== 200)
            throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 200)}`);
        return method === 'GET' ? r.text : JSON.parse(r.text);
    }
}

let seq = 0;
function freshPhone() {
    seq += 1;
    return '158' + String((Math.floor(Date.now() / 1000) % 1e5) * 1000 + (seq % 1000)).padStart(8, '0').slice(-8);
}

function orgForm() {
    const account = `6222${String(Date.now()).slice(-9)}${crypto.randomInt(100000, 999999)}`;
    return {
        project: 'jieyang', cert_type: 'org', years: '1',
        org_name: '揭阳存储演练有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园2号',
        legal_name: '王五', legal_ric: '360426199101010071', legal_mobile: '13800138001',
        agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: '13900139001',
        agent_email: 'probe@example.com', agent_title: '行政专员',
        bank_account_name: '揭阳存储演练有限公司', bank_branch_id: '19', bank_account: account,
        mail_province: '440000', mail_city: '440300', mail_district: '440305', mail_town: '',
        mail_address: '科技园2号', mail_postcode: '518057', mail_receiver: '李四',
        mail_mobile: '13900139001', shipping: 'collect', invoice: 'no',
    };
}

async function smsCode(phone) {
    const t0 = Date.now();
    while (Date.now() - t0 < 60000) {
        const r = await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}&wait_ms=20000`);
        const j = await r.json();
        const m = (j.messages || [])[0];
        const d = m && m.text.match(/(\d{6})/);
        if (d && !/已注册/.test(m.text))
            return d[1];
        if (m && /已注册/.test(m.text))
            return null;
        await sleep(50);
    }
    throw new Error(`no SMS code for ${phone}`);
}

/* one applicant on host h: registered, its order applied for and printed */
async function applicant(h) {
    const b = new Browser(h.url);
    let phone, code = null;
    for (let i = 0; code === null; i++) {
        if (i === 3)
            throw new Error('three numbers already registered');
        phone = freshPhone();
        await b.must('GET', '/register');
        await b.must('POST', '/sms/send', { phone, purpose: 'register' });
        code = await smsCode(phone);
    }
    await b.must('POST', '/register', { phone, code, password: 'Passw0rd123', password2: 'Passw0rd123' });
    await b.must('GET', '/new?project=jieyang');
    await b.must('POST', '/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    await b.must('GET', '/new/apply?project=jieyang');
    const a = await b.must('POST', '/new/apply', orgForm());
    const id = a.redirect.match(/id=(\d+)/)[1];
    await b.must('GET', `/new/print?id=${id}`);
    await b.must('POST', '/new/printed', { id });
    await b.must('GET', `/new/upload?id=${id}`);
    return { host: h.name, order: Number(id), jar: b.jar, csrf: b.csrf };
}

async function prepare(stateFile) {
    const out = [];
    const work = [];
    for (const h of HOSTS)
        for (let i = 0; i < ORDERS; i++)
            work.push(h);
    /* four at a time: the hall shares the machine with Swift */
    const run = async () => {
        while (work.length > 0) {
            const h = work.shift();
            out.push(await applicant(h));
        }
    };
    await Promise.all([run(), run(), run(), run()]);
    fs.appendFileSync(stateFile, out.map((a) => JSON.stringify(a) + '\n').join(''));
    console.log(`prepared ${out.length} orders (${ORDERS} per host)`);
}

/* a scan: a JPEG's first bytes, then random ones (50 to 250 KB) */
function scan() {
    const n = crypto.randomInt(50 * 1024, 250 * 1024);
    return Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), crypto.randomBytes(n)]);
}

function multipart(fields, name, data) {
    const boundary = `----probe${crypto.randomBytes(12).toString('hex')}`;
    const parts = [];
    for (const [k, v] of Object.entries(fields))
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ` +
        `filename="${name}"\r\nContent-Type: image/jpeg\r\n\r\n`), data, Buffer.from('\r\n'));
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

async function runHost(h, slots, outFile, stopFile) {
    while (!fs.existsSync(stopFile)) {
        const t0 = Date.now();
        const s = slots.shift();
        if (s === undefined) { /* the next applicant is being made */
            await sleep(100);
            continue;
        }
        const b = new Browser(h.url, s.app.jar, s.app.csrf);
        const data = scan();
        const sha256 = crypto.createHash('sha256').update(data).digest('hex');
        const { body, type } = multipart({ id: s.app.order, kind: s.kind }, `${s.kind}.jpg`, data);
        const line = { host: h.name, order: s.app.order, kind: s.kind, t0, size: data.length, sha256 };
        try {
            const r = await b.req('POST', '/new/upload', { body, type });
            line.status = r.status;
            if (r.status === 200)
                line.file_id = JSON.parse(r.text).file_id;
            else
                line.answer = r.text.slice(0, 160);
        } catch (e) {
            line.status = 0;
            line.error = e.message;
        }
        line.t1 = Date.now();
        /* a failed slot is used again: nothing was stored there */
        if (line.status !== 200)
            slots.unshift(s);
        fs.appendFileSync(outFile, JSON.stringify(line) + '\n');
        await sleep(Math.max(0, EVERY_MS - (Date.now() - t0)));
    }
}

function readState(stateFile) {
    return fs.readFileSync(stateFile, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
}

/* more applicants of host h while its free slots are fewer than 8 */
async function topUp(h, slots, stateFile, stopFile) {
    while (!fs.existsSync(stopFile)) {
        if (slots.length >= 8) {
            await sleep(200);
            continue;
        }
        try {
            const app = await applicant(h);
            fs.appendFileSync(stateFile, JSON.stringify(app) + '\n');
            for (const kind of KINDS)
                slots.push({ app, kind });
        } catch (e) {
            console.error(`${h.name}: a new applicant failed: ${e.message}`);
            await sleep(1000);
        }
    }
}

async function run(stateFile, outFile) {
    const apps = readState(stateFile);
    const stopFile = process.env.PROBE_STOP;
    await Promise.all(HOSTS.flatMap((h) => {
        const slots = [];
        for (const app of apps.filter((a) => a.host === h.name))
            for (const kind of KINDS)
                slots.push({ app, kind });
        return [runHost(h, slots, outFile, stopFile), topUp(h, slots, stateFile, stopFile)];
    }));
}

async function verify(stateFile, outFile, fromMs) {
    const apps = new Map(readState(stateFile).map((a) => [a.order, a]));
    const lines = fs.readFileSync(outFile, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
    const acked = lines.filter((l) => l.status === 200 && l.t0 >= Number(fromMs || 0));
    const res = { acked: acked.length, checked: 0, same: 0, differ: 0, failed: 0, retried: 0, samples: [] };
    const work = acked.flatMap((l) => HOSTS.map((h) => [l, h]));
    const one = async () => {
        for (let w = work.shift(); w !== undefined; w = work.shift()) {
            const [l, h] = w;
            const app = apps.get(l.order);
            const b = new Browser(h.url, { ...app.jar }, app.csrf);
            res.checked++;
            /* a 503 or 504 is the hall asking to be asked again (its store
             * slow, or its workers' provider calls at their cap): up to five
             * tries a second apart, the retries counted */
            let r;
            for (let tries = 1; ; tries++) {
                try {
                    r = await b.req('GET', `/new/file?id=${l.file_id}`, { raw: true, json: false });
                } catch (e) {
                    r = { status: 0, buf: Buffer.from(e.message) };
                }
                if (![0, 503, 504].includes(r.status) || tries === 5)
                    break;
                res.retried++;
                await sleep(1000);
            }
            const got = crypto.createHash('sha256').update(r.buf).digest('hex');
            if (r.status === 200 && got === l.sha256) {
                res.same++;
            } else {
                if (r.status === 200)
                    res.differ++;
                else
                    res.failed++;
                if (res.samples.length < 10)
                    res.samples.push(`${h.name} order ${l.order} ${l.kind} file ${l.file_id}: ${r.status}` +
                        (r.status === 200 ? ` sha256 ${got} != ${l.sha256}` :
                            ` ${r.buf.toString().replace(/<[^>]*>|\s+/g, ' ').slice(0, 160)}`));
            }
        }
    };
    await Promise.all([one(), one(), one(), one()]);
    console.log(JSON.stringify(res));
}

const [cmd, a1, a2, a3] = process.argv.slice(2);
const main = cmd === 'prepare' ? () => prepare(a1) : cmd === 'run' ? () => run(a1, a2) :
    cmd === 'verify' ? () => verify(a1, a2, a3) : null;
if (main === null || HOSTS.length === 0) {
    console.error('usage: PROBE_HOSTS=... upload-probe.js prepare STATE | run STATE OUT | verify STATE OUT');
    process.exit(2);
}
main().catch((e) => {
    console.error(e.stack || e.message);
    process.exit(1);
});
