#!/usr/bin/env node
'use strict';
/*
 * hall sandbox: stands in for the outside services the hall cannot reach
 * (SMS, payment, bank, OCR, liveness, carrier, courier, e-invoice, e-mail).
 * JSON over HTTP on 127.0.0.1, state in memory, built-in modules only; the
 * payment gateways speak WeChat Pay API v3 and the Alipay OpenAPI.
 * Endpoints and conventions: docs/sandbox.md.
 */

const http = require('node:http');
const crypto = require('node:crypto');

/* ---------- configuration ---------- */

function argValue(name) {
    const i = process.argv.indexOf(name);
    if (i >= 0 && i + 1 < process.argv.length)
        return process.argv[i + 1];
    const eq = process.argv.find((a) => a.startsWith(name + '='));
    return eq === undefined ? undefined : eq.slice(name.length + 1);
}

function intOption(flag, env, dflt, min, max) {
    const raw = argValue(flag) ?? process.env[env];
    if (raw === undefined || raw === '')
        return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
        process.stderr.write(`sandbox: bad value for ${flag} / ${env}: must be an integer in ${min}..${max}\n`);
        process.exit(2);
    }
    return n;
}

const CONF = {
    port: intOption('--port', 'HALL_SANDBOX_PORT', 8091, 0, 65535),
    /* base of the payment callback backoff (1s, 2s, 4s, ...); tests shorten it */
    backoffMs: intOption('--callback-backoff-ms', 'HALL_SANDBOX_CALLBACK_BACKOFF_MS', 1000, 1, 60000),
    publicUrl: (argValue('--public-url') ?? process.env.HALL_SANDBOX_PUBLIC_URL ?? '').replace(/\/+$/, ''),
    /* 127.0.0.1; bench/multihost puts the sandbox on its own network namespace's address */
    host: argValue('--host') ?? process.env.HALL_SANDBOX_HOST ?? '127.0.0.1',
    /* the secrets of the providers' accounts (script/lib/common.sh provider_keys) */
    providerKeys: argValue('--provider-keys') ?? process.env.HALL_SANDBOX_PROVIDER_KEYS ?? '',
    /* the key-encryption passphrase the hall encrypts them with (its
     * pki_pass_file, outside var/): the sandbox plays the providers, who
     * hold the same secrets in clear */
    providerPass: argValue('--provider-pass') ?? process.env.HALL_SANDBOX_PROVIDER_PASS ?? '',
    /* where the carriers push their routes (the URL an operator registers
     * with SF): the hall's public URL */
    hallUrl: (argValue('--hall-url') ?? process.env.HALL_SANDBOX_HALL_URL ?? '').replace(/\/+$/, ''),
    /* the hall's SMS templates, which SendSms renders */
    smsTemplates: argValue('--sms-templates') ??
        require('node:path').join(__dirname, '..', 'core', 'store', 'sms_tpl.def'),
};
if (!/^[0-9.]{7,15}$/.test(CONF.host)) {
    process.stderr.write('sandbox: bad value for --host / HALL_SANDBOX_HOST: an IPv4 address\n');
    process.exit(2);
}

const MAX_BODY = 4 * 1024 * 1024;        /* larger request bodies get 413 */
const MAX_DRAIN = 64 * 1024 * 1024;      /* beyond this an oversized upload is cut off */
const MAX_ITEMS = 10000;                 /* per kind of stored item, oldest dropped */
const HOLD_MS = 120000;                  /* "timeout" fault: close after this */
const CALLBACK_RETRIES = 5;              /* after the first attempt */
const CALLBACK_TIMEOUT_MS = 10000;
const MAX_KEY_LEN = 255;

const SERVICES = ['sms', 'pay', 'pay_close', 'pay_notify', 'bank', 'ocr', 'liveness', 'carrier', 'courier', 'invoice', 'mail',
    'partner'];
const MODES = ['ok', 'fail', 'timeout', 'delay'];

/* ---------- logging: one line per request, never a body or query string ---------- */

