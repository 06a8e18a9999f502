'use strict';
/*
 * Helpers for the payment and financial-authentication tests: orders made
 * the real way (POST /new/apply) and then set unpaid with SQL for the steps
 * not built yet, the sandbox gateways (WeChat Pay v3, Alipay) and bank,
 * notifications built with the providers' SDKs (wechatpay-axios-plugin,
 * alipay-sdk) and the sandbox's keys (or forged), multipart uploads.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { HALL, SANDBOX, Client, applicant } = require('./client');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

/* a basic-account number of our own: 19 digits, never ending in 0000 */
function freshAccount(failing = false) {
    const n = `4000${String(Date.now()).slice(-9)}${crypto.randomInt(100000, 999999)}`;
    return failing ? n.slice(0, -4) + '0000' : n.replace(/0000$/, '0001');
}

function orgForm(extra = {}) {
    return {
        cert_type: 'org', years: '1',
        org_name: '深圳测试科技有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园1号',
        legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
        agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: '13900139000',
        agent_email: 'agent@example.com', agent_title: '行政专员',
        bank_account_name: '深圳测试科技有限公司', bank_branch_id: '19',
        bank_account: freshAccount(),
        mail_province: '440000', mail_city: '440300', mail_district: '440305',
        mail_town: '', mail_address: '科技园1号', mail_postcode: '518057',
        mail_receiver: '李四', mail_mobile: '13900139000', shipping: 'collect',
        invoice: 'yes', invoice_title_type: 'org', invoice_title: '深圳测试科技有限公司',
        invoice_taxid: '91110000600037341L',
        ...extra,
    };
}

function personForm(extra = {}) {
    return {
        cert_type: 'person', years: '2',
        app_name: '王五', app_ric: '44011320141005001x', app_mobile: '13700137000',
        app_email: 'wang@example.com',
        mail_province: '440000', mail_city: '441900', mail_town: '441900003',
        mail_address: '东城街道2号', mail_receiver: '王五', mail_mobile: '13700137000',
        shipping: 'collect', invoice: 'no',
        ...extra,
    };
}

/* agreements, then POST /new/apply; the order is set unpaid by SQL (the
 * upload and identity steps before payment are not built yet) */
