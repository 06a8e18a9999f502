'use strict';
/*
 * The sandbox's WeChat Pay (API v3), in the provider's protocol: Native
 * and H5 orders, the query and close of a trade by out_trade_no, refunds
 * (POST /v3/refund/domestic/refunds, PROCESSING for a second when asked);
 * requests signed WECHATPAY2-SHA256-RSA2048 with the merchant's
 * certificate are verified, and every answer and notification is signed
 * with the platform's key (Wechatpay-Serial = WX_KEY_ID); notifications'
 * resource is encrypted with the merchant's APIv3 key (AEAD_AES_256_GCM).
 * The trades, keys and notification delivery are sandbox.js's (one record
 * per trade whichever gateway opened it).  docs/sandbox.md, "2. Payment".
 */

const crypto = require('node:crypto');

const WX_KEY_ID = 'PUB_KEY_ID_0119000000012026000000000001';
const WINDOW_S = 300;

class WxError extends Error {
    constructor(status, code, message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}

module.exports = function wechatPay(env) {
    const {
        keys, send, readBody, hold, takeFault, delay, deliver, log, baseUrl, nowIso, stamp, digits,
        newTrade, tradeByOut, rsaSign, rsaVerify, beijing,
    } = env;

    function wxTime(iso) {
        return `${beijing(iso, 'T')}+08:00`;
    }

    /* the answer, signed as WeChat Pay signs: "timestamp\nnonce\nbody\n" */
    function wxSend(res, status, obj) {
        const body = obj === null ? '' : JSON.stringify(obj);
        const ts = String(Math.floor(Date.now() / 1000));
        const nonce = crypto.randomBytes(16).toString('hex');
        const headers = {
            'Wechatpay-Timestamp': ts, 'Wechatpay-Nonce': nonce, 'Wechatpay-Serial': WX_KEY_ID,
            'Wechatpay-Signature': rsaSign(keys.wx, `${ts}\n${nonce}\n${body}\n`),
            'Request-ID': crypto.randomUUID(), 'Cache-Control': 'no-store',
            'Content-Length': Buffer.byteLength(body),
        };
        if (body !== '')
            headers['Content-Type'] = 'application/json; charset=utf-8';
        res.writeHead(status, headers);
        res.end(body);
    }

    /* the merchant of a request whose Authorization checks out */
    function wxAuth(req, raw) {
        const h = req.headers.authorization ?? '';
        const m = h.match(/^WECHATPAY2-SHA256-RSA2048 (.+)$/);
        if (!m)
            throw new WxError(401, 'SIGN_ERROR', '缺少或无法识别的 Authorization');
        const a = {};
        for (const part of m[1].match(/[a-z_]+="[^"]*"/g) ?? []) {
            const i = part.indexOf('=');
            a[part.slice(0, i)] = part.slice(i + 2, -1);
        }
        const mer = keys.wxMerchants.get(a.mchid);
        if (!mer)
            throw new WxError(401, 'SIGN_ERROR', '商户号不存在');
        if ((a.serial_no ?? '').toUpperCase().replace(/^0+/, '') !== mer.serial)
            throw new WxError(401, 'SIGN_ERROR', '商户证书序列号不正确');
        const ts = Number(a.timestamp);
        if (!/^\d{1,12}$/.test(a.timestamp ?? '') || Math.abs(Date.now() / 1000 - ts) > WINDOW_S)
            throw new WxError(401, 'SIGN_ERROR', '时间戳超出有效范围');
        const msg = `${req.method}\n${req.url}\n${a.timestamp}\n${a.nonce_str}\n${raw}\n`;
        if (!a.signature || !rsaVerify(mer.pub, msg, a.signature))
            throw new WxError(401, 'SIGN_ERROR', '签名错误');
        return mer;
    }

    function wxJson(raw) {
        try {
            const v = JSON.parse(raw);
            if (v && typeof v === 'object' && !Array.isArray(v))
                return v;
        } catch { /* below */ }
        throw new WxError(400, 'PARAM_ERROR', '请求体不是有效的 JSON');
    }

    function wxOrder(mer, body, mode, base) {
        for (const f of ['appid', 'mchid', 'description', 'out_trade_no', 'notify_url'])
            if (typeof body[f] !== 'string' || body[f] === '')
                throw new WxError(400, 'PARAM_ERROR', `缺少参数 ${f}`);
        if (body.mchid !== mer.mchid)
            throw new WxError(400, 'MCH_NOT_EXISTS', '请求中的 mchid 与签名的商户号不一致');
        const total = body.amount?.total;
        if (!Number.isSafeInteger(total) || total <= 0 || (body.amount.currency ?? 'CNY') !== 'CNY')
            throw new WxError(400, 'PARAM_ERROR', 'amount.total 必须是正整数（分）');
        if (!/^[A-Za-z0-9_\-*|]{6,32}$/.test(body.out_trade_no))
            throw new WxError(400, 'PARAM_ERROR', 'out_trade_no 格式不正确');
        if (mode === 'h5' && typeof body.scene_info?.payer_client_ip !== 'string')
            throw new WxError(400, 'PARAM_ERROR', '缺少参数 scene_info.payer_client_ip');
        const t = newTrade('wechat', {
            merchant_id: mer.mchid, appid: body.appid, out_trade_no: body.out_trade_no, amount_fen: total,
            subject: body.description.slice(0, 127), notify_url: body.notify_url, mode,
        });
        if (t === null)
            throw new WxError(400, 'INVALID_REQUEST', '商户订单号重复，且与原订单参数不一致');
        if (t.status === 'SUCCESS' || t.status === 'REFUND')
            throw new WxError(400, 'ORDERPAID', '该订单已支付');
        if (t.status === 'CLOSED')
            throw new WxError(400, 'ORDER_CLOSED', '订单已关闭');
        if (mode === 'native')
            return { code_url: `weixin://wxpay/bizpayurl?pr=${t.trade_no}` };
        return { h5_url: `${base}/pay/page/${t.trade_no}?prepay_id=wx${t.trade_no}` };
    }

    function wxTransaction(t) {
        const o = {
            appid: t.appid, mchid: t.merchant_id, out_trade_no: t.out_trade_no,
            trade_type: t.mode === 'native' ? 'NATIVE' : 'MWEB',
            trade_state: t.status, trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', REFUND: '转入退款' }[t.status],
            amount: { total: t.amount_fen, currency: 'CNY' },
        };
        if (t.paid_at) {
            o.transaction_id = t.trade_no;
            o.success_time = wxTime(t.paid_at);
            o.bank_type = 'OTHERS';
            o.payer = { openid: 'oSandbox0000000000000000000' };
            o.amount.payer_total = t.amount_fen;
            o.amount.payer_currency = 'CNY';
        }
        return o;
    }

    function wxRefund(mer, body, base) {
        const t = tradeByOut('wechat', mer.mchid, body.out_trade_no);
        if (!t)
            throw new WxError(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
        const a = body.amount ?? {};
        if (typeof body.out_refund_no !== 'string' || !/^[A-Za-z0-9_\-*@|]{1,64}$/.test(body.out_refund_no))
            throw new WxError(400, 'PARAM_ERROR', 'out_refund_no 格式不正确');
        if (!Number.isSafeInteger(a.refund) || a.refund <= 0 || a.total !== t.amount_fen || (a.currency ?? 'CNY') !== 'CNY')
            throw new WxError(400, 'PARAM_ERROR', 'amount 不正确：total 必须是原订单金额');
        const prev = t.refunds.find((r) => r.out_refund_no === body.out_refund_no);
        if (prev)
            return wxRefundObj(t, prev);
        if (t.status !== 'SUCCESS' && t.status !== 'REFUND')
            throw new WxError(400, 'INVALID_REQUEST', '订单未支付，不能退款');
        if (a.refund > t.amount_fen - t.refunded_fen)
            throw new WxError(400, 'NOT_ENOUGH', '退款金额超过可退金额');
        const r = {
            refund_no: `50${stamp()}${digits(16)}`, out_refund_no: body.out_refund_no, trade_no: t.trade_no,
            amount_fen: a.refund, reason: typeof body.reason === 'string' ? body.reason.slice(0, 80) : null,
            at: nowIso(), notify_url: typeof body.notify_url === 'string' ? body.notify_url : null,
        };
        t.refunded_fen += a.refund;
        if (t.refunded_fen === t.amount_fen)
            t.status = 'REFUND';
        if (t.refunds.length < 100)
            t.refunds.push(r);
        env.state().refunds.set(r.refund_no, r);
        /* POST /sandbox/pay/refund-processing: this refund is PROCESSING for a
         * second, as WeChat Pay's often are, then SUCCESS */
        if (env.state().refundProcessing > 0) {
            env.state().refundProcessing--;
            r.status = 'PROCESSING';
            const gen = env.generation();
            delay(1000).then(() => {
                if (gen !== env.generation())
                    return;
                r.status = 'SUCCESS';
                if (r.notify_url)
                    wxNotifyRefund(t, r, mer).catch(() => {});
            });
        } else if (r.notify_url) {
            wxNotifyRefund(t, r, mer).catch(() => {});
        }
        return wxRefundObj(t, r);
    }

    function wxRefundObj(t, r) {
        return {
            refund_id: r.refund_no, out_refund_no: r.out_refund_no, transaction_id: t.trade_no,
            out_trade_no: t.out_trade_no, channel: 'ORIGINAL', user_received_account: '支付用户零钱',
            create_time: wxTime(r.at), success_time: r.status === 'PROCESSING' ? undefined : wxTime(r.at),
            status: r.status ?? 'SUCCESS', funds_account: 'AVAILABLE',
            amount: { total: t.amount_fen, refund: r.amount_fen, payer_total: t.amount_fen, payer_refund: r.amount_fen, currency: 'CNY' },
        };
    }

    /* a notification as WeChat Pay sends one: resource encrypted with the
     * APIv3 key (AEAD_AES_256_GCM, associated_data, nonce), the whole signed */
    function wxEnvelope(mer, eventType, originalType, summary, plain) {
        const nonce = crypto.randomBytes(6).toString('hex');
        const aad = originalType;
        const c = crypto.createCipheriv('aes-256-gcm', mer.apiv3, Buffer.from(nonce, 'utf8'));
        c.setAAD(Buffer.from(aad, 'utf8'));
        const ct = Buffer.concat([c.update(JSON.stringify(plain), 'utf8'), c.final(), c.getAuthTag()]);
        return JSON.stringify({
            id: crypto.randomUUID(), create_time: wxTime(nowIso()), resource_type: 'encrypt-resource',
            event_type: eventType, summary,
            resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext: ct.toString('base64'), associated_data: aad, nonce },
        });
    }

    function wxSignedHeaders(raw, { badSignature = false } = {}) {
        const ts = String(Math.floor(Date.now() / 1000));
        const nonce = crypto.randomBytes(16).toString('hex');
        const sig = rsaSign(keys.wx, `${ts}\n${nonce}\n${raw}${badSignature ? 'x' : ''}\n`);
        return {
            'Content-Type': 'application/json', 'Wechatpay-Timestamp': ts, 'Wechatpay-Nonce': nonce,
            'Wechatpay-Serial': WX_KEY_ID, 'Wechatpay-Signature': sig, 'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
        };
    }

    async function wxNotifyRefund(t, r, mer) {
        await delay(10);
        const raw = wxEnvelope(mer, 'REFUND.SUCCESS', 'refund', '退款成功', {
            mchid: mer.mchid, out_trade_no: t.out_trade_no, transaction_id: t.trade_no,
            out_refund_no: r.out_refund_no, refund_id: r.refund_no, refund_status: 'SUCCESS',
            success_time: wxTime(r.at), user_received_account: '支付用户零钱',
            amount: { total: t.amount_fen, refund: r.amount_fen, payer_total: t.amount_fen, payer_refund: r.amount_fen },
        });
        const rec = await deliver(r.notify_url, wxSignedHeaders(raw), raw, (st) => st === 200 || st === 204);
        r.notify = rec;
        log({ event: 'refund_notify', refund_no: r.refund_no, status: rec.http_status ?? rec.error, acked: rec.acked });
    }

    async function wxGateway(req, res, info) {
        const url = new URL(req.url, 'http://x');
        const p = url.pathname;
        const m = req.method;
        let g;
        let svc = null;
        let fn = null;
        if (m === 'POST' && (p === '/v3/pay/transactions/native' || p === '/v3/pay/transactions/h5')) {
            svc = 'pay';
            fn = (mer, body, base) => [200, wxOrder(mer, body, p.endsWith('native') ? 'native' : 'h5', base)];
        } else if (m === 'GET' && (g = p.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]{1,64})$/))) {
            svc = 'pay';
            fn = (mer) => {
                if (url.searchParams.get('mchid') !== mer.mchid)
                    throw new WxError(400, 'PARAM_ERROR', 'mchid 与签名的商户号不一致');
                const t = tradeByOut('wechat', mer.mchid, decodeURIComponent(g[1]));
                if (!t)
                    throw new WxError(404, 'ORDER_NOT_EXIST', '订单不存在');
                return [200, wxTransaction(t)];
            };
        } else if (m === 'POST' && (g = p.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]{1,64})\/close$/))) {
            /* its own service name: a test can make closing fail and paying work */
            svc = 'pay_close';
            fn = (mer, body) => {
                if (body.mchid !== mer.mchid)
                    throw new WxError(400, 'PARAM_ERROR', 'mchid 与签名的商户号不一致');
                const t = tradeByOut('wechat', mer.mchid, decodeURIComponent(g[1]));
                if (!t)
                    throw new WxError(404, 'ORDER_NOT_EXIST', '订单不存在');
                if (t.status === 'NOTPAY')
                    t.status = 'CLOSED';
                if (t.status !== 'CLOSED')
                    throw new WxError(400, 'ORDERPAID', '订单已支付');
                return [204, null];
            };
        } else if (m === 'POST' && p === '/v3/refund/domestic/refunds') {
            svc = 'pay';
            fn = (mer, body, base) => [200, wxRefund(mer, body, base)];
        }
        if (!keys.wx)
            return send(res, 503, { code: 'SYSTEM_ERROR', message: 'sandbox: no payment keys (HALL_SANDBOX_KEYS)' });
        if (svc === null)
            return wxSend(res, 404, { code: 'NOT_FOUND', message: '接口不存在' });
        info.service = svc;
        const buf = await readBody(req, res);
        if (buf === null)
            return;
        if (!keys.wx)
            return send(res, 503, { code: 'SYSTEM_ERROR', message: 'sandbox: no payment keys (HALL_SANDBOX_KEYS)' });
        const st = env.state().stats[svc];
        st.calls++;
        const fault = takeFault(svc);
        if (fault) {
            info.fault = fault.mode;
            if (fault.mode === 'fail') {
                st.faulted++;
                return wxSend(res, 500, { code: 'SYSTEM_ERROR', message: 'sandbox fault: fail' });
            }
            if (fault.mode === 'timeout') {
                st.faulted++;
                return hold(req, res);
            }
        }
        const raw = buf.toString('utf8');
        /* what the merchant sent, for tests that check it with an SDK's verifier */
        env.state().wxRequests.set(crypto.randomUUID(), {
            method: m, url: req.url, authorization: req.headers.authorization ?? null, body: raw, at: nowIso(),
        });
        let result;
        try {
            const mer = wxAuth(req, raw);
            const body = m === 'GET' ? {} : wxJson(raw);
            result = fn(mer, body, baseUrl(req));
            st.acted++;
        } catch (e) {
            if (!(e instanceof WxError))
                throw e;
            result = [e.status, { code: e.code, message: e.message }];
        }
        if (fault && fault.mode === 'delay')
            await delay(fault.delay_ms);
        wxSend(res, result[0], result[1]);
    }

    return { gateway: wxGateway, transaction: wxTransaction, envelope: wxEnvelope, signedHeaders: wxSignedHeaders };
};
