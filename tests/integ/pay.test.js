'use strict';
/*
 * 缴费 through nginx: the payment choice, online payment through the
 * sandbox gateway and its signed callback (verified, checked, idempotent,
 * acknowledged after commit), the corporate transfer voucher upload, and
 * who may pay what.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, SANDBOX } = require('./lib/client');
const {
    psql, orgForm, personForm, unpaidOrder, orderStatus, waitStatus, sandbox, payOnline,
    confirmTrade, lastTransfer, sendCallback, upload, PNG, allLogs, waitFor, wxNotification,
    postNotification,
} = require('./lib/payflow');

test('pay_page__unpaid_order__shows_amount_and_three_ways', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const r = await c.get(`/pay?id=${id}`);
    assert.equal(r.status, 200);
    for (const s of ['600.00元', '支付宝', '微信支付', '对公账号付款', '汇款凭证', 'name="voucher"',
        '证书PIN码以转账交易附言方式发送至对公账户'])
        assert.ok(r.text.includes(s), `pay page shows ${s}`);
});

/* the steps bar of a page: [names], and the current one */
function stepsBar(html) {
    const bar = html.match(/<ol class="steps"[^>]*>([\s\S]*?)<\/ol>/);
    assert.ok(bar, 'the page has a steps bar');
    const items = [...bar[1].matchAll(/<li class="([^"]*)"[^>]*>([^<]+)/g)];
    return { names: items.map((m) => m[2]), current: items.filter((m) => m[1] === 'current').map((m) => m[2]),
        done: items.filter((m) => m[1] === 'done').length };
}

