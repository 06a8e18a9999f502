'use strict';
/*
 * Integration tests for sandbox/sandbox.js: run with
 *   node --test tests/integ/sandbox.test.js
 * Starts its own sandbox on a free port (never touches a shared one, even
 * when HALL_SANDBOX_URL is set) with a short callback backoff.
 */

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const crypto = require('node:crypto');
const path = require('node:path');

const SCRIPT = path.join(__dirname, '..', '..', 'sandbox', 'sandbox.js');
let child;
let base;
/* the payment gateways' keys and a merchant's, made as script/server makes them */
const KEYS = require('node:fs').mkdtempSync(path.join(require('node:os').tmpdir(), 'sandbox-keys-'));
/* the merchants' keys are kept encrypted with the SM2 keys' passphrase (pki-init.sh makes it) */
require('node:fs').writeFileSync(path.join(KEYS, 'pki.pass'), `${crypto.randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
require('node:child_process').execFileSync(path.join(__dirname, '..', '..', 'script', 'lib', 'paykeys.sh'), [KEYS],
    { env: { ...process.env, HALL_PKI_PASS_FILE: path.join(KEYS, 'pki.pass') } });

before(async () => {
    child = spawn(process.execPath, [SCRIPT, '--port', '0', '--callback-backoff-ms', '40'],
        { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HALL_SANDBOX_KEYS: path.join(KEYS, 'sandbox') } });
    base = await new Promise((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => reject(new Error('sandbox did not start')), 5000);
        child.stdout.on('data', (c) => {
            buf += c;
            const m = buf.match(/msg=listening addr=(127\.0\.0\.1:\d+)/);
            if (m) {
                clearTimeout(timer);
                resolve(`http://${m[1]}`);
            }
        });
        child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
    });
    child.stdout.resume();
});

after(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const code = await exited;
    require('node:fs').rmSync(KEYS, { recursive: true, force: true });
    assert.equal(code, 0, 'clean exit on SIGTERM');
});

beforeEach(async () => {
    await post('/sandbox/reset', {});
});

async function post(p, body, headers = {}, opts = {}) {
    const r = await fetch(base + p, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
        ...opts,
    });
    return { status: r.status, json: await r.json() };
}

async function get(p) {
    const r = await fetch(base + p);
    return { status: r.status, json: await r.json() };
}

/* the sandbox's own JSON protocol (e-mail here; SMS speaks Alibaba Cloud's,
 * tests/integ/sms_aliyun.test.js) */
const MAIL = { to: 'agent@example.com', subject: '【深圳CA】电子发票 1', text: '您好' };

test('provider__repeated_idempotency_key__acted_on_once', async () => {
    const a = await post('/mail/send', MAIL, { 'Idempotency-Key': 'outbox-1' });
    const b = await post('/mail/send', MAIL, { 'Idempotency-Key': 'outbox-1' });
    const c = await post('/mail/send', { ...MAIL, text: 'second' }, { 'Idempotency-Key': 'outbox-2' });
    assert.equal(a.status, 200);
    assert.equal(a.json.ok, true);
    assert.deepEqual(b.json, a.json);
    assert.notEqual(c.json.id, a.json.id);

    const list = await get('/sandbox/mail?to=agent@example.com');
    assert.equal(list.json.messages.length, 2);
    assert.equal(list.json.messages[0].text, 'second', 'newest first');
    assert.equal(list.json.messages[1].idempotency_key, 'outbox-1');

    const stats = (await get('/sandbox/stats')).json.stats.mail;
    assert.equal(stats.acted, 2);
    assert.equal(stats.duplicates, 1);
});

test('provider__malformed_or_oversized_body__400_and_413', async () => {
    const bad = await post('/mail/send', '{"to":');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.ok, false);
    assert.match(bad.json.error, /JSON/);

    const noTo = await post('/mail/send', { subject: 'x', text: 'x' }, { 'Idempotency-Key': 'k' });
    assert.equal(noTo.status, 400);
    /* a rejected call did not act: the corrected retry with the same key does */
    const fixed = await post('/mail/send', MAIL, { 'Idempotency-Key': 'k' });
    assert.equal(fixed.status, 200);

    const big = await post('/ocr/idcard', Buffer.alloc(4 * 1024 * 1024 + 10, 0x20));
    assert.equal(big.status, 413);
    assert.equal(big.json.ok, false);
});