function log(fields) {
    const parts = [`ts=${new Date().toISOString()}`];
    for (const [k, v] of Object.entries(fields)) {
        const s = String(v);
        parts.push(/[\s"]/.test(s) ? `${k}="${s.replace(/["\\]/g, '\\$&')}"` : `${k}=${s}`);
    }
    process.stdout.write(parts.join(' ') + '\n');
}

/* ---------- bounded stores ---------- */

class Store {
    /* by(v): an optional key to list items by (listBy) without a scan of
     * every item: a journey's poll for its SMS code or micro-deposit asked
     * a store of up to MAX_ITEMS, whose full scan cost the sandbox more
     * than the rest of the request */
    constructor(max = MAX_ITEMS, onEvict = null, by = null, name = null) {
        this.max = max;
        this.map = new Map();
        this.onEvict = onEvict;
        this.by = by;
        this.name = name; /* wakes the requests waiting for `${name}:${by(v)}` */
        this.index = new Map(); /* by(v) -> Set of keys, oldest first */
    }
    get(k) { return this.map.get(k); }
    has(k) { return this.map.has(k); }
    unindex(k, v) {
        if (this.by === null)
            return;
        const ks = this.index.get(this.by(v));
        if (ks !== undefined) {
            ks.delete(k);
            if (ks.size === 0)
                this.index.delete(this.by(v));
        }
    }
    set(k, v) {
        if (this.map.has(k))
            this.unindex(k, this.map.get(k));
        this.map.delete(k);
        this.map.set(k, v);
        if (this.by !== null) {
            const b = this.by(v);
            if (!this.index.has(b))
                this.index.set(b, new Set());
            this.index.get(b).add(k);
            if (this.name !== null)
                wake(`${this.name}:${b}`);
        }
        while (this.map.size > this.max) {
            const [oldK, oldV] = this.map.entries().next().value;
            this.map.delete(oldK);
            this.unindex(oldK, oldV);
            if (this.onEvict)
                this.onEvict(oldK, oldV);
        }
    }
    /* newest first */
    list(filter = () => true, limit = MAX_ITEMS) {
        const out = [];
        const vals = Array.from(this.map.values());
        for (let i = vals.length - 1; i >= 0 && out.length < limit; i--)
            if (filter(vals[i]))
                out.push(vals[i]);
        return out;
    }
    /* newest first, the items whose by() is key: the same as
     * list((v) => by(v) === key, limit) */
    listBy(key, limit = MAX_ITEMS) {
        const ks = Array.from(this.index.get(key) ?? []);
        const out = [];
        for (let i = ks.length - 1; i >= 0 && out.length < limit; i--)
            out.push(this.map.get(ks[i]));
        return out;
    }
    clear() {
        this.map.clear();
        this.index.clear();
    }
    get size() { return this.map.size; }
}

/* ---------- waits: a test endpoint's answer held until it has news ----------
 * A test or bench/journey waiting for an SMS code, a micro-deposit or a
 * callback's acknowledgement asks once with wait_ms instead of asking again
 * every few milliseconds: each of those polls cost the sandbox and the
 * client a whole HTTP exchange. */

const MAX_WAIT_MS = 60000;
const waiters = new Map();               /* "sms:<phone>", "transfer:<account>", "trade:<no>" -> Set of waits */

function wake(key) {
    const ws = waiters.get(key);
    if (ws === undefined)
        return;
    waiters.delete(key);
    for (const w of ws)
        w.check();
}

function waitParam(q) {
    const raw = q.get('wait_ms');
    if (raw === null)
        return 0;
    const n = Number(raw);
    if (raw === '' || !Number.isInteger(n) || n < 0 || n > MAX_WAIT_MS)
        throw new BadRequest(`wait_ms 必须是 0..${MAX_WAIT_MS} 的整数`);
    return n;
}

/* answer() at once when ready() or ms is 0; else once key is woken and
 * ready(), or when ms have passed (with what there is then) */
function answerWhen(res, key, ms, ready, answer) {
    if (ms === 0 || ready())
        return answer();
    const w = {};
    const listen = () => {
        if (!waiters.has(key))
            waiters.set(key, new Set());
        waiters.get(key).add(w);
    };
    const stop = () => {
        clearTimeout(w.timer);
        res.removeListener('close', stop);
        const ws = waiters.get(key);
        if (ws !== undefined) {
            ws.delete(w);
            if (ws.size === 0)
                waiters.delete(key);
        }
    };
    w.force = () => {
        stop();
        answer();
    };
    w.check = () => {
        if (ready())
            w.force();
        else
            listen();
    };
    w.timer = setTimeout(w.force, ms);
    res.on('close', stop);
    listen();
}

/* shutdown: every held request answered now */
function answerWaiters() {
    const all = [...waiters.values()].flatMap((ws) => [...ws]);
    waiters.clear();
    for (const w of all)
        w.force();
}

let state;
let generation = 0;                      /* bumped by reset: stale callback loops stop */
const timers = new Set();                /* callback backoff timers */
const held = new Set();                  /* sockets held by the "timeout" fault */

function freshState() {
    const s = {
        faults: {},                      /* service -> {mode, remaining|null, delay_ms} */
        stats: {},                       /* service -> {calls, acted, duplicates, faulted} */
        idem: {},                        /* service -> Store(key -> {status, body}) */
        smsByKey: new Store(),           /* OutId -> number of SendSms */
        smsLimits: new Map(),            /* phone -> {count, period}: isv.BUSINESS_LIMIT_CONTROL */
        smsQueries: 0,                   /* QuerySendDetails calls */
        smsRequests: [],                 /* the last 100 requests as they arrived */
        sfOrders: new Store(),           /* SF orderId -> waybill_no */
        sms: new Store(MAX_ITEMS, null, (x) => x.phone, 'sms'),
        trades: null,
        tradesByOut: new Store(),
        wxRequests: new Store(100),
        refundProcessing: 0,
        refunds: new Store(),
        transfers: new Store(MAX_ITEMS, null, (x) => x.account_no, 'transfer'),
        carrier: new Store(),
        waybills: new Store(),
        invoices: new Store(),
        mail: new Store(),
    };
    s.trades = new Store(MAX_ITEMS, (k, t) => {
        const byOut = `${t.channel}:${t.merchant_id}:${t.out_trade_no}`;
        if (s.tradesByOut.get(byOut) === k)
            s.tradesByOut.map.delete(byOut);
    });
    for (const svc of SERVICES) {
        s.stats[svc] = { calls: 0, acted: 0, duplicates: 0, faulted: 0 };
        s.idem[svc] = new Store();
    }
    return s;
}
state = freshState();

function releaseHeld() {
    for (const h of held) {
        clearTimeout(h.timer);
        h.socket.destroy();
    }
    held.clear();
}

function resetAll() {
    generation++;
    for (const t of timers)
        clearTimeout(t);
    timers.clear();
    releaseHeld();
    state = freshState();
    partnerHooks.reset();
}

/* ---------- helpers ---------- */

function nowIso() { return new Date().toISOString(); }

/* the date in Beijing (UTC+8, no daylight saving) of an ISO 8601 time: what
 * a Chinese provider's page prints (the times themselves stay UTC) */
function beijingDay(iso) {
    return new Date(Date.parse(iso) + 8 * 3600000).toISOString().slice(0, 10);
}

function digits(n) {
    let s = '';
    const b = crypto.randomBytes(n);
    for (let i = 0; i < n; i++)
        s += String(b[i] % 10);
    return s;
}

function stamp() {
    const d = new Date();
    const p = (x) => String(x).padStart(2, '0');
    return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
}

function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fen(n) { return (n / 100).toFixed(2); }

function baseUrl(req) {
    if (CONF.publicUrl)
        return CONF.publicUrl;
    const host = req.headers.host;
    if (typeof host === 'string' && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host))
        return `http://${host}`;
    return `http://127.0.0.1:${server.address().port}`;
}

class BadRequest extends Error {
    constructor(msg, status = 400) {
        super(msg);
        this.status = status;
    }
}

/* field checks: throw BadRequest with the field name */
function str(body, name, { required = true, max = 1000 } = {}) {
    const v = body[name];
    if (v === undefined || v === null || v === '') {
        if (required)
            throw new BadRequest(`缺少字段 ${name}`);
        return undefined;
    }
    if (typeof v !== 'string' || v.length > max)
        throw new BadRequest(`字段 ${name} 格式不正确`);
    return v;
}

function amount(body, name, { required = true } = {}) {
    const v = body[name];
    if (v === undefined || v === null) {
        if (required)
            throw new BadRequest(`缺少字段 ${name}`);
        return undefined;
    }
    if (!Number.isSafeInteger(v) || v <= 0 || v > 1e12)
        throw new BadRequest(`字段 ${name} 必须是正整数（单位：分）`);
    return v;
}

function phone(body, name = 'phone') {
    const v = str(body, name, { max: 20 });
    if (!/^1\d{10}$/.test(v))
        throw new BadRequest(`字段 ${name} 不是有效的手机号码`);
    return v;
}

function httpUrl(body, name, opts) {
    const v = str(body, name, opts);
    if (v === undefined)
        return v;
    let u;
    try {
        u = new URL(v);
    } catch {
        throw new BadRequest(`字段 ${name} 不是有效的 URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new BadRequest(`字段 ${name} 必须是 http(s) URL`);
    return v;
}

function b64(body, name, { required = true } = {}) {
    const v = str(body, name, { required, max: MAX_BODY });
    if (v === undefined)
        return undefined;
    const clean = v.replace(/^data:[^,]*,/, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean))
        throw new BadRequest(`字段 ${name} 不是有效的 base64`);
    return Buffer.from(clean, 'base64');
}

/* the text after a marker, up to a newline, CR, NUL or the end */
function marker(buf, tag) {
    const at = buf.indexOf(Buffer.from(tag, 'utf8'));
    if (at < 0)
        return null;
    let end = at + Buffer.byteLength(tag);
    const start = end;
    while (end < buf.length && buf[end] !== 0x0a && buf[end] !== 0x0d && buf[end] !== 0x00)
        end++;
    return buf.subarray(start, Math.min(end, start + 1024)).toString('utf8').trim();
}

/* ---------- provider handlers: (body, ctx) -> [status, json] ---------- */

/* wrong account rule: account_no ending in 0000, or a name containing 错误 */
function bankTransfer(body) {
    const name = str(body, 'account_name', { max: 200 });
    const bank = str(body, 'bank_name', { max: 200 });
    const branch = str(body, 'branch_name', { required: false, max: 200 }) ?? '';
    const cnaps = str(body, 'cnaps', { required: false, max: 12 }) ?? null;
    const acct = str(body, 'account_no', { max: 64 });
    if (!/^[0-9 -]{4,40}$/.test(acct))
        throw new BadRequest('字段 account_no 格式不正确');
    if (cnaps !== null && !/^[0-9]{12}$/.test(cnaps))
        throw new BadRequest('字段 cnaps 应为12位联行号');
    const amt = amount(body, 'amount_fen');
    const memo = str(body, 'memo', { required: false, max: 200 }) ?? '';
    const compact = acct.replace(/[ -]/g, '');
    const bad = compact.endsWith('0000') || name.includes('错误');
    const transferNo = `TR${stamp()}${digits(14)}`;
    const rec = {
        transfer_no: transferNo, account_name: name, bank_name: bank, branch_name: branch, cnaps,
        account_no: compact,
        amount_fen: amt, memo, status: bad ? 'FAILED' : 'SUCCESS',
        reason: bad ? '户名与账号不符' : null, at: nowIso(),
    };
    state.transfers.set(transferNo, rec);
    if (bad)
        return [200, { ok: true, transfer_no: transferNo, status: 'FAILED', reason: rec.reason }];
    return [200, { ok: true, transfer_no: transferNo, status: 'SUCCESS' }];
}

function ocrIdcard(body) {
    const side = str(body, 'side', { max: 8 });
    if (side !== 'front' && side !== 'back')
        throw new BadRequest('字段 side 必须是 front 或 back');
    const img = b64(body, 'image_b64');
    const id = marker(img, 'SANDBOX-ID:');
    if (side === 'front') {
        const parts = id === null ? [] : id.split('|').map((s) => s.trim());
        if (parts.length < 2 || !parts[0] || !parts[1])
            return [200, { ok: false, error: '无法识别身份证' }];
        return [200, { ok: true, side, name: parts[0], id_number: parts[1].toUpperCase() }];
    }
    const back = marker(img, 'SANDBOX-IDBACK:');
    if (back !== null) {
        const p = back.split('|').map((s) => s.trim());
        if (p.length >= 3 && p[0] && p[1] && p[2])
            return [200, { ok: true, side, issuer: p[0], valid_from: p[1], valid_to: p[2] }];
        return [200, { ok: false, error: '无法识别身份证' }];
    }
    if (id === null)
        return [200, { ok: false, error: '无法识别身份证' }];
    return [200, { ok: true, side, issuer: '沙箱市公安局', valid_from: '2020-01-01', valid_to: '2040-01-01' }];
}

function livenessCheck(body) {
    str(body, 'name', { max: 100 });
    str(body, 'id_number', { max: 32 });
    const media = b64(body, 'video_b64', { required: false }) ?? b64(body, 'image_b64', { required: false });
    if (media === undefined)
        throw new BadRequest('缺少字段 video_b64 或 image_b64');
    const fail = media.indexOf(Buffer.from('SANDBOX-LIVENESS:FAIL')) >= 0;
    return [200, { ok: true, passed: !fail, score: fail ? 0.12 : 0.98 }];
}

/* registered phones must match exactly; otherwise phones ending in 0000 mismatch */
function carrierVerify(body) {
    const name = str(body, 'name', { max: 100 });
    const idn = str(body, 'id_number', { max: 32 });
    const p = phone(body);
    const reg = state.carrier.get(p);
    let match;
    if (reg)
        match = reg.name === name && reg.id_number.toUpperCase() === idn.toUpperCase();
    else
        match = !p.endsWith('0000');
    return [200, { ok: true, match }];
}

const REMOTE_NAMES = ['新疆', '西藏', '青海', '内蒙古'];
const REMOTE_CODES = ['65', '54', '63', '15'];

function isRemote(body) {
    for (const f of ['province', 'city', 'district', 'town']) {
        const v = body[f];
        if (typeof v === 'number' && Number.isInteger(v) && REMOTE_CODES.includes(String(v).slice(0, 2)))
            return true;
        if (typeof v !== 'string')
            continue;
        const t = v.trim();
        if (/^\d{2,12}$/.test(t) && REMOTE_CODES.includes(t.slice(0, 2)))
            return true;
        if (f === 'province' && REMOTE_NAMES.some((n) => t.includes(n)))
            return true;
    }
    return false;
}

function courierQuote(body) {
    const prov = body.province;
    if (prov === undefined || prov === null || prov === '' ||
        (typeof prov !== 'string' && typeof prov !== 'number'))
        throw new BadRequest('缺少字段 province');
    for (const f of ['city', 'district', 'town', 'address'])
        if (body[f] !== undefined && body[f] !== null && typeof body[f] !== 'string' && typeof body[f] !== 'number')
            throw new BadRequest(`字段 ${f} 格式不正确`);
    if (isRemote(body))
        return [200, { ok: true, carrier: '顺丰速运', payment: '到付', fee_fen: 0 }];
    return [200, { ok: true, carrier: '京东快递', payment: '寄付', fee_fen: 1300 }];
}

/* the carriers the sandbox's JSON books (SF Express speaks its own
 * protocol: sandbox/providers/sf_express.js), and their waybill numbers */
const CARRIERS = {
    京东快递: () => `JDVA${digits(11)}`,
    EMS: () => `E${digits(11)}`,
};
const CARRIER_ACCOUNTS = { 京东快递: 'HALLJDSANDBOX', EMS: 'HALLEMSSANDBOX' };

function courierWaybill(body) {
    const orderNo = str(body, 'order_no', { max: 64 });
    if (body.address === undefined || body.address === null || body.address === '')
        throw new BadRequest('缺少字段 address');
    const named = str(body, 'carrier', { required: false, max: 20 });
    if (named !== undefined && !Object.hasOwn(CARRIERS, named))
        throw new BadRequest(`字段 carrier 须为 ${Object.keys(CARRIERS).join('、')} 之一（顺丰速运：/std/service）`);
    const carrier = named ?? '京东快递';
    const account = str(body, 'account', { required: false, max: 64 });
    if (account !== undefined && account !== CARRIER_ACCOUNTS[carrier])
        throw new BadRequest('字段 account 不是该快递公司的账号');
    const waybillNo = CARRIERS[carrier]();
    state.waybills.set(waybillNo, {
        waybill_no: waybillNo, order_no: orderNo, carrier, at: nowIso(),
        payment: typeof body.payment === 'string' ? body.payment.slice(0, 8) : null,
        account: CARRIER_ACCOUNTS[carrier], status: 'BOOKED',
    });
    return [200, { ok: true, waybill_no: waybillNo, carrier }];
}

function courierCancel(body) {
    const no = str(body, 'waybill_no', { max: 32 });
    const w = state.waybills.get(no);
    if (!w || !Object.hasOwn(CARRIERS, w.carrier))
        return [404, { ok: false, error: '运单不存在' }];
    if (w.status === 'DELIVERED')
        return [409, { ok: false, error: '已签收，不能取消' }];
    w.status = 'CANCELLED';
    return [200, { ok: true, waybill_no: no, status: w.status }];
}

function invoiceIssue(body, ctx) {
    const orderNo = str(body, 'order_no', { max: 64 });
    const title = str(body, 'title', { max: 200 });
    const tax = str(body, 'taxpayer_id', { required: false, max: 32 });
    if (tax !== undefined && !/^[0-9A-Z]{15,20}$/i.test(tax))
        throw new BadRequest('字段 taxpayer_id 格式不正确');
    const amt = amount(body, 'amount_fen');
    const email = str(body, 'email', { required: false, max: 254 });
    if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email))
        throw new BadRequest('字段 email 格式不正确');
    if (body.phone !== undefined && body.phone !== null && body.phone !== '')
        phone(body);
    /* optional invoice lines (certificate fee, prepaid shipping ...): they
     * must add up to amount_fen */
    let lines = null;
    if (body.lines !== undefined && body.lines !== null) {
        if (!Array.isArray(body.lines) || body.lines.length < 1 || body.lines.length > 20)
            throw new BadRequest('字段 lines 格式不正确');
        lines = body.lines.map((l, i) => {
            if (l === null || typeof l !== 'object')
                throw new BadRequest(`字段 lines[${i}] 格式不正确`);
            return { name: str(l, 'name', { max: 100 }), amount_fen: amount(l, 'amount_fen') };
        });
        if (lines.reduce((a, l) => a + l.amount_fen, 0) !== amt)
            throw new BadRequest('字段 lines 的金额合计与 amount_fen 不符');
    }
    const invoiceNo = `${new Date().getUTCFullYear() % 100}44${digits(16)}`;
    state.invoices.set(invoiceNo, {
        invoice_no: invoiceNo, order_no: orderNo, title, taxpayer_id: tax ?? null,
        amount_fen: amt, lines: lines ?? [{ name: '数字证书服务费', amount_fen: amt }], issued_at: nowIso(),
    });
    return [200, { ok: true, invoice_no: invoiceNo, url: `${ctx.base}/invoice/${invoiceNo}` }];
}

/* 红字发票 (红冲) of an issued invoice, for its whole amount: once per
 * invoice, as a real tax platform allows; the same Idempotency-Key gets the
 * first answer again (the plumbing), another key a 409 */
function invoiceRed(body, ctx) {
    const blueNo = str(body, 'invoice_no', { max: 32 });
    const orderNo = str(body, 'order_no', { max: 64 });
    const amt = amount(body, 'amount_fen');
    const reason = str(body, 'reason', { required: false, max: 200 }) ?? '';
    const blue = state.invoices.get(blueNo);
    if (!blue || blue.red_of)
        return [404, { ok: false, error: '发票不存在' }];
    if (blue.order_no !== orderNo)
        throw new BadRequest('字段 order_no 与发票不符');
    if (amt !== blue.amount_fen)
        throw new BadRequest('红字发票须冲销原发票全部金额');
    if (blue.red_invoice_no)
        return [409, { ok: false, error: '该发票已红冲', red_invoice_no: blue.red_invoice_no }];
    const redNo = `${new Date().getUTCFullYear() % 100}45${digits(16)}`;
    blue.red_invoice_no = redNo;
    state.invoices.set(redNo, {
        invoice_no: redNo, order_no: orderNo, title: blue.title, taxpayer_id: blue.taxpayer_id,
        amount_fen: -amt, lines: blue.lines.map((l) => ({ name: l.name, amount_fen: -l.amount_fen })),
        issued_at: nowIso(), red_of: blueNo, reason,
    });
    return [200, { ok: true, red_invoice_no: redNo, invoice_no: blueNo, url: `${ctx.base}/invoice/${redNo}` }];
}

/* e-mail: the hall sends the e-invoice link this way too */
function mailSend(body, ctx) {
    const to = str(body, 'to', { max: 254 });
    if (!/^[^@\s]+@[^@\s]+$/.test(to))
        throw new BadRequest('字段 to 不是有效的邮箱地址');
    const from = str(body, 'from', { required: false, max: 254 });
    const subject = str(body, 'subject', { max: 200 });
    const text = str(body, 'text', { max: 10000 });
    const id = `MAIL${stamp()}${digits(10)}`;
    state.mail.set(id, {
        id, to, from: from ?? null, subject, text, at: nowIso(), idempotency_key: ctx.key ?? null,
    });
    return [200, { ok: true, id }];
}

/* ---------- payment callback ---------- */

function delay(ms) {
    return new Promise((resolve) => {
        const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
        timers.add(t);
    });
}

function remember(t, rec) {
    if (t.notify.attempts.length >= 100)
        t.notify.attempts.shift();
    t.notify.attempts.push(rec);
}

/* first attempt now, then up to CALLBACK_RETRIES more with backoff 1x, 2x, 4x, ... */
async function notifyLoop(t) {
    const gen = generation;
    t.notify.state = 'SENDING';
    for (let i = 0; i <= CALLBACK_RETRIES; i++) {
        if (i > 0)
            await delay(CONF.backoffMs * 2 ** (i - 1));
        if (gen !== generation || state.trades.get(t.trade_no) !== t)
            return;
        /* "pay_notify" fault: the callback is late (fail: this attempt is
         * not sent; delay: sent after delay_ms) */
        const late = takeFault('pay_notify');
        if (late && late.mode === 'delay')
            await delay(late.delay_ms);
        const rec = late && late.mode !== 'delay'
            ? { at: nowIso(), http_status: null, acked: false, error: 'fault' }
            : await postCallback(t);
        if (gen !== generation)
            return;
        rec.attempt = i + 1;
        remember(t, rec);
        log({ event: 'callback', trade_no: t.trade_no, attempt: i + 1, status: rec.http_status ?? rec.error, acked: rec.acked });
        if (rec.acked) {
            t.notify.state = 'ACKED';
            wake(`trade:${t.trade_no}`);
            return;
        }
    }
    t.notify.state = 'GAVE_UP';
    wake(`trade:${t.trade_no}`);
}

function markPaid(t) {
    t.status = 'SUCCESS';
    t.paid_at = nowIso();
    notifyLoop(t).catch(() => {});
}

/* ---------- payment gateways: WeChat Pay API v3 and Alipay OpenAPI ----------
 *
 * Both speak their providers' own protocols with the keys script/lib/paykeys.sh
 * makes (HALL_SANDBOX_KEYS): "WeChat Pay" verifies WECHATPAY2-SHA256-RSA2048
 * requests with the merchant's certificate, signs every answer and
 * notification with its own key (Wechatpay-Serial = WX_KEY_ID) and encrypts
 * notifications' resource with the merchant's APIv3 key; "Alipay" verifies
 * RSA2 requests with the application's public key and signs its answers
 * ("*_response" text) and notifications with its own.  Their protocols are
 * sandbox/providers/wechat_pay.js and alipay.js; here are what both share:
 * the keys, the signatures, and the trades.  A trade is one record
 * (state.trades) whichever gateway opened it; /pay/page/<trade_no> is the
 * phone that scanned the code or the cashier the browser was sent to.
 * docs/sandbox.md. */

function loadPayKeys(dir) {
    const keys = { wx: null, ali: null, wxMerchants: new Map(), aliApps: new Map() };
    if (!dir)
        return keys;
    const fs = require('node:fs');
    const path = require('node:path');
    const read = (...p) => fs.readFileSync(path.join(dir, ...p), 'utf8');
    try {
        keys.wx = crypto.createPrivateKey(read('wechatpay_key.pem'));
        keys.ali = crypto.createPrivateKey(read('alipay_key.pem'));
        for (const e of fs.readdirSync(dir)) {
            let g;
            if ((g = e.match(/^wechat-([0-9A-Za-z_]{1,32})$/))) {
                const cert = new crypto.X509Certificate(read(e, 'apiclient_cert.pem'));
                keys.wxMerchants.set(g[1], {
                    mchid: g[1], serial: cert.serialNumber.toUpperCase().replace(/^0+/, ''),
                    pub: cert.publicKey, apiv3: Buffer.from(read(e, 'apiv3.key').trim(), 'utf8'),
                });
            } else if ((g = e.match(/^alipay-([0-9A-Za-z_]{1,32})$/))) {
                keys.aliApps.set(g[1], { app_id: g[1], pub: crypto.createPublicKey(read(e, 'app_public_key.pem')) });
            }
        }
    } catch (e) {
        process.stderr.write(`sandbox: payment keys in ${dir} unreadable (${e.code ?? e.message}): no payment gateways\n`);
        return { wx: null, ali: null, wxMerchants: new Map(), aliApps: new Map() };
    }
    return keys;
}

const PAYKEYS = loadPayKeys(argValue('--keys') ?? process.env.HALL_SANDBOX_KEYS);

function rsaSign(key, text) {
    return crypto.createSign('RSA-SHA256').update(text, 'utf8').sign(key, 'base64');
}

function rsaVerify(key, text, sig) {
    try {
        return crypto.createVerify('RSA-SHA256').update(text, 'utf8').verify(key, sig, 'base64');
    } catch {
        return false;
    }
}

function tradePublic(t) {
    return {
        trade_no: t.trade_no, out_trade_no: t.out_trade_no, channel: t.channel, mode: t.mode,
        merchant_id: t.merchant_id, amount_fen: t.amount_fen, subject: t.subject, status: t.status,
        created_at: t.created_at, paid_at: t.paid_at, refunded_fen: t.refunded_fen,
    };
}

/* Beijing time as both gateways write it */
function beijing(iso, sep = ' ') {
    return new Date(Date.parse(iso) + 8 * 3600000).toISOString().slice(0, 19).replace('T', sep);
}

function newTrade(channel, fields) {
    const existing = state.tradesByOut.get(`${channel}:${fields.merchant_id}:${fields.out_trade_no}`);
    if (existing !== undefined) {
        const t = state.trades.get(existing);
        if (t && t.amount_fen === fields.amount_fen)
            return t;
        if (t)
            return null;
    }
    const tradeNo = channel === 'wechat' ? `4200${stamp()}${digits(14)}` : `${stamp()}22${digits(16)}`;
    const t = {
        trade_no: tradeNo, channel, status: 'NOTPAY', created_at: nowIso(), paid_at: null,
        refunded_fen: 0, refunds: [], notify: { state: 'NONE', attempts: [] }, callback: null,
        return_url: null, ...fields,
    };
    state.trades.set(tradeNo, t);
    state.tradesByOut.set(`${channel}:${fields.merchant_id}:${fields.out_trade_no}`, tradeNo);
    return t;
}

function tradeByOut(channel, merchantId, out) {
    return state.trades.get(state.tradesByOut.get(`${channel}:${merchantId}:${out}`));
}

/* ---- the gateways (sandbox/providers/wechat_pay.js, alipay.js) ---- */

const gatewayEnv = {
    keys: PAYKEYS, state: () => state, generation: () => generation,
    send, sendHtml, page, esc, readBody, hold, takeFault, delay, deliver, log, baseUrl, nowIso, stamp, digits, fen,
    newTrade, tradeByOut, rsaSign, rsaVerify, beijing,
};
const wechatPay = require('./providers/wechat_pay')(gatewayEnv);
const alipay = require('./providers/alipay')(gatewayEnv);

/* ---- notifications of a paid trade ---- */

/*
 * POST raw to a merchant's notify URL: node:http on kept-alive connections
 * (fetch cost the sandbox about a millisecond more of CPU per notification,
 * which bench/journey's load shares the hall's cores with).  A kept-alive
 * connection the server closed just as it was reused fails before the
 * merchant saw anything: sent again once on a fresh one.  Other schemes
 * (https) go through fetch.
 */
const NOTIFY_AGENT = new http.Agent({ keepAlive: true });

/* resolves to { status, text }; rejects with a TimeoutError after
 * CALLBACK_TIMEOUT_MS (the request destroyed), else with the socket's error */
function post(u, headers, raw, deadline = Date.now() + CALLBACK_TIMEOUT_MS, retried = false) {
    return new Promise((resolve, reject) => {
        let settled = false;
        const settle = (f, v) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                f(v);
            }
        };
        const req = http.request(u, {
            method: 'POST', agent: NOTIFY_AGENT,
            headers: { ...headers, 'Content-Length': Buffer.byteLength(raw) },
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => settle(resolve, { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', (e) => settle(reject, e));
            res.on('close', () => settle(reject, req.destroyed && timedOut ? timeoutError() : new Error('aborted')));
        });
        let timedOut = false;
        const timeoutError = () => Object.assign(new Error('timeout'), { name: 'TimeoutError' });
        const timer = setTimeout(() => {
            timedOut = true;
            req.destroy(timeoutError());
        }, Math.max(0, deadline - Date.now()));
        req.on('error', (e) => {
            if (req.reusedSocket && !retried && !timedOut && e.code === 'ECONNRESET' && !settled) {
                settled = true;
                clearTimeout(timer);
                post(u, headers, raw, deadline, true).then(resolve, reject);
            } else {
                settle(reject, timedOut ? timeoutError() : e);
            }
        });
        req.end(raw);
    });
}

async function deliver(urlStr, headers, raw, acked) {
    const rec = { at: nowIso(), http_status: null, acked: false, error: null };
    try {
        let r;
        const u = new URL(urlStr);
        if (u.protocol === 'http:') {
            r = await post(u, headers, raw);
        } else {
            const f = await fetch(urlStr, {
                method: 'POST', headers, body: raw,
                signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS), redirect: 'manual',
            });
            r = { status: f.status, text: await f.text() };
        }
        rec.http_status = r.status;
        rec.acked = acked(r.status, r.text.slice(0, 4096));
    } catch (e) {
        rec.error = e.name === 'TimeoutError' ? 'timeout' : 'connect';
    }
    return rec;
}

/* a fresh notification of t (new timestamp, nonce and signature, as each
 * retry of the real gateways); kept in t.callback for replays */
function buildNotification(t) {
    if (t.channel === 'wechat') {
        const mer = PAYKEYS.wxMerchants.get(t.merchant_id);
        const raw = wechatPay.envelope(mer, 'TRANSACTION.SUCCESS', 'transaction', '支付成功', wechatPay.transaction(t));
        return { raw, headers: wechatPay.signedHeaders(raw) };
    }
    const raw = new URLSearchParams(alipay.notification(t)).toString();
    return { raw, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } };
}

function ackOf(t) {
    return t.channel === 'wechat'
        ? (st) => st === 200 || st === 204
        : (st, text) => st === 200 && text.trim() === 'success';
}

async function postCallback(t, { badSignature = false, replay = false } = {}) {
    let cb = replay && t.callback ? t.callback : buildNotification(t);
    t.callback = cb;
    if (badSignature) {
        if (t.channel === 'wechat') {
            cb = { raw: cb.raw, headers: wechatPay.signedHeaders(cb.raw, { badSignature: true }) };
        } else {
            const p = Object.fromEntries(new URLSearchParams(cb.raw));
            p.sign = rsaSign(PAYKEYS.ali, alipay.signText(p, true) + 'x');
            cb = { raw: new URLSearchParams(p).toString(), headers: cb.headers };
        }
    }
    return deliver(t.notify_url, cb.headers, cb.raw, ackOf(t));
}

/* ---------- HTML pages ---------- */

function page(title, inner) {
    return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:28em;margin:2em auto;padding:0 1em}
.amt{font-size:2em;margin:.5em 0}button{font-size:1.1em;padding:.5em 1.5em;margin-right:1em}
.note{color:#888;font-size:.9em}</style></head><body>
${inner}
<p class="note">沙箱环境（sandbox），不产生真实交易。</p></body></html>`;
}

function payPage(t) {
    const ch = t.channel === 'wechat' ? '微信支付' : '支付宝';
    let inner = `<h1>${ch}</h1><p>${esc(t.subject)}</p>
<p class="amt" id="amount">￥${fen(t.amount_fen)}</p>
<p>交易号：<span id="trade-no">${esc(t.trade_no)}</span></p>`;
    if (t.status === 'NOTPAY') {
        inner += `<form method="post" action="/pay/page/${esc(t.trade_no)}/confirm" style="display:inline">
<button type="submit" id="confirm">确认支付</button></form>
<form method="post" action="/pay/page/${esc(t.trade_no)}/cancel" style="display:inline">
<button type="submit" id="cancel">取消</button></form>`;
    } else {
        const label = { SUCCESS: '支付成功', CLOSED: '已取消', REFUND: '已退款' }[t.status] ?? t.status;
        inner += `<p id="status">${label}</p>`;
        if (t.return_url)
            inner += `<p><a id="return" href="${esc(t.return_url)}">返回商户</a></p>`;
    }
    return page(`${ch} - 沙箱收银台`, inner);
}

function invoicePage(inv) {
    const kind = inv.red_of ? '红字发票' : '电子发票';
    return page(`${kind} ${inv.invoice_no}`, `<h1>${kind}（沙箱）</h1>
<table>
<tr><th>发票号码</th><td id="invoice-no">${esc(inv.invoice_no)}</td></tr>
${inv.red_of ? `<tr><th>冲销原发票</th><td id="red-of">${esc(inv.red_of)}</td></tr>` : ''}
<tr><th>开票日期</th><td>${esc(beijingDay(inv.issued_at))}</td></tr>
<tr><th>购买方名称</th><td id="title">${esc(inv.title)}</td></tr>
<tr><th>纳税人识别号</th><td>${esc(inv.taxpayer_id ?? '')}</td></tr>
<tr><th>业务单号</th><td>${esc(inv.order_no)}</td></tr>
${inv.lines.map((l) => `<tr class="line"><th>${esc(l.name)}</th><td>￥${fen(l.amount_fen)}</td></tr>`).join('\n')}
<tr><th>价税合计</th><td id="amount">￥${fen(inv.amount_fen)}</td></tr>
</table>`);
}

/* ---------- HTTP plumbing ---------- */

function send(res, status, obj, extra = {}) {
    const body = JSON.stringify(obj);
    res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
        ...extra,
    });
    res.end(body);
}

function sendHtml(res, status, html) {
    res.writeHead(status, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(html),
        'Cache-Control': 'no-store',
    });
    res.end(html);
}

/*
 * Resolves to the body Buffer, or null after answering 413. An oversized body
 * is drained (up to MAX_DRAIN) before the 413 so that clients which do not
 * read early answers still see it; a larger one is cut off.
 */
function readBody(req, res) {
    return new Promise((resolve, reject) => {
        const declared = Number(req.headers['content-length']);
        let size = 0;
        let chunks = [];
        let over = false;
        let done = false;
        const answer413 = (close) => {
            if (done)
                return;
            done = true;
            send(res, 413, { ok: false, error: `请求体超过 ${MAX_BODY} 字节` }, close ? { Connection: 'close' } : {});
            resolve(null);
        };
        if (Number.isFinite(declared) && declared > MAX_DRAIN)
            answer413(true);
        req.on('data', (c) => {
            size += c.length;
            if (!over && size > MAX_BODY) {
                over = true;
                chunks = null;
            }
            if (over) {
                if (size > MAX_DRAIN && !req.socket.destroyed) {
                    answer413(true);
                    req.pause();
                    if (res.writableFinished)
                        req.socket.destroy();
                    else
                        res.once('finish', () => req.socket.destroy());
                }
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => {
            if (over)
                answer413(false);
            else if (!done)
                resolve(Buffer.concat(chunks));
        });
        req.on('error', reject);
    });
}

function parseJson(buf) {
    let v;
    try {
        v = JSON.parse(buf.toString('utf8'));
    } catch {
        throw new BadRequest('请求体不是有效的 JSON');
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw new BadRequest('请求体必须是 JSON 对象');
    return v;
}

/* take the fault for a service, consuming one from its count */
function takeFault(svc) {
    const f = state.faults[svc];
    if (!f || f.mode === 'ok')
        return null;
    const taken = { mode: f.mode, delay_ms: f.delay_ms };
    if (f.remaining !== null) {
        f.remaining--;
        if (f.remaining <= 0)
            delete state.faults[svc];
    }
    return taken;
}

function hold(req, res) {
    const h = { socket: req.socket, timer: null };
    h.timer = setTimeout(() => { held.delete(h); h.socket.destroy(); }, HOLD_MS);
    held.add(h);
    req.socket.once('close', () => { clearTimeout(h.timer); held.delete(h); });
}

const PROVIDERS = {
    'POST /bank/transfer': ['bank', bankTransfer],
    'POST /ocr/idcard': ['ocr', ocrIdcard],
    'POST /liveness/check': ['liveness', livenessCheck],
    'POST /carrier/verify': ['carrier', carrierVerify],
    'POST /courier/quote': ['courier', courierQuote],
    'POST /courier/waybill': ['courier', courierWaybill],
    'POST /courier/cancel': ['courier', courierCancel],
    'POST /invoice/issue': ['invoice', invoiceIssue],
    'POST /invoice/red': ['invoice', invoiceRed],
    'POST /mail/send': ['mail', mailSend],
};

async function provider(req, res, route, info) {
    const [svc, fn] = PROVIDERS[route];
    const st = state.stats[svc];
    info.service = svc;
    const buf = await readBody(req, res);
    if (buf === null)
        return;
    let key = req.headers['idempotency-key'];
    if (key !== undefined && (key === '' || key.length > MAX_KEY_LEN))
        return send(res, 400, { ok: false, error: `Idempotency-Key 长度必须在 1..${MAX_KEY_LEN}` });
    info.idem = key === undefined ? 0 : 1;
    st.calls++;

    const fault = takeFault(svc);
    if (fault) {
        info.fault = fault.mode;
        if (fault.mode === 'fail') {
            st.faulted++;
            return send(res, 503, { ok: false, error: 'sandbox fault: fail' });
        }
        if (fault.mode === 'timeout') {
            st.faulted++;
            return hold(req, res);
        }
    }

    let result;
    const ikey = key === undefined ? null : `${route}\n${key}`;
    const prev = ikey === null ? undefined : state.idem[svc].get(ikey);
    if (prev !== undefined) {
        st.duplicates++;
        info.dup = 1;
        result = prev;
    } else {
        let body;
        try {
            body = parseJson(buf);
            result = fn(body, { key, base: baseUrl(req) });
        } catch (e) {
            if (!(e instanceof BadRequest))
                throw e;
            result = [e.status, { ok: false, error: e.message }];
        }
        /* a rejected request did not act: a corrected retry with the same key must act */
        if (result[0] !== 400) {
            st.acted++;
            if (ikey !== null)
                state.idem[svc].set(ikey, result);
        }
    }
    /* "delay": the provider acts at once but answers late, like a slow gateway */
    if (fault && fault.mode === 'delay') {
        const sock = req.socket;
        await new Promise((resolve) => {
            const onClose = () => { clearTimeout(t); resolve(); };
            const t = setTimeout(() => { sock.removeListener('close', onClose); resolve(); }, fault.delay_ms);
            sock.once('close', onClose);
        });
        if (sock.destroyed)
            return;
    }
    send(res, result[0], result[1]);
}

/* ---------- SMS: Alibaba Cloud's protocol (sandbox/providers/aliyun_sms.js) ---------- */

/* "delay" fault: the provider has acted, the answer comes delay ms late */
async function lateAnswer(req, ms) {
    const sock = req.socket;
    await new Promise((resolve) => {
        const onClose = () => { clearTimeout(t); resolve(); };
        const t = setTimeout(() => { sock.removeListener('close', onClose); resolve(); }, ms);
        sock.once('close', onClose);
    });
}

const aliyunSms = require('./providers/aliyun_sms')({
    templatesFile: CONF.smsTemplates,
    keysDir: CONF.providerKeys,
    passFile: CONF.providerPass,
    state: () => state,
    takeFault, send, readBody, hold, lateAnswer, digits,
});

/* Tencent Cloud SMS, the second SMS provider (sandbox/providers/tencent_sms.js) */
const tencentSms = require('./providers/tencent_sms')({
    templates: aliyunSms.templates,
    keysDir: CONF.providerKeys,
    passFile: CONF.providerPass,
    state: () => state,
    takeFault, send, readBody, hold, lateAnswer, digits,
});

/* the provider's per-number limit for the next count SendSms to phone */
async function smsLimit(req, res) {
    const body = await jsonBody(req, res);
    if (body === null)
        return;
    const p = phone(body);
    const count = body.count ?? 1;
    if (!Number.isInteger(count) || count < 0 || count > 1000)
        throw new BadRequest('count 必须是 0..1000 的整数');
    const period = body.period ?? 'minute';
    if (!['minute', 'hour', 'day'].includes(period))
        throw new BadRequest('period 必须是 minute、hour 或 day');
    state.smsLimits.set(p, { count, period });
    send(res, 200, { ok: true, phone: p, count, period });
}

/* ---------- courier: SF Express's protocol (sandbox/providers/sf_express.js) ---------- */

const sfExpress = require('./providers/sf_express')({
    keysDir: CONF.providerKeys,
    passFile: CONF.providerPass,
    hallUrl: CONF.hallUrl,
    state: () => state,
    takeFault, send, readBody, hold, lateAnswer, digits,
});

/* ---------- partner platforms: the hall's status webhooks (sandbox/providers/partner.js) ---------- */

const partnerHooks = require('./providers/partner')({
    state: () => state,
    takeFault, send, readBody, hold, lateAnswer, BadRequest,
    jsonBody: (req, res) => jsonBody(req, res),
});

/* ---------- routes other than providers ---------- */

function queryOf(req) {
    return new URL(req.url, 'http://x').searchParams;
}

async function jsonBody(req, res) {
    const buf = await readBody(req, res);
    if (buf === null)
        return null;
    return parseJson(buf);
}

function limitParam(q) {
    const n = Number(q.get('limit') ?? MAX_ITEMS);
    return Number.isInteger(n) && n > 0 ? Math.min(n, MAX_ITEMS) : MAX_ITEMS;
}

function faultList() {
    const out = {};
    for (const [svc, f] of Object.entries(state.faults))
        out[svc] = { mode: f.mode, count: f.remaining, delay_ms: f.delay_ms };
    return { ok: true, faults: out };
}

async function setFault(req, res) {
    const body = await jsonBody(req, res);
    if (body === null)
        return;
    const svc = str(body, 'service', { max: 16 });
    if (!SERVICES.includes(svc))
        throw new BadRequest(`service 必须是 ${SERVICES.join('/')} 之一`);
    const mode = str(body, 'mode', { max: 16 });
    if (!MODES.includes(mode))
        throw new BadRequest(`mode 必须是 ${MODES.join('/')} 之一`);
    let count = null;
    if (body.count !== undefined && body.count !== null) {
        if (!Number.isInteger(body.count) || body.count < 1 || body.count > 1e6)
            throw new BadRequest('count 必须是正整数');
        count = body.count;
    }
    let delayMs = 1000;
    if (body.delay_ms !== undefined && body.delay_ms !== null) {
        if (!Number.isInteger(body.delay_ms) || body.delay_ms < 0 || body.delay_ms > HOLD_MS)
            throw new BadRequest(`delay_ms 必须是 0..${HOLD_MS} 的整数`);
        delayMs = body.delay_ms;
    }
    if (mode === 'ok')
        delete state.faults[svc];
    else
        state.faults[svc] = { mode, remaining: count, delay_ms: delayMs };
    send(res, 200, faultList());
}

function tradeFromPath(res, tradeNo) {
    const t = state.trades.get(tradeNo);
    if (!t)
        send(res, 404, { ok: false, error: '交易不存在' });
    return t;
}

function isForm(req) {
    return /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
}

async function payAction(req, res, tradeNo, action) {
    const buf = await readBody(req, res);
    if (buf === null)
        return;
    const t = state.trades.get(tradeNo);
    const form = isForm(req);
    if (!t) {
        if (form)
            return sendHtml(res, 404, page('交易不存在', '<h1>交易不存在</h1>'));
        return send(res, 404, { ok: false, error: '交易不存在' });
    }
    let conflict = null;
    if (action === 'confirm') {
        if (t.status === 'NOTPAY')
            markPaid(t);
        else if (t.status === 'CLOSED')
            conflict = '交易已取消';
    } else if (t.status === 'NOTPAY') {
        t.status = 'CLOSED';
    } else if (t.status !== 'CLOSED') {
        conflict = '交易已支付，不能取消';
    }
    if (form) {
        if (conflict === null && t.return_url) {
            res.writeHead(303, { Location: t.return_url, 'Content-Length': 0 });
            return res.end();
        }
        return sendHtml(res, conflict ? 409 : 200, payPage(t));
    }
    if (conflict)
        return send(res, 409, { ok: false, error: conflict, status: t.status });
    send(res, 200, { ok: true, trade_no: t.trade_no, status: t.status });
}

async function replayCallback(req, res, tradeNo) {
    const buf = await readBody(req, res);
    if (buf === null)
        return;
    const t = tradeFromPath(res, tradeNo);
    if (!t)
        return;
    if (t.paid_at === null)
        return send(res, 409, { ok: false, error: '交易未支付，没有回调可重发' });
    const q = queryOf(req);
    const times = Number(q.get('times') ?? 1);
    if (!Number.isInteger(times) || times < 1 || times > 100)
        throw new BadRequest('times 必须是 1..100 的整数');
    const bad = q.get('bad_signature') === '1';
    const results = [];
    for (let i = 0; i < times; i++) {
        const rec = await postCallback(t, { badSignature: bad, replay: !bad });
        rec.replay = true;
        remember(t, rec);
        results.push({ http_status: rec.http_status, acked: rec.acked, error: rec.error });
    }
    send(res, 200, { ok: true, results });
}

async function route(req, res, info) {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    const m = req.method;
    info.path = path;
    const key = `${m} ${path}`;
    let g;

    if (PROVIDERS[key])
        return provider(req, res, key, info);
    if (await tencentSms.route(req, res, info, url))
        return;
    if (await aliyunSms.route(req, res, info, url))
        return;
    if (await sfExpress.route(req, res, info, url))
        return;
    if (await partnerHooks.route(req, res, info, url))
        return;
    /* the payment gateways, in their own protocols */
    if (path.startsWith('/v3/'))
        return wechatPay.gateway(req, res, info);
    if (path === '/gateway.do' && (m === 'GET' || m === 'POST'))
        return alipay.gateway(req, res, info);

    if (key === 'GET /sandbox/health')
        return send(res, 200, { ok: true });
    if (key === 'POST /sandbox/reset') {
        resetAll();
        return send(res, 200, { ok: true });
    }
    if (key === 'GET /sandbox/faults')
        return send(res, 200, faultList());
    if (key === 'POST /sandbox/faults')
        return setFault(req, res);
    if (key === 'GET /sandbox/stats')
        return send(res, 200, { ok: true, stats: state.stats });

    if (key === 'GET /sandbox/sms') {
        const p = url.searchParams.get('phone');
        const wait = waitParam(url.searchParams);
        if (wait > 0 && p === null)
            throw new BadRequest('wait_ms 须与 phone 一起使用');
        const msgs = () => p === null ? state.sms.list(() => true, limitParam(url.searchParams)) :
            state.sms.listBy(p, limitParam(url.searchParams));
        /* wait_ms: until the phone has a message */
        return answerWhen(res, `sms:${p}`, wait, () => state.sms.index.has(p), () => send(res, 200, {
            ok: true,
            messages: msgs().map((x) => ({
                id: x.id, phone: x.phone, text: x.text, sign: x.sign, provider: x.provider, template_code: x.template_code,
                template_param: x.template_param, out_id: x.out_id, at: x.at, idempotency_key: x.idempotency_key,
            })),
        }));
    }
    if (key === 'GET /sandbox/sms/stats') {
        return send(res, 200, {
            ok: true,
            delivered: state.sms.size,
            duplicates: state.stats.sms.duplicates,
            by_key: Object.fromEntries(state.smsByKey.map),
            queries: state.smsQueries,
        });
    }
    if (key === 'POST /sandbox/sms/limit')
        return smsLimit(req, res);
    if (key === 'GET /sandbox/sms/requests')
        return send(res, 200, { ok: true, requests: state.smsRequests.slice(-limitParam(url.searchParams)).reverse() });

    if ((g = path.match(/^\/pay\/page\/([A-Za-z0-9]{1,64})$/)) && m === 'GET') {
        const t = state.trades.get(g[1]);
        if (!t)
            return sendHtml(res, 404, page('交易不存在', '<h1>交易不存在</h1>'));
        /* WeChat H5: where the browser goes back to (the hall appends it) */
        const back = url.searchParams.get('redirect_url');
        if (t.channel === 'wechat' && back && /^https?:\/\/[^\s"<>]+$/.test(back))
            t.return_url = back;
        return sendHtml(res, 200, payPage(t));
    }
    if ((g = path.match(/^\/pay\/page\/([A-Za-z0-9]{1,64})\/(confirm|cancel)$/)) && m === 'POST')
        return payAction(req, res, g[1], g[2]);
    if ((g = path.match(/^\/sandbox\/pay\/([A-Za-z0-9]{1,64})\/callback$/)) && m === 'POST')
        return replayCallback(req, res, g[1]);
    if ((g = path.match(/^\/sandbox\/pay\/([A-Za-z0-9]{1,64})$/)) && m === 'GET') {
        const wait = waitParam(url.searchParams);
        const t = tradeFromPath(res, g[1]);
        if (!t)
            return;
        /* wait_ms: until the notification is settled (ACKED or GAVE_UP) */
        return answerWhen(res, `trade:${t.trade_no}`, wait,
            () => t.notify.state === 'ACKED' || t.notify.state === 'GAVE_UP', () => send(res, 200, {
                ok: true, ...tradePublic(t), notify_url: t.notify_url, return_url: t.return_url,
                refunds: t.refunds.map((r) => ({ refund_no: r.refund_no, out_refund_no: r.out_refund_no, amount_fen: r.amount_fen, at: r.at, notify: r.notify ?? null })),
                notify: t.notify,
            }));
    }

    if (key === 'POST /sandbox/pay/refund-processing') {
        const body = await jsonBody(req, res);
        if (body === null)
            return;
        if (!Number.isInteger(body.count) || body.count < 0 || body.count > 1000)
            throw new BadRequest('count 必须是 0..1000 的整数');
        state.refundProcessing = body.count;
        return send(res, 200, { ok: true, count: body.count });
    }
    if (key === 'GET /sandbox/wxpay/requests')
        return send(res, 200, { ok: true, requests: state.wxRequests.list(() => true, limitParam(url.searchParams)) });

    if (key === 'GET /sandbox/bank/transfers') {
        const a = url.searchParams.get('account_no');
        const wait = waitParam(url.searchParams);
        if (wait > 0 && a === null)
            throw new BadRequest('wait_ms 须与 account_no 一起使用');
        const acct = a === null ? null : a.replace(/[ -]/g, '');
        const list = () => acct === null ? state.transfers.list(() => true, limitParam(url.searchParams)) :
            state.transfers.listBy(acct, limitParam(url.searchParams));
        /* wait_ms: until the account has a transfer */
        return answerWhen(res, `transfer:${acct}`, wait, () => state.transfers.index.has(acct),
            () => send(res, 200, { ok: true, transfers: list() }));
    }

    if (key === 'POST /sandbox/carrier') {
        const body = await jsonBody(req, res);
        if (body === null)
            return;
        const p = phone(body);
        const name = str(body, 'name', { max: 100 });
        const idn = str(body, 'id_number', { max: 32 });
        state.carrier.set(p, { name, id_number: idn });
        return send(res, 200, { ok: true });
    }

    if (key === 'GET /sandbox/courier/waybills') {
        const o = url.searchParams.get('order_no');
        return send(res, 200, {
            ok: true, waybills: state.waybills.list((x) => o === null || x.order_no === o, limitParam(url.searchParams)),
        });
    }

    if (key === 'GET /sandbox/mail') {
        const to = url.searchParams.get('to');
        return send(res, 200, {
            ok: true, messages: state.mail.list((x) => to === null || x.to === to, limitParam(url.searchParams)),
        });
    }

    /* the parcel was signed for: the carrier's route push (opCode 80) to the
     * hall, signed as SF signs (sandbox/providers/sf_express.js); calling it
     * again sends the same event again (the hall must apply it once);
     * ?bad_digest=1 and ?stale_s=N send a forged or an old one */
    if ((g = path.match(/^\/sandbox\/courier\/([A-Za-z0-9]{4,32})\/deliver$/)) && m === 'POST') {
        const w = state.waybills.get(g[1]);
        if (!w)
            return send(res, 404, { ok: false, error: '运单不存在' });
        if (w.status === 'CANCELLED')
            return send(res, 409, { ok: false, error: '运单已取消' });
        const stale = Number(url.searchParams.get('stale_s') ?? 0);
        const rec = await sfExpress.pushDelivered(w, {
            badDigest: url.searchParams.get('bad_digest') === '1',
            staleMs: Number.isInteger(stale) && stale > 0 ? stale * 1000 : 0,
        });
        log({ event: 'courier_delivered', waybill_no: w.waybill_no, status: rec.http_status ?? rec.error, acked: rec.acked });
        return send(res, 200, { ok: true, ...rec });
    }

    if (key === 'GET /sandbox/invoices') {
        const o = url.searchParams.get('order_no');
        return send(res, 200, {
            ok: true, invoices: state.invoices.list((x) => o === null || x.order_no === o, limitParam(url.searchParams)),
        });
    }
    if ((g = path.match(/^\/invoice\/([0-9]{1,32})$/)) && m === 'GET') {
        const inv = state.invoices.get(g[1]);
        if (!inv)
            return sendHtml(res, 404, page('发票不存在', '<h1>发票不存在</h1>'));
        return sendHtml(res, 200, invoicePage(inv));
    }

    send(res, 404, { ok: false, error: 'not found' });
}

const server = http.createServer((req, res) => {
    const t0 = process.hrtime.bigint();
    /* never the query string: it may carry phones or account numbers */
    const info = { method: req.method, path: (req.url ?? '').split('?')[0].slice(0, 200) };
    res.on('close', () => {
        info.status = res.headersSent ? res.statusCode : '-';
        info.ms = Number((process.hrtime.bigint() - t0) / 1000000n);
        log(info);
    });
    route(req, res, info).catch((e) => {
        if (res.headersSent) {
            res.destroy();
            return;
        }
        if (e instanceof BadRequest)
            return send(res, e.status, { ok: false, error: e.message });
        info.error = e.name;
        send(res, 500, { ok: false, error: 'sandbox internal error' });
    });
});
server.headersTimeout = 30000;
server.requestTimeout = 60000;
/* Idle keep-alive connections are closed by the clients, never by the
 * sandbox: a server closing one races with a client sending its next request
 * on it, and node 18's fetch (Debian 12) then fails with "fetch failed"
 * (5 integration tests on a loaded machine).  Without a timeout node sends
 * no Keep-Alive hint and fetch closes its idle sockets itself after 4 s;
 * shutdown() closes what is left. */
server.keepAliveTimeout = 0;

server.on('error', (e) => {
    process.stderr.write(`sandbox: ${e.code ?? e.message}\n`);
    process.exit(1);
});

server.listen(CONF.port, CONF.host, () => {
    log({ msg: 'listening', addr: `${CONF.host}:${server.address().port}` });
});

let stopping = false;
function shutdown(sig) {
    if (stopping)
        return;
    stopping = true;
    log({ msg: 'shutdown', signal: sig });
    generation++;
    for (const t of timers)
        clearTimeout(t);
    timers.clear();
    releaseHeld();
    answerWaiters();
    /* let the last response 'close' events (and their log lines) run first */
    server.close(() => setTimeout(() => process.exit(0), 20));
    server.closeIdleConnections();
    setTimeout(() => {
        server.closeAllConnections();
        process.exit(0);
    }, 3000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