test('pay_page__steps_bar_of_the_orders_own_flow__new_and_seal', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const n = stepsBar((await c.get(`/pay?id=${id}`)).text);
    assert.deepEqual(n.names, ['选择应用', '录入信息', '打印申请表', '上传资料', '在线认证', '在线支付']);
    assert.deepEqual(n.current, ['在线支付']);
    assert.equal(n.done, 5);

    /* 电子签章申请 starts with 阅读协议, not 证书新办's 选择应用 */
    const start = await c.get('/seal?project=hall');
    assert.equal(start.status, 200);
    assert.equal((await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const key = (await c.get('/seal/apply?project=hall')).text.match(/name="submit_key" value="([^"]+)"/)[1];
    const form = { ...orgForm(), project: 'hall', submit_key: key, org_count: '1', org_years: '1',
        org_style: 'auto', biz_count: '0', person_count: '0', app_name: '赵敏', app_ric: '11010519491231002X',
        app_mobile: '13700137000', app_email: 'zhaomin@example.com' };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const sid = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'unpaid' WHERE id = ${sid}`);
    const page = await c.get(`/pay?id=${sid}`);
    assert.equal(page.status, 200);
    const s = stepsBar(page.text);
    assert.deepEqual(s.names, ['阅读协议', '录入信息', '打印申请表', '上传资料', '在线认证', '在线支付']);
    assert.deepEqual(s.current, ['在线支付']);
    assert.match(page.text, /电子签章申请/);
});

test('pay_online__org__gateway_page_callback_finauth_pending_then_ok', async () => {
    const c = await applicant();
    const { id, account } = await unpaidOrder(c);
    const tradeNo = await payOnline(c, id, 'alipay');
    assert.match(tradeNo, /^\d{26}$/);
    const row = psql(`SELECT method || '|' || amount_fen || '|' || status || '|' || coalesce(trade_no, '') || '|' ||
        pay_mode || '|' || out_trade_no FROM payments WHERE order_id = ${id}`);
    const [method, amount, st, tn, mode, out] = row.split('|');
    /* Alipay names the trade when the buyer opens the page: known from the notification */
    assert.deepEqual([method, amount, st, tn, mode], ['alipay', '60000', 'created', '', 'page']);
    assert.match(out, /^N\d{14}-1$/);
    assert.equal(orderStatus(id), 'unpaid', 'nothing paid before the callback');

    /* the gateway's cashier page shows our amount */
    const page = await fetch(`${SANDBOX}/pay/page/${tradeNo}`).then((x) => x.text());
    assert.match(page, /id="amount">￥600\.00</);
    await confirmTrade(tradeNo);

    await waitStatus(id, 'finauth_ok');
    assert.equal(psql(`SELECT status || '|' || (paid_at IS NOT NULL) || '|' || callbacks || '|' || trade_no
        FROM payments WHERE order_id = ${id}`), `paid|true|1|${tradeNo}`);
    const moves = psql(`SELECT from_state || '>' || to_state || '>' || actor FROM audit_log
        WHERE entity = 'order' AND entity_id = '${id}' AND action = 'status' ORDER BY id`);
    assert.equal(moves, 'unpaid>finauth_pending>gateway:alipay\nfinauth_pending>finauth_ok>outbox:bank');
    /* the gateway saw its callback acknowledged */
    const t = await sandbox(`/sandbox/pay/${tradeNo}`);
    assert.equal(t.body.notify.state, 'ACKED');

    /* 0.01 CNY to the basic account, the code in the memo, kept only hashed */
    const tr = await lastTransfer(account);
    assert.equal(tr.amount_fen, 1);
    assert.equal(tr.account_name, '深圳测试科技有限公司');
    assert.equal(tr.bank_name, '中国工商银行');
    assert.equal(tr.branch_name, '中国工商银行深圳南山支行');
    assert.equal(tr.status, 'SUCCESS');
    assert.match(tr.memo, /^(办理数字证书编码|数字证书PIN码): \d{6}$/);
    const code = tr.memo.slice(-6);
    assert.equal(psql(`SELECT result || '|' || bank_ref || '|' || length(code_hash) FROM finauth_attempts
        WHERE order_id = ${id}`), `sent|${tr.transfer_no}|32`);
    const dump = psql(`SELECT encode(code_hash, 'hex') || encode(payload_enc, 'escape') FROM
        finauth_attempts a, outbox o WHERE a.order_id = ${id} AND o.kind = 'bank_transfer'
        AND o.idem_key = 'finauth-' || a.id`);
    assert.ok(!dump.includes(code), 'the code is stored neither in clear nor as a plain hash');
    const logs = allLogs();
    assert.ok(!logs.includes(account), 'no account number in any log');
    assert.ok(!logs.includes(tr.memo), 'no memo in any log');
});

test('pay_online__person__straight_to_review_without_finauth', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
    const tradeNo = await payOnline(c, id, 'wechat', '/hunan');
    assert.match(tradeNo, /^4200\d+$/);
    const trade = await sandbox(`/sandbox/pay/${tradeNo}`);
    assert.equal(trade.body.amount_fen, 70000);
    assert.equal(trade.body.mode, 'native');
    assert.match(trade.body.notify_url, /\/pay\/notify\/wechat$/);
    await confirmTrade(tradeNo);
    await waitStatus(id, 'review');
    assert.equal(psql(`SELECT review_due IS NOT NULL AND submitted_at IS NOT NULL FROM orders
        WHERE id = ${id}`), 't');
    assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${id}`), '0');
    const back = await c.get(`/hunan/pay?id=${id}`);
    assert.equal(back.status, 200);
    assert.match(back.text, /待审核/);
});

test('pay_callback__replayed_100_times__pays_once', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const tradeNo = await payOnline(c, id);
    await confirmTrade(tradeNo);
    await waitStatus(id, 'finauth_ok');
    const r = await sandbox(`/sandbox/pay/${tradeNo}/callback?times=100`, { method: 'POST', body: {} });
    assert.equal(r.status, 200);
    assert.equal(r.body.results.length, 100);
    assert.ok(r.body.results.every((x) => x.acked), 'every copy is acknowledged');
    assert.equal(psql(`SELECT count(*) || '|' || sum(callbacks) FROM payments
        WHERE order_id = ${id} AND status = 'paid'`), '1|101');
    assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${id}`), '1');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'
        AND action = 'status' AND from_state = 'unpaid'`), '1');
    assert.equal(orderStatus(id), 'finauth_ok');
});