test('faults__fail_with_count__503_then_back_to_ok', async () => {
    const set = await post('/sandbox/faults', { service: 'mail', mode: 'fail', count: 2 });
    assert.deepEqual(set.json.faults.mail, { mode: 'fail', count: 2, delay_ms: 1000 });

    const r1 = await post('/mail/send', MAIL, { 'Idempotency-Key': 'f1' });
    const r2 = await post('/mail/send', MAIL, { 'Idempotency-Key': 'f1' });
    const r3 = await post('/mail/send', MAIL, { 'Idempotency-Key': 'f1' });
    assert.equal(r1.status, 503);
    assert.equal(r1.json.ok, false);
    assert.equal(r2.status, 503);
    assert.equal(r3.status, 200);

    assert.deepEqual((await get('/sandbox/faults')).json.faults, {});
    const stats = (await get('/sandbox/stats')).json.stats.mail;
    assert.equal(stats.acted, 1, 'failed calls did not act');
    assert.equal(stats.calls, 3, 'every call is counted');
    assert.equal(stats.faulted, 2);

    /* other services are not affected */
    await post('/sandbox/faults', { service: 'bank', mode: 'fail' });
    assert.equal((await post('/mail/send', MAIL)).status, 200);
});

test('faults__delay_answers_late_and_timeout_never_answers', async () => {
    await post('/sandbox/faults', { service: 'courier', mode: 'delay', delay_ms: 250, count: 1 });
    const t0 = Date.now();
    const slow = await post('/courier/quote', { province: '广东省', city: '深圳市' });
    assert.ok(Date.now() - t0 >= 240, 'answered after delay_ms');
    assert.equal(slow.json.fee_fen, 1300);
    /* count 1: the fault is used up, so the next call is not delayed (asked
     * of the sandbox, not timed: no upper bound on a loaded machine) */
    assert.equal((await get('/sandbox/faults')).json.faults.courier, undefined, 'count 1: fault used up');
    assert.equal((await post('/courier/quote', { province: '广东省' })).status, 200);

    await post('/sandbox/faults', { service: 'carrier', mode: 'timeout' });
    await assert.rejects(
        post('/carrier/verify', { name: '张三', id_number: '110101199003071234', phone: '13800138000' }, {},
            { signal: AbortSignal.timeout(300) }),
        (e) => e.name === 'TimeoutError');
    const faults = (await get('/sandbox/faults')).json.faults;
    assert.equal(faults.carrier.mode, 'timeout');
    await post('/sandbox/faults', { service: 'carrier', mode: 'ok' });
    const ok = await post('/carrier/verify', { name: '张三', id_number: '110101199003071234', phone: '13800138000' });
    assert.equal(ok.json.match, true);
});

/* a WeChat Pay API v3 call signed by the merchant with wechatpay-axios-plugin's
 * helpers; the answer's signature checked with them too */
async function wxCall(method, uri, body, { sign = true } = {}) {
    const { Rsa, Formatter } = require('wechatpay-axios-plugin');
    const fs = require('node:fs');
    const dir = path.join(KEYS, 'pay', 'wechat-1900000001');
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'apiclient_cert.pem')));
    const raw = body === undefined ? '' : JSON.stringify(body);
    const ts = Formatter.timestamp();
    const nonce = Formatter.nonce();
    const sig = Rsa.sign(Formatter.request(method, uri, ts, nonce, raw), crypto.createPrivateKey({
        key: fs.readFileSync(path.join(dir, 'apiclient_key.pem')),
        passphrase: fs.readFileSync(path.join(KEYS, 'pki.pass'), 'utf8').trim(),
    }).export({ type: 'pkcs8', format: 'pem' }));
    const headers = { Accept: 'application/json' };
    if (body !== undefined)
        headers['Content-Type'] = 'application/json';
    if (sign)
        headers.Authorization = `WECHATPAY2-SHA256-RSA2048 ${Formatter.authorization('1900000001', nonce, sig, ts, cert.serialNumber)}`;
    const r = await fetch(base + uri, { method, headers, body: body === undefined ? undefined : raw });
    const text = await r.text();
    const h = (n) => r.headers.get(n);
    const verified = Rsa.verify(Formatter.response(h('wechatpay-timestamp'), h('wechatpay-nonce'), text),
        h('wechatpay-signature') ?? '', fs.readFileSync(path.join(dir, 'wechatpay_pub.pem'), 'utf8'));
    return { status: r.status, json: text ? JSON.parse(text) : null, verified, serial: h('wechatpay-serial') };
}

