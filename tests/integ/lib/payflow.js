'use strict';
/*
 * Helpers for the payment and financial-authentication tests: orders made
 * the real way (POST /new/apply) and then set unpaid with SQL for the steps
 * not built yet, the sandbox gateway and bank, callbacks signed (or forged)
 * with the test hall's sandbox secret, multipart uploads.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { HALL, SANDBOX } = require('./client');

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

/* POST /pay/online; returns the gateway's trade number */
async function payOnline(c, id, channel = 'wechat', base = '') {
    const r = await c.post(`${base}/pay/online`, { id, channel });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.redirect.startsWith(`${SANDBOX}/pay/page/`), r.body.redirect);
    return r.body.redirect.split('/').pop();
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

function secret() {
    const v = process.env.HALL_VAR;
    assert.ok(v, 'HALL_VAR is set by script/test');
    return fs.readFileSync(path.join(v, 'keys', 'sandbox.secret'), 'utf8').trim();
}

function sign(raw, key = secret()) {
    return crypto.createHmac('sha256', key).update(raw).digest('hex');
}

/* a callback as the gateway would send it, signed unless told otherwise */
async function sendCallback(fields, { signature } = {}) {
    const raw = JSON.stringify({
        status: 'SUCCESS', paid_at: new Date().toISOString(),
        timestamp: Math.floor(Date.now() / 1000), ...fields,
    });
    const r = await fetch(`${HALL}/pay/callback`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Sandbox-Signature': signature ?? sign(raw) },
        body: raw,
    });
    return { status: r.status, text: await r.text() };
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

/* a staff member logged in to the console, with the staff CSRF token */
async function staffLogin(login, password) {
    const { Client } = require('./client');
    const c = new Client();
    await c.get('/admin/login');
    const r = await c.post('/admin/login', { login, password });
    assert.equal(r.status, 200, r.text);
    await c.get('/admin');
    return c;
}

/* an organisation order paid online, its micro-deposit code typed: 待审核 */
async function inReview(form) {
    const { applicant } = require('./client');
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

module.exports = {
    psql, freshAccount, orgForm, personForm, unpaidOrder, orderStatus, waitFor, waitStatus,
    sandbox, payOnline, confirmTrade, lastTransfer, memoCode, secret, sign, sendCallback, upload,
    PNG, allLogs, staffLogin, inReview, approve,
};