test('pay_notify_wechat__forged_wrong_amount_stale_unknown_merchant__refused_nothing_changed', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    await payOnline(c, id);
    const out = psql(`SELECT out_trade_no FROM payments WHERE order_id = ${id}`);
    const good = { transaction_id: '4200000000202611250000000001', out_trade_no: out, amount: { total: 60000, currency: 'CNY' } };
    const before = psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'`);
    const now = Math.floor(Date.now() / 1000);
    const replayed = wxNotification(good, { timestamp: now - 3600 });

    const cases = [
        ['tampered signature', await sendCallback(good, { signature: wxNotification({ ...good, amount: { total: 1 } }).headers['Wechatpay-Signature'] })],
        ['no signature', await sendCallback(good, { signature: '' })],
        ['unknown platform key', await sendCallback(good, { serial: 'PUB_KEY_ID_0000' })],
        ['wrong amount', await sendCallback({ ...good, amount: { total: 1, currency: 'CNY' } })],
        ['stale timestamp', await sendCallback(good, { timestamp: now - 3600 })],
        ['future timestamp', await sendCallback(good, { timestamp: now + 3600 })],
        ['replayed an hour later', await postNotification('/pay/notify/wechat', replayed)],
        ['unknown order', await sendCallback({ ...good, out_trade_no: 'N000-1' })],
        ['other merchant id', await sendCallback({ ...good, mchid: '1900000002' })],
        ['other appid', await sendCallback({ ...good, appid: 'wx0000000000000000' })],
        ['other APIv3 key', await sendCallback(good, { apiv3: 'k'.repeat(32) })],
        ['not paid', await sendCallback({ ...good, trade_state: 'NOTPAY' })],
    ];
    for (const [name, r] of cases) {
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        const j = JSON.parse(r.text);
        assert.equal(j.code, 'FAIL', `${name}: answered as WeChat Pay expects a refusal`);
        assert.match(j.message, /[\u4e00-\u9fa5]/, `${name}: Chinese message`);
    }
    assert.equal(orderStatus(id), 'unpaid');
    assert.equal(psql(`SELECT status || '|' || callbacks FROM payments WHERE order_id = ${id}`), 'created|0');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'`), before);

    /* the same notification made right is taken: the refusals were for their faults */
    const ok = await sendCallback(good);
    assert.equal(ok.status, 204, ok.text);
    assert.equal(orderStatus(id) === 'finauth_pending' || orderStatus(id) === 'finauth_ok', true);
    assert.equal(psql(`SELECT trade_no FROM payments WHERE order_id = ${id}`), good.transaction_id);
});

test('pay_callback__sandbox_bad_signature__refused', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const tradeNo = await payOnline(c, id);
    await confirmTrade(tradeNo);
    await waitStatus(id, 'finauth_ok');
    const r = await sandbox(`/sandbox/pay/${tradeNo}/callback?bad_signature=1`, { method: 'POST', body: {} });
    assert.equal(r.body.results[0].http_status, 400);
    assert.equal(r.body.results[0].acked, false);
    assert.equal(psql(`SELECT callbacks FROM payments WHERE order_id = ${id}`), '1');
});

