'use strict';
/*
 * The payment protocols judged by other people's code: the providers' SDKs
 * on npm (wechatpay-axios-plugin for WeChat Pay API v3, alipay-sdk for the
 * Alipay OpenAPI) make the notifications the hall must accept and check the
 * requests the hall sends; forged, stale, replayed, wrong-amount and
 * wrong-merchant notifications are refused with nothing changed; parallel
 * copies of a notification pay once; a refund goes back through each
 * gateway.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Rsa, Formatter } = require('wechatpay-axios-plugin');
const { AlipaySdk } = require('alipay-sdk');
const { applicant, SANDBOX } = require('./lib/client');
const {
    psql, personForm, unpaidOrder, orderStatus, waitStatus, waitFor, sandbox, payOnline, confirmTrade,
    sendCallback, sendAliCallback, keyFile, privateKeyFile, staffLogin, WX_MCHID, ALI_APP_ID,
} = require('./lib/payflow');

/* a Hunan natural person's unpaid order: 700.00, straight to 待审核 once paid */
async function personOrder() {
    const c = await applicant();
    const o = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
    return { c, id: o.id, out: () => psql(`SELECT out_trade_no FROM payments WHERE order_id = ${o.id} ORDER BY attempt DESC LIMIT 1`) };
}

test('wechatpay_request__hall_signature__verifies_with_the_sdk', async () => {
    const { c, id } = await personOrder();
    await payOnline(c, id, 'wechat', '/hunan');
    const r = await sandbox('/sandbox/wxpay/requests?limit=20');
    const q = r.body.requests.find((x) => x.url === '/v3/pay/transactions/native');
    assert.ok(q, 'the hall opened a Native trade');
    assert.equal(q.method, 'POST');
    assert.equal(q.url, '/v3/pay/transactions/native');
    const auth = q.authorization.match(/^WECHATPAY2-SHA256-RSA2048 (.+)$/);
    assert.ok(auth, q.authorization);
    const a = Object.fromEntries([...auth[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    assert.equal(a.mchid, WX_MCHID);
    const cert = new crypto.X509Certificate(keyFile('pay', `wechat-${WX_MCHID}`, 'apiclient_cert.pem'));
    /* as openssl x509 -noout -serial prints it (WeChat Pay's documents) */
    assert.equal(a.serial_no.replace(/^0+/, ''), cert.serialNumber.replace(/^0+/, ''));
    assert.ok(Math.abs(Number(a.timestamp) - Date.now() / 1000) < 60);
    const msg = Formatter.request(q.method, q.url, a.timestamp, a.nonce_str, q.body);
    assert.ok(Rsa.verify(msg, a.signature, cert.publicKey), 'the SDK verifies the hall\'s signature');
    assert.ok(!Rsa.verify(msg + 'x', a.signature, cert.publicKey));
    const body = JSON.parse(q.body);
    assert.equal(body.amount.total, 70000);
    assert.equal(body.amount.currency, 'CNY');
    assert.match(body.notify_url, /\/pay\/notify\/wechat$/);
});

test('wechatpay_notification__sdk_built_parallel_copies__paid_once', async () => {
    const { c, id, out } = await personOrder();
    await payOnline(c, id, 'wechat', '/hunan');
    const fields = { out_trade_no: out(), transaction_id: `4200${Date.now()}`, amount: { total: 70000, currency: 'CNY' } };
    const rs = await Promise.all(Array.from({ length: 12 }, () => sendCallback(fields)));
    for (const r of rs)
        assert.equal(r.status, 204, r.text);
    assert.equal(orderStatus(id), 'review');
    assert.equal(psql(`SELECT count(*) || '|' || sum(callbacks) FROM payments WHERE order_id = ${id} AND status = 'paid'`), '1|12');
    /* what is kept of it: the trade, not the payer's openid */
    const kept = JSON.parse(psql(`SELECT callback_raw FROM payments WHERE order_id = ${id}`));
    assert.deepEqual([kept.driver, kept.trade_no, kept.amount_fen, kept.status], ['wechatpay_v3', fields.transaction_id, 70000, 'SUCCESS']);
    assert.ok(!JSON.stringify(kept).includes('oTest'), 'no openid kept');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'
        AND action = 'status' AND from_state = 'unpaid'`), '1');
});

test('alipay_page_pay__hall_request__verifies_with_the_sdk', async () => {
    const { c, id } = await personOrder();
    const r = await c.post('/hunan/pay/online', { id, channel: 'alipay' });
    assert.equal(r.status, 200, r.text);
    const u = new URL(r.body.redirect);
    assert.equal(`${u.origin}${u.pathname}`, `${SANDBOX}/gateway.do`);
    const p = Object.fromEntries(u.searchParams);
    assert.equal(p.method, 'alipay.trade.page.pay');
    assert.equal(p.app_id, ALI_APP_ID);
    assert.equal(p.sign_type, 'RSA2');
    assert.equal(p.charset, 'utf-8');
    const biz = JSON.parse(p.biz_content);
    assert.equal(biz.total_amount, '700.00', 'yuan with two decimals');
    assert.equal(biz.product_code, 'FAST_INSTANT_TRADE_PAY');
    /* alipay-sdk's verifier, given the application's public key */
    const appPub = crypto.createPublicKey(privateKeyFile('pay', `alipay-${ALI_APP_ID}`, 'app_private_key.pem')).export({ type: 'spki', format: 'pem' });
    const sdk = new AlipaySdk({ appId: ALI_APP_ID, privateKey: privateKeyFile('pay', `alipay-${ALI_APP_ID}`, 'app_private_key.pem'), alipayPublicKey: appPub, keyType: 'PKCS8' });
    assert.ok(sdk.checkNotifySign({ ...p }), 'the SDK verifies the hall\'s RSA2 signature');
    assert.ok(!sdk.checkNotifySign({ ...p, biz_content: p.biz_content.replace('700.00', '0.01') }));

    /* a phone gets alipay.trade.wap.pay */
    const m = await c.post('/hunan/pay/online', { id, channel: 'alipay' },
        { headers: { 'User-Agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148' } });
    assert.equal(m.status, 200, m.text);
    assert.equal(new URL(m.body.redirect).searchParams.get('method'), 'alipay.trade.wap.pay');
});

test('alipay_gateway__request_made_by_the_sdk__accepted_by_the_sandbox', async () => {
    /* the sandbox's gateway is judged by the SDK too: its page.pay URL opens a trade */
    const sdk = new AlipaySdk({
        appId: ALI_APP_ID, privateKey: privateKeyFile('pay', `alipay-${ALI_APP_ID}`, 'app_private_key.pem'),
        alipayPublicKey: keyFile('pay', `alipay-${ALI_APP_ID}`, 'alipay_public_key.pem'),
        gateway: `${SANDBOX}/gateway.do`, keyType: 'PKCS8',
    });
    const out = `SDK${Date.now()}`;
    /* the SDK writes its timestamp in the machine's local time: Alipay's is Beijing's */
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Shanghai';
    const url = sdk.pageExec('alipay.trade.page.pay', 'GET', {
        bizContent: { out_trade_no: out, product_code: 'FAST_INSTANT_TRADE_PAY', total_amount: '0.01', subject: 'sdk' },
        notifyUrl: 'http://127.0.0.1:9/none',
    });
    const r = await fetch(url, { redirect: 'manual' });
    assert.equal(r.status, 303, await r.text());
    /* and its answers verify with the SDK (alipay.trade.query, signed *_response) */
    const q = await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: out } });
    if (tz === undefined)
        delete process.env.TZ;
    else
        process.env.TZ = tz;
    assert.equal(q.tradeStatus, 'WAIT_BUYER_PAY', JSON.stringify(q));
    assert.equal(q.totalAmount, '0.01');
});

test('alipay_notification__forged_wrong_amount_or_app__refused_then_paid_once', async () => {
    const { c, id, out } = await personOrder();
    await payOnline(c, id, 'alipay', '/hunan');
    const good = { out_trade_no: out(), trade_no: `2026${Date.now()}`, total_amount: '700.00' };
    const cases = [
        ['tampered sign', await sendAliCallback(good, { sign: Buffer.alloc(256, 1).toString('base64') })],
        ['wrong amount', await sendAliCallback({ ...good, total_amount: '0.01' })],
        ['amount with three decimals', await sendAliCallback({ ...good, total_amount: '700.001' })],
        ['unknown app_id', await sendAliCallback({ ...good, app_id: '2021000000000009' })],
        ['unknown order', await sendAliCallback({ ...good, out_trade_no: 'N000-1' })],
    ];
    for (const [name, r] of cases) {
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        assert.notEqual(r.text, 'success', `${name}: not acknowledged`);
    }
    assert.equal(orderStatus(id), 'unpaid');
    assert.equal(psql(`SELECT status || '|' || callbacks FROM payments WHERE order_id = ${id}`), 'created|0');

    const rs = await Promise.all(Array.from({ length: 8 }, () => sendAliCallback(good)));
    for (const r of rs) {
        assert.equal(r.status, 200);
        assert.equal(r.text, 'success');
    }
    assert.equal(orderStatus(id), 'review');
    assert.equal(psql(`SELECT count(*) || '|' || sum(callbacks) || '|' || min(trade_no) FROM payments
        WHERE order_id = ${id} AND status = 'paid'`), `1|8|${good.trade_no}`);
    assert.ok(!psql(`SELECT callback_raw FROM payments WHERE order_id = ${id}`).includes('2088'), 'no buyer or seller id kept');
});

/* 申请退费 approved by finance: the refund goes back through the gateway */
async function refundThrough(channel) {
    const { c, id } = await personOrder();
    const trade = await payOnline(c, id, channel, '/hunan');
    await confirmTrade(trade);
    await waitStatus(id, 'review');
    await c.get(`/center/order?id=${id}`);
    assert.equal((await c.post('/center/refund', { id, reason: '不再需要' })).status, 200);
    const rid = psql(`SELECT id FROM refunds WHERE order_id = ${id}`);
    const f = await staffLogin('finance', 'Finance2026demo');
    await f.get('/admin/refunds');
    const a = await f.post('/admin/refund/approve', { id: rid });
    assert.equal(a.status, 200, a.text);
    await waitStatus(id, 'refunded');
    const t = await sandbox(`/sandbox/pay/${trade}`);
    assert.equal(t.body.status, 'REFUND');
    assert.equal(t.body.refunded_fen, 70000);
    assert.equal(t.body.refunds.length, 1);
    assert.equal(t.body.refunds[0].out_refund_no, `RF${rid}`);
    return { t, rid };
}

test('refund__wechat__back_through_v3_refunds_and_its_notification_acknowledged', async () => {
    const { t, rid } = await refundThrough('wechat');
    assert.equal(psql(`SELECT refund_no FROM refunds WHERE id = ${rid}`), t.body.refunds[0].refund_no);
    await waitFor('the refund notification acknowledged', async () => {
        const x = await sandbox(`/sandbox/pay/${t.body.trade_no}`);
        return x.body.refunds[0].notify && x.body.refunds[0].notify.acked;
    });
});

test('refund__alipay__back_through_alipay_trade_refund', async () => {
    const { t, rid } = await refundThrough('alipay');
    assert.equal(psql(`SELECT refund_no FROM refunds WHERE id = ${rid}`), `RF${rid}`);
    /* Alipay's trade_status_sync of the refund: acknowledged when it is ours */
    const refundNote = { out_trade_no: t.body.out_trade_no, trade_no: t.body.trade_no, trade_status: 'TRADE_CLOSED',
        total_amount: '700.00', refund_fee: '700.00', out_biz_no: `RF${rid}`, gmt_refund: '2026-11-25 10:00:00.000' };
    const ok = await sendAliCallback(refundNote);
    assert.equal(ok.text, 'success');
    const other = await sendAliCallback({ ...refundNote, refund_fee: '1.00' });
    assert.equal(other.status, 400, 'a refund amount that is not ours');
});

test('refund_notification__wechat__forged_or_not_ours__refused', async () => {
    const { t, rid } = await refundThrough('wechat');
    const r = t.body.refunds[0];
    const plain = { out_trade_no: t.body.out_trade_no, transaction_id: t.body.trade_no, out_refund_no: `RF${rid}`,
        refund_id: r.refund_no, refund_status: 'SUCCESS', amount: { total: 70000, refund: 70000, payer_total: 70000, payer_refund: 70000 } };
    assert.equal((await sendCallback(plain, { event: 'REFUND.SUCCESS' })).status, 204);
    const cases = [
        ['another amount', await sendCallback({ ...plain, amount: { ...plain.amount, refund: 1 } }, { event: 'REFUND.SUCCESS' })],
        ['not our refund', await sendCallback({ ...plain, out_refund_no: 'RF999999999' }, { event: 'REFUND.SUCCESS' })],
        ['tampered signature', await sendCallback(plain, { event: 'REFUND.SUCCESS', signature: Buffer.alloc(256, 7).toString('base64') })],
        ['stale', await sendCallback(plain, { event: 'REFUND.SUCCESS', timestamp: Math.floor(Date.now() / 1000) - 900 })],
    ];
    for (const [name, x] of cases)
        assert.equal(x.status, 400, `${name}: ${x.text}`);
});

test('wechatpay_h5__phone__h5_url_with_redirect_back_then_paid', async () => {
    const { c, id } = await personOrder();
    const r = await c.post('/hunan/pay/online', { id, channel: 'wechat' },
        { headers: { 'User-Agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36' } });
    assert.equal(r.status, 200, r.text);
    const u = new URL(r.body.redirect);
    assert.equal(`${u.origin}${u.pathname.replace(/\d+$/, 'N')}`, `${SANDBOX}/pay/page/N`);
    assert.match(u.searchParams.get('redirect_url'), new RegExp(`/hunan/pay\\?id=${id}$`));
    assert.equal(psql(`SELECT pay_mode FROM payments WHERE order_id = ${id}`), 'h5');
    const q = (await sandbox('/sandbox/wxpay/requests?limit=20')).body.requests.find((x) => x.url === '/v3/pay/transactions/h5');
    assert.equal(JSON.parse(q.body).scene_info.h5_info.type, 'Wap');
    /* the H5 page pays and sends the browser back to the hall */
    await fetch(r.body.redirect);
    const trade = u.pathname.split('/').pop();
    const back = await fetch(`${SANDBOX}/pay/page/${trade}/confirm`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual',
    });
    assert.equal(back.status, 303);
    assert.match(back.headers.get('location'), new RegExp(`/hunan/pay\\?id=${id}$`));
    await waitStatus(id, 'review');
});

test('partner_own_account__collects_into_its_mchid__the_halls_account_cannot_pay_it', async () => {
    /* szjsgws collects WeChat payments into its own merchant account */
    const ref = psql(`INSERT INTO pay_merchants (partner_code, channel, driver, merchant_id, app_id, platform_key_id)
        VALUES ('szjsgws', 'wechat', 'wechatpay_v3', '1900000002', 'wx9999999999999999',
        'PUB_KEY_ID_0119000000012026000000000001') RETURNING id`);
    try {
        const c = await applicant();
        const o = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
        psql(`UPDATE orders SET partner_code = 'szjsgws' WHERE id = ${o.id}`);
        const trade = await payOnline(c, o.id, 'wechat');
        assert.equal(psql(`SELECT merchant_ref FROM payments WHERE order_id = ${o.id}`), ref);
        const q = (await sandbox('/sandbox/wxpay/requests?limit=20')).body.requests
            .find((x) => x.url === '/v3/pay/transactions/native' && x.body.includes(`"out_trade_no":"${psql(`SELECT out_trade_no FROM payments WHERE order_id = ${o.id}`)}"`));
        assert.match(q.authorization, /mchid="1900000002"/);
        assert.equal(JSON.parse(q.body).appid, 'wx9999999999999999');
        assert.equal((await sandbox(`/sandbox/pay/${trade}`)).body.merchant_id, '1900000002');

        /* a notification of the hall's account for this trade is refused */
        const out = psql(`SELECT out_trade_no FROM payments WHERE order_id = ${o.id}`);
        const r = await sendCallback({ out_trade_no: out, transaction_id: `4200${Date.now()}`, amount: { total: 70000, currency: 'CNY' } });
        assert.equal(r.status, 400, r.text);
        assert.match(JSON.parse(r.text).message, /商户号/);
        assert.equal(orderStatus(o.id), 'unpaid');

        /* paid at the partner's account: its notification is taken */
        await confirmTrade(trade);
        await waitStatus(o.id, 'review');
        assert.equal((await sandbox(`/sandbox/pay/${trade}`)).body.notify.state, 'ACKED');
    } finally {
        psql(`UPDATE pay_merchants SET active = false WHERE id = ${ref}`);
    }
});

test('gateway_hanging__pay_pages_wait_in_at_most_half_the_workers__the_rest_answer', async () => {
    /* four orders with an open WeChat trade each; then the gateway hangs */
    const orders = [];
    for (let i = 0; i < 4; i++) {
        const o = await personOrder();
        await payOnline(o.c, o.id, 'wechat', '/hunan');
        orders.push(o);
    }
    await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay', mode: 'timeout' } });
    try {
        const t0 = Date.now();
        const times = await Promise.all(orders.map(async (o) => {
            const r = await o.c.get(`/hunan/pay?id=${o.id}`);
            assert.equal(r.status, 200);
            /* the gateway's silence is not taken for "unpaid": no second payment offered */
            assert.ok(r.text.includes('支付结果确认中'));
            return Date.now() - t0;
        }));
        times.sort((a, b) => a - b);
        /* the driver's calls share the pay module's provider slots (half of
         * its 4 workers): two pages wait for the gateway, two are answered
         * after the short wait for a slot */
        assert.ok(times[1] < 3000, `two pages answered at once: ${times}`);
        assert.ok(times[3] >= 3000, `the others waited for the gateway: ${times}`);
    } finally {
        await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'pay', mode: 'ok' } });
    }
});

test('refund__wechat_processing_first__the_job_asks_again_with_the_same_out_refund_no', async () => {
    await sandbox('/sandbox/pay/refund-processing', { method: 'POST', body: { count: 1 } });
    try {
        const { t, rid } = await refundThrough('wechat');
        /* one refund at the gateway however often the job asked */
        assert.equal(t.body.refunds.length, 1);
        assert.ok(Number(psql(`SELECT attempts FROM outbox WHERE idem_key = 'refund-${rid}'`)) >= 2,
            'the job was tried again after PROCESSING');
        assert.equal(psql(`SELECT status FROM refunds WHERE id = ${rid}`), 'done');
    } finally {
        await sandbox('/sandbox/pay/refund-processing', { method: 'POST', body: { count: 0 } });
    }
});