async function unpaidOrder(c, { project = 'jieyang', base = '', form = orgForm() } = {}) {
    const page = await c.get(`${base}/new?project=${project}`);
    assert.equal(page.status, 200);
    const a = await c.post(`${base}/new/agree`, { project, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const r = await c.post(`${base}/new/apply`, { project, ...form });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'unpaid' WHERE id = ${id}`);
    await c.get(`${base}/pay?id=${id}`); /* a page: fresh CSRF token */
    return { id, account: form.bank_account, form };
}

function orderStatus(id) {
    return psql(`SELECT status FROM orders WHERE id = ${id}`);
}

async function waitFor(what, fn, ms = 20000) {
    const t0 = Date.now();
    let last;
    while (Date.now() - t0 < ms) {
        last = await fn();
        if (last)
            return last;
        await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

async function waitStatus(id, want, ms) {
    return waitFor(`order ${id} to be ${want}`, () => orderStatus(id) === want, ms);
}

async function sandbox(p, { method = 'GET', body } = {}) {
    const r = await fetch(SANDBOX + p, {
        method,
        headers: body !== undefined ? { 'Content-Type': 'application/json' } : {},
        body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: await r.json() };
}

/* POST /pay/online; returns the gateway's trade number: WeChat Native's
 * code_url (weixin://wxpay/bizpayurl?pr=TRADE) read from the QR code's
 * page, or the sandbox cashier Alipay's gateway.do sends the browser to */
async function payOnline(c, id, channel = 'wechat', base = '') {
    const r = await c.post(`${base}/pay/online`, { id, channel });
    assert.equal(r.status, 200, r.text);
    if (channel === 'wechat') {
        assert.equal(r.body.redirect, `${base}/pay?id=${id}&qr=wechat`);
        const page = await c.get(r.body.redirect);
        const m = page.text.match(/data-code-url="weixin:\/\/wxpay\/bizpayurl\?pr=([0-9]+)"/);
        assert.ok(m, 'the pay page shows the trade\'s code_url as a QR code');
        return m[1];
    }
    assert.ok(r.body.redirect.startsWith(`${SANDBOX}/gateway.do?`), r.body.redirect);
    const g = await fetch(r.body.redirect, { redirect: 'manual' });
    assert.equal(g.status, 303, await g.text());
    return g.headers.get('location').split('/').pop();
}

async function confirmTrade(tradeNo) {
    const r = await sandbox(`/pay/page/${tradeNo}/confirm`, { method: 'POST', body: {} });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
}

/* the newest micro-deposit to an account, as the finance department sees it */
async function lastTransfer(account, after = null) {
    return waitFor(`a transfer to the account`, async () => {
        const r = await sandbox(`/sandbox/bank/transfers?account_no=${account}`);
        const t = r.body.transfers[0];
        return t && t.transfer_no !== after ? t : null;
    });
}

function memoCode(t) {
    const m = t.memo.match(/(\d{6})/);
    assert.ok(m, `memo carries a 6-digit code: ${t.memo}`);
    return m[1];
}

/* the test hall's keys (script/lib/paykeys.sh) */
function keyFile(...p) {
    const v = process.env.HALL_VAR;
    assert.ok(v, 'HALL_VAR is set by script/test');
    return fs.readFileSync(path.join(v, 'keys', ...p), 'utf8');
}

/* one of the hall's private keys, kept encrypted with the key-encryption
 * passphrase (pki.pass in HALL_CRED, outside var/)
 * (script/lib/keyenc.sh), in clear PKCS#8 PEM for the SDKs */
function privateKeyFile(...p) {
    return crypto.createPrivateKey({ key: keyFile(...p), format: 'pem', passphrase: fs.readFileSync(path.join(process.env.HALL_CRED
        || `${process.env.HALL_VAR}-credentials`, 'pki.pass'), 'utf8').split('\n')[0] })
        .export({ type: 'pkcs8', format: 'pem' });
}

const WX_MCHID = '1900000001';
const WX_APPID = 'wx8888888888888888';
const WX_KEY_ID = 'PUB_KEY_ID_0119000000012026000000000001';
const ALI_APP_ID = '2021000000000001';

/* a WeChat Pay v3 payment notification as the gateway makes one, with the
 * SDK's helpers: the transaction encrypted AEAD_AES_256_GCM under the APIv3
 * key, the body signed with "WeChat Pay"'s key over
 * "timestamp\nnonce\nbody\n".  fields override the transaction; opts:
 * timestamp, signature, serial, event, apiv3 (another key) */
function wxNotification(fields, opts = {}) {
    const { Aes, Rsa, Formatter } = require('wechatpay-axios-plugin');
    /* WeChat Pay's copy of the key (the hall keeps its own encrypted) */
    const apiv3 = opts.apiv3 ?? keyFile('sandbox', `wechat-${WX_MCHID}`, 'apiv3.key').trim();
    const nonce = Formatter.nonce(12);
    const plain = JSON.stringify({
        mchid: WX_MCHID, appid: WX_APPID, trade_type: 'NATIVE', trade_state: 'SUCCESS',
        trade_state_desc: '支付成功', bank_type: 'OTHERS',
        success_time: new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 19) + '+08:00',
        payer: { openid: 'oTest' }, ...fields,
    });
    const body = JSON.stringify({
        id: crypto.randomUUID(), create_time: new Date().toISOString(), resource_type: 'encrypt-resource',
        event_type: opts.event ?? 'TRANSACTION.SUCCESS', summary: '支付成功',
        resource: {
            original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction', nonce,
            ciphertext: Aes.AesGcm.encrypt(plain, apiv3, nonce, 'transaction'),
        },
    });
    const ts = String(opts.timestamp ?? Formatter.timestamp());
    const hnonce = Formatter.nonce();
    const sig = opts.signature ?? Rsa.sign(Formatter.response(ts, hnonce, body), keyFile('sandbox', 'wechatpay_key.pem'));
    return {
        body,
        headers: {
            'Content-Type': 'application/json', 'Wechatpay-Timestamp': ts, 'Wechatpay-Nonce': hnonce,
            'Wechatpay-Serial': opts.serial ?? WX_KEY_ID, 'Wechatpay-Signature': sig,
        },
    };
}

async function postNotification(p, n) {
    const r = await fetch(`${HALL}${p}`, { method: 'POST', headers: n.headers, body: n.body });
    return { status: r.status, text: await r.text() };
}

/* a WeChat Pay notification of a payment, to the hall */
async function sendCallback(fields, opts) {
    return postNotification('/pay/notify/wechat', wxNotification(fields, opts));
}

/* an Alipay asynchronous notification: form parameters signed RSA2 over
 * the sorted rest (sign and sign_type left out), checked with alipay-sdk's
 * own verifier before it goes; fields override, opts.sign forges, opts.at
 * is its notify_time, opts.omit a field left out */
function aliNotification(fields, opts = {}) {
    const { AlipaySdk } = require('alipay-sdk');
    const bj = (d) => new Date(d.getTime() + 8 * 3600000).toISOString().slice(0, 19).replace('T', ' ');
    const p = {
        notify_time: bj(opts.at ?? new Date()), notify_type: 'trade_status_sync',
        notify_id: crypto.randomBytes(16).toString('hex'), app_id: ALI_APP_ID, charset: 'utf-8',
        version: '1.0', sign_type: 'RSA2', trade_status: 'TRADE_SUCCESS', gmt_payment: bj(new Date()),
        seller_id: '2088000000000001', ...fields,
    };
    if (opts.omit)
        delete p[opts.omit];
    const text = Object.keys(p).filter((k) => k !== 'sign' && k !== 'sign_type').sort().map((k) => `${k}=${p[k]}`).join('&');
    p.sign = opts.sign ?? crypto.createSign('RSA-SHA256').update(text).sign(keyFile('sandbox', 'alipay_key.pem'), 'base64');
    if (!opts.sign) {
        const sdk = new AlipaySdk({
            appId: ALI_APP_ID, privateKey: privateKeyFile('pay', `alipay-${ALI_APP_ID}`, 'app_private_key.pem'),
            alipayPublicKey: keyFile('pay', `alipay-${ALI_APP_ID}`, 'alipay_public_key.pem'), keyType: 'PKCS8',
        });
        assert.ok(sdk.checkNotifySign({ ...p }), 'alipay-sdk accepts the notification');
    }
    return { body: new URLSearchParams(p).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } };
}

async function sendAliCallback(fields, opts) {
    return postNotification('/pay/notify/alipay', aliNotification(fields, opts));
}

/* multipart POST of one file (field "voucher" unless told) */
async function upload(c, p, fields, file, { csrf = true, field = 'voucher' } = {}) {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields))
        fd.append(k, String(v));
    if (file)
        fd.append(field, new Blob([file.bytes], { type: file.type || 'application/octet-stream' }), file.name);
    const headers = { Cookie: c.cookieHeader(), Accept: 'application/json' };
    if (csrf)
        headers['X-CSRF-Token'] = c.csrf;
    const res = await fetch(c.base + p, { method: 'POST', headers, body: fd, redirect: 'manual' });
    const text = await res.text();
    let body = null;
    try {
        body = JSON.parse(text);
    } catch {
        body = null;
    }
    return { status: res.status, body, text };
}

/* a staff member logged in to the console (password and TOTP code,
 * tests/integ/lib/staff.js), with the staff CSRF token */
async function staffLogin(login, password) {
    return require('./staff').staffLogin(login, password);
}

/* an organisation order paid online, its micro-deposit code typed: 待审核 */
async function inReview(form) {
    const c = await applicant();
    const o = await unpaidOrder(c, { form });
    await confirmTrade(await payOnline(c, o.id));
    await waitStatus(o.id, 'finauth_ok');
    const code = memoCode(await lastTransfer(o.account));
    await c.get(`/finauth?id=${o.id}`);
    const r = await c.post('/finauth/code', { id: o.id, code });
    assert.equal(r.status, 200, r.text);
    assert.equal(orderStatus(o.id), 'review');
    return { c, id: o.id, form, account: o.account, no: psql(`SELECT order_no FROM orders WHERE id = ${o.id}`) };
}

/* the reviewer's 成功受理 */
async function approve(id) {
    const s = await staffLogin('reviewer', 'Reviewer2026demo');
    await s.get(`/admin/order?id=${id}`);
    const r = await s.post('/admin/order/approve', { id });
    assert.equal(r.status, 200, r.text);
}

/* a real 1x1 PNG */
const PNG = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64');

/* every log of the test hall, for "never logged" checks */
function allLogs() {
    const dir = path.join(process.env.HALL_VAR, 'log');
    return fs.readdirSync(dir).filter((f) => f.endsWith('.log'))
        .map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

/* a 证书新办 of the project taken the real way up to payment: agreements,
 * the form, print, the three scans of an organisation, the agent's OCR and
 * liveness on a phone (the sandbox's markers); the order's id and the
 * identity status's next page */
const SCAN = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const SCAN_PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const ID_BACK = Buffer.concat([SCAN, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);

async function throughIdentity(c, form, project = 'jieyang') {
    await c.get(`/new?project=${project}`);
    const a = await c.post('/new/agree', { project, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const r = await c.post('/new/apply', { project, ...form });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal((await c.post('/new/printed', { id })).status, 200);
    await c.get(`/new/upload?id=${id}`);
    for (const kind of ['application', 'license', 'agent_id']) {
        const u = await c.postMultipart('/new/upload', { id, kind },
            { file: { name: `${kind}.jpg`, data: kind === 'license' ? SCAN_PDF : SCAN } });
        assert.equal(u.status, 200, `${kind}: ${u.text}`);
    }
    assert.equal((await c.post('/new/uploaded', { id })).status, 200);
    const page = await c.get(`/new/identity?id=${id}`);
    assert.equal(page.status, 200);
    const href = page.text.match(/href="([^"]*\/new\/m\/verify\?t=[^"]+)"/)[1].replace(/&amp;/g, '&');
    const t = new URL(href).searchParams.get('t');
    const phone = new Client();
    assert.equal((await phone.get(`/new/m/verify?t=${t}`)).status, 200);
    let p = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([SCAN, Buffer.from(`SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
        back: { name: 'b.jpg', data: ID_BACK } });
    assert.equal(p.status, 200, p.text);
    p = await phone.postMultipart('/new/m/liveness', { t }, { media: { name: 'v.mp4', data: SCAN } });
    assert.equal(p.status, 200, p.text);
    const st = await c.getJSON(`/new/identity/status?id=${id}`);
    assert.equal(st.body.status, 'passed');
    return { id, next: st.body.next };
}