test('pay_online__second_channel_after_first__first_closed_at_the_gateway', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const t1 = await payOnline(c, id, 'wechat');
    const t2 = await payOnline(c, id, 'alipay');
    assert.notEqual(t1, t2);
    /* the first cashier page can no longer pay: one live trade per order */
    assert.equal((await sandbox(`/sandbox/pay/${t1}`)).body.status, 'CLOSED');
    const late = await sandbox(`/pay/page/${t1}/confirm`, { method: 'POST', body: {} });
    assert.equal(late.status, 409);
    await confirmTrade(t2);
    await waitStatus(id, 'finauth_ok');
    assert.equal(psql(`SELECT string_agg(method || ':' || status, ',' ORDER BY attempt) FROM payments
        WHERE order_id = ${id}`), 'wechat:closed,alipay:paid');
    assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${id}`), '1');
});

test('pay_transfer__png_voucher__stored_and_transfer_review', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const r = await upload(c, '/pay/transfer', { id }, { name: '汇款凭证.png', bytes: PNG, type: 'image/png' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, `/pay?id=${id}`);
    assert.equal(orderStatus(id), 'transfer_review');
    const f = psql(`SELECT stored_name || '|' || mime || '|' || size || '|' || encode(sha256, 'hex')
        FROM order_files WHERE order_id = ${id} AND kind = 'transfer_voucher' AND replaced_at IS NULL`);
    const [stored, mime, size, sum] = f.split('|');
    assert.match(stored, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(mime, 'image/png');
    assert.equal(size, String(PNG.length));
    assert.equal(sum, require('node:crypto').createHash('sha256').update(PNG).digest('hex'));
    /* a voucher shows the payer's account: stored encrypted, like every upload */
    const onDisk = require('./lib/objstore').objectBytes(stored);
    assert.equal(onDisk.indexOf(PNG.subarray(0, 16)), -1, 'voucher stored in clear');
    assert.ok(onDisk.length > PNG.length);
    assert.equal(psql(`SELECT method || '|' || status || '|' || amount_fen || '|' || (voucher_file_id IS NOT NULL)
        FROM payments WHERE order_id = ${id}`), 'transfer|pending|60000|true');
    /* corporate transfers skip financial authentication */
    assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${id}`), '0');
    const page = await c.get(`/pay?id=${id}`);
    assert.match(page.text, /待确认到账/);
    assert.match(page.text, /两个工作日内核实款项到账情况/, "jieyang reviews within two working days (seed 000)");
    /* pdf vouchers too, but not twice for one order */
    const again = await upload(c, '/pay/transfer', { id }, { name: 'a.pdf', bytes: Buffer.from('%PDF-1.4\n%%EOF\n') });
    assert.equal(again.status, 409);
});