test('pay_wechat__sdk_signed_order__notified_signed_encrypted_retried_replayable', async () => {
    const { Rsa, Formatter, Aes } = require('wechatpay-axios-plugin');
    const fs = require('node:fs');
    const dir = path.join(KEYS, 'pay', 'wechat-1900000001');
    const platform = fs.readFileSync(path.join(dir, 'wechatpay_pub.pem'), 'utf8');
    /* the merchant's APIv3 key, kept encrypted as the hall keeps it */
    const apiv3 = require('node:child_process').execFileSync(path.join(__dirname, '..', '..', 'script', 'lib', 'keyenc.sh'),
        ['--open', path.join(KEYS, 'pki.pass'), path.join(dir, 'apiv3.key')], { encoding: 'utf8' });
    assert.equal(apiv3.length, 32);
    const seen = [];
    let answers = [500, 204];
    const hall = http.createServer((req, res) => {
        let raw = '';
        req.setEncoding('utf8');
        req.on('data', (c) => { raw += c; });
        req.on('end', () => {
            seen.push({ raw, h: req.headers });
            const a = answers.length ? answers.shift() : 204;
            res.writeHead(a, { 'Content-Type': 'application/json' });
            res.end(a === 204 ? '' : '{"code":"FAIL","message":"busy"}');
        });
    });
    await new Promise((r) => hall.listen(0, '127.0.0.1', r));
    const notify = `http://127.0.0.1:${hall.address().port}/pay/notify/wechat`;
    try {
        const unsigned = await wxCall('POST', '/v3/pay/transactions/native', { mchid: '1900000001' }, { sign: false });
        assert.equal(unsigned.status, 401);
        assert.equal(unsigned.json.code, 'SIGN_ERROR');
        const order = { appid: 'wx8888888888888888', mchid: '1900000001', description: '机构证书', out_trade_no: 'SZCA-000001',
            notify_url: notify, amount: { total: 35000, currency: 'CNY' } };
        const c = await wxCall('POST', '/v3/pay/transactions/native', order);
        assert.equal(c.status, 200, JSON.stringify(c.json));
        assert.ok(c.verified, 'the answer is signed with the platform key');
        assert.equal(c.serial, 'PUB_KEY_ID_0119000000012026000000000001');
        const tn = c.json.code_url.match(/^weixin:\/\/wxpay\/bizpayurl\?pr=(\d+)$/)[1];
        const same = await wxCall('POST', '/v3/pay/transactions/native', order);
        assert.equal(same.json.code_url, c.json.code_url, 'the same order again: the same trade');

        const html = await (await fetch(`${base}/pay/page/${tn}`)).text();
        assert.match(html, /￥350\.00/);
        assert.match(html, /确认支付/);
        assert.match(html, /取消/);
        const paid = await post(`/pay/page/${tn}/confirm`, {});
        assert.equal(paid.json.status, 'SUCCESS');

        let st;
        for (let i = 0; i < 50; i++) {
            st = (await get(`/sandbox/pay/${tn}`)).json;
            if (st.notify.state === 'ACKED')
                break;
            await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(st.notify.state, 'ACKED');
        assert.equal(seen.length, 2, 'retried after the 500');
        for (const s of seen) {
            assert.ok(Rsa.verify(Formatter.response(s.h['wechatpay-timestamp'], s.h['wechatpay-nonce'], s.raw),
                s.h['wechatpay-signature'], platform), 'the notification verifies with the SDK');
            const n = JSON.parse(s.raw);
            assert.equal(n.event_type, 'TRANSACTION.SUCCESS');
            assert.equal(n.resource.algorithm, 'AEAD_AES_256_GCM');
            const t = JSON.parse(Aes.AesGcm.decrypt(n.resource.ciphertext, apiv3, n.resource.nonce, n.resource.associated_data));
            assert.deepEqual([t.mchid, t.appid, t.out_trade_no, t.transaction_id, t.trade_state, t.amount.total],
                ['1900000001', 'wx8888888888888888', 'SZCA-000001', tn, 'SUCCESS', 35000]);
            assert.match(t.success_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
        }

        const replay = await post(`/sandbox/pay/${tn}/callback?times=2`, {});
        assert.equal(replay.json.results.length, 2);
        assert.equal(seen.length, 4);
        assert.equal(seen[3].raw, seen[1].raw, 'a replay is byte-identical');
        assert.equal(seen[3].h['wechatpay-signature'], seen[1].h['wechatpay-signature']);
        await post(`/sandbox/pay/${tn}/callback?bad_signature=1`, {});
        const forged = seen[4];
        assert.ok(!Rsa.verify(Formatter.response(forged.h['wechatpay-timestamp'], forged.h['wechatpay-nonce'], forged.raw),
            forged.h['wechatpay-signature'], platform));

        const q = await wxCall('GET', '/v3/pay/transactions/out-trade-no/SZCA-000001?mchid=1900000001');
        assert.ok(q.verified);
        assert.equal(q.json.trade_state, 'SUCCESS');
        const rf = await wxCall('POST', '/v3/refund/domestic/refunds',
            { out_trade_no: 'SZCA-000001', out_refund_no: 'RF1', reason: '撤单', amount: { refund: 35000, total: 35000, currency: 'CNY' } });
        assert.equal(rf.status, 200, JSON.stringify(rf.json));
        assert.equal(rf.json.status, 'SUCCESS');
        const same2 = await wxCall('POST', '/v3/refund/domestic/refunds',
            { out_trade_no: 'SZCA-000001', out_refund_no: 'RF1', reason: '撤单', amount: { refund: 35000, total: 35000, currency: 'CNY' } });
        assert.equal(same2.json.refund_id, rf.json.refund_id, 'one refund per out_refund_no');
        const again = await wxCall('POST', '/v3/refund/domestic/refunds',
            { out_trade_no: 'SZCA-000001', out_refund_no: 'RF2', amount: { refund: 1, total: 35000, currency: 'CNY' } });
        assert.equal(again.status, 400);
        assert.equal(again.json.code, 'NOT_ENOUGH');
    } finally {
        hall.close();
    }
});

test('bank_transfer__wrong_account_rule__failed_and_memo_readable', async () => {
    const acct = { account_name: '深圳某某科技有限公司', bank_name: '中国工商银行深圳分行', amount_fen: 1 };
    const zero = await post('/bank/transfer', { ...acct, account_no: '4000020309200010000', memo: '验证码 482913' });
    assert.deepEqual(
        { ok: zero.json.ok, status: zero.json.status, reason: zero.json.reason },
        { ok: true, status: 'FAILED', reason: '户名与账号不符' });
    const wrongName = await post('/bank/transfer',
        { ...acct, account_name: '错误的公司', account_no: '4000020309200012345', memo: 'x' });
    assert.equal(wrongName.json.status, 'FAILED');

    const good = await post('/bank/transfer', { ...acct, account_no: '4000020309200012345', memo: '验证码 482913' });
    assert.equal(good.json.status, 'SUCCESS');
    assert.ok(good.json.transfer_no);

    const list = await get('/sandbox/bank/transfers?account_no=4000020309200012345');
    assert.equal(list.json.transfers.length, 2);
    assert.equal(list.json.transfers[0].memo, '验证码 482913');
    assert.equal(list.json.transfers[0].status, 'SUCCESS');
});

test('bank_transfers_wait__held_until_a_transfer_or_the_wait_ends', async () => {
    const acct = { account_name: '深圳某某科技有限公司', bank_name: '中国工商银行深圳分行', amount_fen: 1,
        account_no: '4000020309200012345' };
    /* asked before the transfer: answered with it once it is made, not at once empty */
    const held = get('/sandbox/bank/transfers?account_no=4000020309200012345&wait_ms=5000');
    let settled = false;
    held.then(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(settled, false, 'held while the account has no transfer');
    const made = await post('/bank/transfer', { ...acct, memo: '验证码 482913' });
    assert.equal(made.json.status, 'SUCCESS');
    const got = await held;
    assert.equal(got.status, 200);
    assert.equal(got.json.transfers.length, 1);
    assert.equal(got.json.transfers[0].memo, '验证码 482913');

    /* nothing comes: answered empty when the wait ends */
    const t0 = Date.now();
    const none = await get('/sandbox/bank/transfers?account_no=4000020309200099999&wait_ms=200');
    assert.equal(none.status, 200);
    assert.deepEqual(none.json.transfers, []);
    assert.ok(Date.now() - t0 >= 190, 'waited for wait_ms');

    /* a wait needs its account, and a sane number */
    const noAcct = await get('/sandbox/bank/transfers?wait_ms=100');
    assert.equal(noAcct.status, 400);
    assert.match(noAcct.json.error, /wait_ms/);
    const bad = await get('/sandbox/bank/transfers?account_no=4000020309200012345&wait_ms=-1');
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /wait_ms/);
});

test('ocr_and_liveness__markers_in_image_bytes', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const front = Buffer.concat([png, Buffer.from('SANDBOX-ID:张三|44030119900101123x\n', 'utf8'), png]);
    const r = await post('/ocr/idcard', { side: 'front', image_b64: front.toString('base64') });
    assert.deepEqual(r.json, { ok: true, side: 'front', name: '张三', id_number: '44030119900101123X' });

    const back = Buffer.concat([png, Buffer.from('SANDBOX-IDBACK:深圳市公安局南山分局|2015-01-01|长期\0')]);
    const rb = await post('/ocr/idcard', { side: 'back', image_b64: back.toString('base64') });
    assert.deepEqual(rb.json, { ok: true, side: 'back', issuer: '深圳市公安局南山分局', valid_from: '2015-01-01', valid_to: '长期' });

    const none = await post('/ocr/idcard', { side: 'front', image_b64: png.toString('base64') });
    assert.deepEqual(none.json, { ok: false, error: '无法识别身份证' });

    const live = await post('/liveness/check', { name: '张三', id_number: '44030119900101123X', image_b64: png.toString('base64') });
    assert.equal(live.json.passed, true);
    const dead = await post('/liveness/check', {
        name: '张三', id_number: '44030119900101123X',
        video_b64: Buffer.concat([png, Buffer.from('SANDBOX-LIVENESS:FAIL')]).toString('base64'),
    });
    assert.equal(dead.json.ok, true);
    assert.equal(dead.json.passed, false);
});

test('carrier_courier_invoice__documented_rules', async () => {
    const who = { name: '李四', id_number: '110101199003071234' };
    assert.equal((await post('/carrier/verify', { ...who, phone: '13900000000' })).json.match, false);
    await post('/sandbox/carrier', { ...who, phone: '13912345678' });
    assert.equal((await post('/carrier/verify', { ...who, phone: '13912345678' })).json.match, true);
    assert.equal((await post('/carrier/verify', { ...who, name: '王五', phone: '13912345678' })).json.match, false);

    const remote = [{ province: '新疆维吾尔自治区' }, { province: '内蒙古自治区' }, { province: '540000' },
        { province: '广东省', city: '630100' }];
    for (const a of remote)
        assert.deepEqual((await post('/courier/quote', a)).json,
            { ok: true, carrier: '顺丰速运', payment: '到付', fee_fen: 0 }, JSON.stringify(a));
    assert.deepEqual((await post('/courier/quote', { province: '440000', city: '440300' })).json,
        { ok: true, carrier: '京东快递', payment: '寄付', fee_fen: 1300 });
    const wb = await post('/courier/waybill', { order_no: 'SZCA-2', address: '深圳市南山区' });
    assert.match(wb.json.waybill_no, /^JDVA\d{11}$/);

    const inv = await post('/invoice/issue', {
        order_no: 'SZCA-2', title: '深圳某某科技有限公司', taxpayer_id: '91440300MA5F00000X',
        amount_fen: 36300, email: 'finance@example.com', phone: '13800138000',
    });
    assert.equal(inv.json.ok, true);
    const pageRes = await fetch(inv.json.url);
    assert.equal(pageRes.status, 200);
    assert.match(await pageRes.text(), /363\.00/);
});