/* a new applicant at 证书新办's form: registered, both agreements accepted */
async function atNewForm(project = 'jieyang') {
    const c = await applicant();
    assert.equal((await c.get(`/new?project=${project}`)).status, 200);
    const a = await c.post('/new/agree', { project, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    return c;
}

/* seed 003's 是否办理电子签章 step (建筑工务署, core/flow/sealstep.c): seal
 * 'yes' or 'no' kept for the next 录入信息 of a new application, or of the
 * order id; returns where it leads */
async function sealStep(c, seal, { base = '/szjsgws', project = 'szjsgws', id } = {}) {
    const r = await c.post(`${base}/new/seal`, id ? { id, seal } : { project, seal });
    assert.equal(r.status, 200, r.text);
    return r.body.redirect;
}

module.exports = {
    sealStep, atNewForm, psql, freshAccount, orgForm, personForm, unpaidOrder, orderStatus, waitFor, waitStatus,
    sandbox, payOnline, confirmTrade, lastTransfer, memoCode, sendCallback, upload, keyFile, privateKeyFile,
    wxNotification, aliNotification, sendAliCallback, postNotification, WX_MCHID, WX_APPID, WX_KEY_ID,
    ALI_APP_ID,
    PNG, allLogs, staffLogin, inReview, approve, throughIdentity,
};