test('pay_transfer__exe_oversize_empty_missing__refused_in_chinese_nothing_written', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(200, 1)]);
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0);
    big[0] = 0xFF; big[1] = 0xD8; big[2] = 0xFF;
    const cases = [
        ['renamed exe', { name: 'voucher.jpg', bytes: exe, type: 'image/jpeg' }, 400, /jpg、png、pdf/],
        ['2 MiB + 1', { name: 'big.jpg', bytes: big, type: 'image/jpeg' }, 413, /[\u4e00-\u9fa5]/],
        ['empty', { name: 'empty.png', bytes: Buffer.alloc(0), type: 'image/png' }, 400, /为空/],
        ['missing', null, 400, /请选择/],
    ];
    for (const [name, file, status, msg] of cases) {
        const r = await upload(c, '/pay/transfer', { id }, file);
        assert.equal(r.status, status, `${name}: ${r.text}`);
        assert.equal(r.body.field, 'voucher', name);
        assert.match(r.body.message, msg, name);
    }
    const exact = Buffer.alloc(2 * 1024 * 1024, 0);
    exact[0] = 0xFF; exact[1] = 0xD8; exact[2] = 0xFF;
    assert.equal(orderStatus(id), 'unpaid');
    assert.equal(psql(`SELECT count(*) FROM order_files WHERE order_id = ${id}`), '0');
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '0');
    /* exactly 2 MiB is allowed */
    const r = await upload(c, '/pay/transfer', { id }, { name: 'ok.jpg', bytes: exact, type: 'image/jpeg' });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT mime || '|' || size FROM order_files WHERE order_id = ${id}`), 'image/jpeg|2097152');
});

test('pay__another_users_order__404_everywhere', async () => {
    const a = await applicant();
    const { id } = await unpaidOrder(a);
    const b = await applicant();
    assert.equal((await b.get(`/pay?id=${id}`)).status, 404);
    assert.equal((await b.post('/pay/online', { id, channel: 'wechat' })).status, 404);
    const u = await upload(b, '/pay/transfer', { id }, { name: 'v.png', bytes: PNG, type: 'image/png' });
    assert.equal(u.status, 404);
    assert.equal(orderStatus(id), 'unpaid');
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '0');
});

test('pay__no_csrf__403_nothing_written', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    assert.equal((await c.post('/pay/online', { id, channel: 'wechat' }, { csrf: false })).status, 403);
    const u = await upload(c, '/pay/transfer', { id }, { name: 'v.png', bytes: PNG, type: 'image/png' },
        { csrf: false });
    assert.equal(u.status, 403);
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '0');
    assert.equal(orderStatus(id), 'unpaid');
});

test('pay_online__bad_input_and_wrong_state__400_409', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const bad = await c.post('/pay/online', { id, channel: 'bitcoin' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'channel');
    assert.match(bad.body.message, /支付方式/);
    const none = await c.post('/pay/online', { id });
    assert.equal(none.status, 400);
    assert.match(none.body.message, /请填写支付方式/);
    psql(`UPDATE orders SET status = 'draft' WHERE id = ${id}`);
    const draft = await c.post('/pay/online', { id, channel: 'wechat' });
    assert.equal(draft.status, 409);
    assert.match(draft.body.message, /不能缴费/);
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '0');
});

test('pay_online__gateway_down__503_then_retry_same_attempt', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay', mode: 'fail', count: 1 } });
    const r = await c.post('/pay/online', { id, channel: 'wechat' });
    assert.equal(r.status, 503);
    assert.match(r.body.message, /公对公转账/);
    const tradeNo = await payOnline(c, id, 'wechat');
    assert.equal(psql(`SELECT count(*) || '|' || max(pay_url) FROM payments WHERE order_id = ${id}`),
        `1|weixin://wxpay/bizpayurl?pr=${tradeNo}`, 'the failed attempt is reused, not doubled');
});

/* a notification for one trade and a new trade opened for the same order at
 * the same moment: both lock the order before its payments, so neither
 * waits on the other into a deadlock (the notification used to lock its
 * payment first, then the order, while the new trade held the order and
 * closed that payment: PostgreSQL killed one, a 503) */
test('pay_notify_and_new_trade_at_once__no_deadlock_no_503', async () => {
    const fs = require('node:fs');
    const path = require('node:path');
    const pgLog = path.join(process.env.HALL_VAR, 'log', 'postgresql.log');
    const logAt = fs.existsSync(pgLog) ? fs.statSync(pgLog).size : 0;
    const statuses = [];
    let c;
    for (let i = 0; i < 40; i++) {
        if (i % 15 === 0)
            c = await applicant(); /* 20 new orders a day each */
        const { id } = await unpaidOrder(c);
        await payOnline(c, id);
        const out = psql(`SELECT out_trade_no FROM payments WHERE order_id = ${id}`);
        const tx = `42000000002026112500${String(1000 + i)}${String(id).padStart(4, '0')}`.slice(0, 28);
        const [cb, open] = await Promise.all([
            sendCallback({ transaction_id: tx, out_trade_no: out, amount: { total: 60000, currency: 'CNY' } }),
            c.post('/pay/online', { id, channel: 'alipay' }),
        ]);
        statuses.push(`${cb.status}/${open.status}`);
        assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id} AND status = 'paid'`), '1',
            `the notified trade is paid once, whichever came first (notification ${cb.status} ${cb.text}, new trade ${open.status})`);
    }
    assert.ok(!statuses.some((s) => s.includes('503')), statuses.join(' '));
    if (fs.existsSync(pgLog)) {
        const fd = fs.openSync(pgLog, 'r');
        const buf = Buffer.alloc(fs.statSync(pgLog).size - logAt);
        fs.readSync(fd, buf, 0, buf.length, logAt);
        fs.closeSync(fd);
        assert.doesNotMatch(buf.toString('utf8'), /deadlock detected/);
    }
});
