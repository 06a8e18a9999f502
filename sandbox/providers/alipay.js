'use strict';
/*
 * The sandbox's Alipay (OpenAPI, gateway.do), in the provider's protocol:
 * alipay.trade.page.pay and alipay.trade.wap.pay open a trade and send the
 * browser to the cashier (/pay/page/<trade_no>); alipay.trade.query,
 * .close and .refund.  Requests signed RSA2 with the application's key are
 * verified; answers ("*_response" text) and the asynchronous notification
 * (form parameters, sign over the sorted rest) are signed with Alipay's.
 * The trades, keys and notification delivery are sandbox.js's (one record
 * per trade whichever gateway opened it).  docs/sandbox.md, "2. Payment".
 */

const crypto = require('node:crypto');

module.exports = function alipay(env) {
    const {
        keys, send, sendHtml, page, esc, readBody, hold, takeFault, delay, nowIso, fen,
        newTrade, tradeByOut, rsaSign, rsaVerify, beijing,
    } = env;

    /* the sorted "k=v&..." of the non-empty parameters but sign (and sign_type) */
    function aliSignText(params, skipSignType) {
        return Object.keys(params).filter((k) => k !== 'sign' && !(skipSignType && k === 'sign_type')
            && params[k] !== undefined && params[k] !== null && params[k] !== '')
            .sort().map((k) => `${k}=${params[k]}`).join('&');
    }

    /* the parameters of a request whose RSA2 signature checks out */
    function aliAuth(params) {
        const app = keys.aliApps.get(params.app_id);
        if (!app)
            return [null, 'isv.invalid-app-id', '无效的AppID参数'];
        if (params.sign_type !== 'RSA2' || params.charset !== 'utf-8')
            return [null, 'isv.invalid-signature-type', 'sign_type 必须是 RSA2，charset 必须是 utf-8'];
        if (!params.sign || !rsaVerify(app.pub, aliSignText(params, false), params.sign))
            return [null, 'isv.invalid-signature', '验签出错'];
        const ts = Date.parse(`${String(params.timestamp).replace(' ', 'T')}+08:00`);
        if (!Number.isFinite(ts) || Math.abs(Date.now() - ts) > 30 * 60000)
            return [null, 'isv.invalid-timestamp', '非法的时间戳参数'];
        let biz;
        try {
            biz = JSON.parse(params.biz_content ?? '');
        } catch {
            return [null, 'isv.missing-biz-content', 'biz_content 不是有效的 JSON'];
        }
        return [{ app, biz }, null, null];
    }

    function aliAmount(s) {
        if (typeof s !== 'string' || !/^(0|[1-9]\d{0,9})(\.\d{1,2})?$/.test(s))
            return null;
        const [y, f = ''] = s.split('.');
        const fenv = Number(y) * 100 + Number(f.padEnd(2, '0'));
        return fenv > 0 ? fenv : null;
    }

    /* {"<method>_response": {...}, "sign": ...}: the sign over the text as sent */
    function aliSend(res, method, obj) {
        const name = `${method.replace(/\./g, '_')}_response`;
        const inner = JSON.stringify(obj);
        const body = `{"${name}":${inner},"sign":"${rsaSign(keys.ali, inner)}"}`;
        res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
        res.end(body);
    }

    function aliError(sub, msg) {
        return { code: '40004', msg: 'Business Failed', sub_code: sub, sub_msg: msg };
    }

    function aliApi(method, app, biz) {
        const t = biz.out_trade_no ? tradeByOut('alipay', app.app_id, biz.out_trade_no)
            : (biz.trade_no ? env.state().trades.get(biz.trade_no) : undefined);
        if (method === 'alipay.trade.query') {
            if (!t)
                return aliError('ACQ.TRADE_NOT_EXIST', '交易不存在');
            const st = { NOTPAY: 'WAIT_BUYER_PAY', SUCCESS: 'TRADE_SUCCESS', REFUND: 'TRADE_CLOSED', CLOSED: 'TRADE_CLOSED' }[t.status];
            return {
                code: '10000', msg: 'Success', trade_no: t.trade_no, out_trade_no: t.out_trade_no,
                trade_status: st, total_amount: fen(t.amount_fen), send_pay_date: t.paid_at ? beijing(t.paid_at) : undefined,
            };
        }
        if (method === 'alipay.trade.close') {
            if (!t)
                return aliError('ACQ.TRADE_NOT_EXIST', '交易不存在');
            if (t.status === 'NOTPAY')
                t.status = 'CLOSED';
            if (t.status !== 'CLOSED')
                return aliError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
            return { code: '10000', msg: 'Success', trade_no: t.trade_no, out_trade_no: t.out_trade_no };
        }
        if (method === 'alipay.trade.refund') {
            if (!t)
                return aliError('ACQ.TRADE_NOT_EXIST', '交易不存在');
            const amt = aliAmount(biz.refund_amount);
            if (amt === null)
                return aliError('ACQ.INVALID_PARAMETER', 'refund_amount 不正确');
            const reqNo = typeof biz.out_request_no === 'string' ? biz.out_request_no : t.out_trade_no;
            let r = t.refunds.find((x) => x.out_refund_no === reqNo);
            if (!r) {
                if (t.status !== 'SUCCESS' && t.status !== 'REFUND')
                    return aliError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
                if (amt > t.amount_fen - t.refunded_fen)
                    return aliError('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
                r = { refund_no: reqNo, out_refund_no: reqNo, trade_no: t.trade_no, amount_fen: amt, reason: biz.refund_reason ?? null, at: nowIso() };
                t.refunded_fen += amt;
                if (t.refunded_fen === t.amount_fen)
                    t.status = 'REFUND';
                if (t.refunds.length < 100)
                    t.refunds.push(r);
                env.state().refunds.set(`${t.trade_no}:${reqNo}`, r);
            }
            return {
                code: '10000', msg: 'Success', trade_no: t.trade_no, out_trade_no: t.out_trade_no,
                buyer_logon_id: 'san***@sandbox.com', fund_change: 'Y', refund_fee: fen(t.refunded_fen),
            };
        }
        return { code: '40004', msg: 'Business Failed', sub_code: 'isv.invalid-method', sub_msg: '不存在的方法名' };
    }

    async function aliGateway(req, res, info) {
        const url = new URL(req.url, 'http://x');
        const isPage = req.method === 'GET';
        const buf = await readBody(req, res);
        if (buf === null)
            return;
        /* SDKs put the common parameters in the query string and biz_content in
         * the form body, or everything in one of them: both are read */
        const params = Object.fromEntries(url.searchParams);
        if (!isPage)
            Object.assign(params, Object.fromEntries(new URLSearchParams(buf.toString('utf8'))));
        const method = String(params.method ?? '');
        const svc = method === 'alipay.trade.close' ? 'pay_close' : 'pay';
        info.service = svc;
        if (!keys.ali)
            return send(res, 503, { ok: false, error: 'sandbox: no payment keys (HALL_SANDBOX_KEYS)' });
        const st = env.state().stats[svc];
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
            if (fault.mode === 'delay')
                await delay(fault.delay_ms);
        }
        const [ok, sub, msg] = aliAuth(params);
        if (isPage) {
            if (!ok)
                return sendHtml(res, 400, page('支付宝 - 错误', `<h1>支付宝</h1><p id="error">${esc(sub)}：${esc(msg)}</p>`));
            if (method !== 'alipay.trade.page.pay' && method !== 'alipay.trade.wap.pay')
                return sendHtml(res, 400, page('支付宝 - 错误', '<h1>支付宝</h1><p id="error">不存在的方法名</p>'));
            const amt = aliAmount(ok.biz.total_amount);
            if (amt === null || typeof ok.biz.out_trade_no !== 'string' || typeof ok.biz.subject !== 'string'
                || !params.notify_url)
                return sendHtml(res, 400, page('支付宝 - 错误', '<h1>支付宝</h1><p id="error">缺少必选参数</p>'));
            const t = newTrade('alipay', {
                merchant_id: ok.app.app_id, out_trade_no: ok.biz.out_trade_no, amount_fen: amt,
                subject: ok.biz.subject.slice(0, 256), notify_url: params.notify_url,
                return_url: params.return_url ?? null, mode: method === 'alipay.trade.wap.pay' ? 'wap' : 'page',
            });
            if (t === null)
                return sendHtml(res, 400, page('支付宝 - 错误', '<h1>支付宝</h1><p id="error">商户订单号重复</p>'));
            st.acted++;
            res.writeHead(303, { Location: `/pay/page/${t.trade_no}`, 'Content-Length': 0 });
            return res.end();
        }
        if (!ok)
            return aliSend(res, method || 'error', { code: '40002', msg: 'Invalid Arguments', sub_code: sub, sub_msg: msg });
        st.acted++;
        aliSend(res, method, aliApi(method, ok.app, ok.biz));
    }

    /* the asynchronous notification: form parameters, sign over the sorted rest */
    function aliNotification(t) {
        const p = {
            notify_time: beijing(nowIso()), notify_type: 'trade_status_sync', notify_id: crypto.randomBytes(16).toString('hex'),
            app_id: t.merchant_id, charset: 'utf-8', version: '1.0', sign_type: 'RSA2',
            trade_no: t.trade_no, out_trade_no: t.out_trade_no, trade_status: 'TRADE_SUCCESS',
            total_amount: fen(t.amount_fen), receipt_amount: fen(t.amount_fen), buyer_pay_amount: fen(t.amount_fen),
            subject: t.subject, gmt_create: beijing(t.created_at), gmt_payment: beijing(t.paid_at),
            seller_id: '2088000000000001', buyer_id: '2088000000000002',
        };
        p.sign = rsaSign(keys.ali, aliSignText(p, true));
        return p;
    }

    return { gateway: aliGateway, notification: aliNotification, signText: aliSignText };
};
