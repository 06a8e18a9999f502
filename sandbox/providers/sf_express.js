'use strict';
/*
 * The sandbox's SF Express open platform (丰桥) and the carriers' route
 * pushes.  POST /std/service takes SF's form (partnerID, requestID,
 * serviceCode, timestamp in ms, msgDigest, msgData) and checks msgDigest =
 * Base64(MD5(URLEncoder.encode(msgData + timestamp + checkWord, "UTF-8")))
 * as SF documents it; services EXP_RECE_CREATE_ORDER, EXP_RECE_SEARCH_ORDER_RESP
 * and EXP_RECE_UPDATE_ORDER (dealType 2: cancel), answered as SF does
 * ({apiResultCode, apiErrorMsg, apiResponseID, apiResultData: a JSON
 * string}).  A delivery is pushed to the hall in the same form, signed the
 * same way with the carrier account's secret (京东快递 and EMS too: the
 * sandbox's stand-in for their pushes).  docs/sandbox.md, "Courier".
 */

const crypto = require('node:crypto');
const providerSecret = require('./secret');

/* the sandbox's accounts: partnerID -> carrier and the secret's file */
const ACCOUNTS = {
    HALLSFSANDBOX: { carrier: '顺丰速运', code: 'sf', file: 'sf.checkword' },
    HALLJDSANDBOX: { carrier: '京东快递', code: 'jd', file: 'jd.secret' },
    HALLEMSSANDBOX: { carrier: 'EMS', code: 'ems', file: 'ems.secret' },
};
const MAX_SKEW_MS = 5 * 60 * 1000;

/* java.net.URLEncoder.encode(s, "UTF-8") */
function javaUrlEncode(s) {
    return encodeURIComponent(s).replace(/%20/g, '+')
        .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sfDigest(msgData, timestamp, checkWord) {
    return crypto.createHash('md5').update(javaUrlEncode(msgData + timestamp + checkWord), 'utf8').digest('base64');
}

module.exports = function sfExpress(env) {
    /* the account's secret: keyenc.sh's line opened with --provider-pass, or in clear */
    function secret(file) {
        return providerSecret(env.keysDir, env.passFile, file);
    }

    function answer(code, msg, data) {
        return [200, {
            apiResultCode: code, apiErrorMsg: msg, apiResponseID: crypto.randomUUID().replace(/-/g, '').toUpperCase(),
            apiResultData: data === undefined ? undefined : JSON.stringify(data),
        }];
    }

    const ok = (msgData) => answer('A1000', '', { success: true, errorCode: 'S0000', errorMsg: null, msgData });
    const no = (errorCode, errorMsg) => answer('A1000', '', { success: false, errorCode, errorMsg, msgData: null });

    function createOrder(m, state) {
        const orderId = typeof m.orderId === 'string' ? m.orderId : '';
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(orderId))
            return no('8013', '订单号不合法');
        const list = Array.isArray(m.contactInfoList) ? m.contactInfoList : [];
        const to = list.find((c) => c && c.contactType === 2);
        const from = list.find((c) => c && c.contactType === 1);
        for (const [who, c] of [['寄件人', from], ['收件人', to]]) {
            if (!c || !c.contact || !(c.mobile || c.tel) || !c.address)
                return no('1010', `${who}信息不完整`);
        }
        if (![1, 2, 3].includes(m.payMethod))
            return no('8018', '付款方式不合法');
        if (m.payMethod === 1 && !/^\d{10}$/.test(String(m.monthlyCard ?? '')))
            return no('8019', '寄方付须填写月结卡号');
        if (state.sfOrders.has(orderId))
            return no('8016', '重复下单');
        const waybillNo = `SF${env.digits(13)}`;
        const w = {
            waybill_no: waybillNo, order_no: orderId, carrier: '顺丰速运', at: new Date().toISOString(),
            payment: m.payMethod === 1 ? '寄付' : '到付', monthly_card: m.payMethod === 1 ? m.monthlyCard : null,
            express_type_id: m.expressTypeId ?? null, account: 'HALLSFSANDBOX', status: 'BOOKED',
            receiver_province: to.province ?? null,
        };
        state.waybills.set(waybillNo, w);
        state.sfOrders.set(orderId, waybillNo);
        return ok({ orderId, waybillNoInfoList: [{ waybillType: 1, waybillNo }], filterResult: 2 });
    }

    function searchOrder(m, state) {
        const no8 = state.sfOrders.get(String(m.orderId ?? ''));
        if (!no8)
            return no('8024', '未下单');
        return ok({ orderId: m.orderId, waybillNoInfoList: [{ waybillType: 1, waybillNo: no8 }] });
    }

    function updateOrder(m, state) {
        const no8 = state.sfOrders.get(String(m.orderId ?? ''));
        if (!no8)
            return no('8024', '未下单');
        if (m.dealType !== 2)
            return no('8018', 'dealType 不合法');
        const w = state.waybills.get(no8);
        if (w && w.status === 'DELIVERED')
            return no('8037', '已揽收，不能取消');
        if (w)
            w.status = 'CANCELLED';
        return ok({ orderId: m.orderId, waybillNoInfoList: [{ waybillType: 1, waybillNo: no8 }], resStatus: 2 });
    }

    /* POST /std/service; true when it was this route */
    async function route(req, res, info, url) {
        if (url.pathname !== '/std/service' || req.method !== 'POST')
            return false;
        info.service = 'courier';
        const buf = await env.readBody(req, res);
        if (buf === null)
            return true;
        const state = env.state();
        state.stats.courier.calls++;
        const f = Object.fromEntries(new URLSearchParams(buf.toString('utf8')));
        info.action = String(f.serviceCode ?? '-').slice(0, 40);
        let result;
        const acct = ACCOUNTS[f.partnerID];
        const check = acct && acct.code === 'sf' ? secret(acct.file) : null;
        if (!f.partnerID || !f.requestID || !f.serviceCode || !f.timestamp || !f.msgDigest || !f.msgData)
            result = answer('A1001', '必传参数不可为空');
        else if (check === null)
            result = answer('A1004', '无对应服务权限');
        else if (!/^\d{13}$/.test(f.timestamp) || Math.abs(Date.now() - Number(f.timestamp)) > MAX_SKEW_MS)
            result = answer('A1002', '请求时效已过期');
        else if (sfDigest(f.msgData, f.timestamp, check) !== f.msgDigest)
            result = answer('A1006', '数字签名无效');
        if (result !== undefined) {
            info.refused = result[1].apiResultCode;
            env.send(res, result[0], result[1]);
            return true;
        }
        const fault = env.takeFault('courier');
        if (fault && fault.mode !== 'delay') {
            info.fault = fault.mode;
            state.stats.courier.faulted++;
            if (fault.mode === 'timeout')
                return env.hold(req, res), true;
            env.send(res, 503, { apiResultCode: 'A1009', apiErrorMsg: 'sandbox fault: fail' });
            return true;
        }
        let m;
        try {
            m = JSON.parse(f.msgData);
        } catch {
            m = null;
        }
        if (m === null || typeof m !== 'object')
            result = answer('A1001', 'msgData 不是有效的 JSON');
        else if (f.serviceCode === 'EXP_RECE_CREATE_ORDER')
            result = createOrder(m, state);
        else if (f.serviceCode === 'EXP_RECE_SEARCH_ORDER_RESP')
            result = searchOrder(m, state);
        else if (f.serviceCode === 'EXP_RECE_UPDATE_ORDER')
            result = updateOrder(m, state);
        else
            result = answer('A1004', '无对应服务权限');
        state.stats.courier.acted++;
        if (fault) {
            info.fault = 'delay';
            await env.lateAnswer(req, fault.delay_ms);
            if (req.socket.destroyed)
                return true;
        }
        env.send(res, result[0], result[1]);
        return true;
    }

    /* the carrier's route push of a delivery (opCode 80), signed as SF signs,
     * to the hall's push URL of the carrier; opts: {badDigest, staleMs} */
    async function pushDelivered(w, opts = {}) {
        const code = Object.entries(ACCOUNTS).find(([, a]) => a.carrier === w.carrier);
        if (!code)
            return { http_status: null, acked: false, error: 'no account' };
        const [partnerID, acct] = code;
        const check = secret(acct.file);
        if (!env.hallUrl || check === null)
            return { http_status: null, acked: false, error: 'no --hall-url or secret' };
        const at = w.delivered_at ?? new Date().toISOString();
        w.delivered_at = at;
        w.status = 'DELIVERED';
        const msgData = JSON.stringify({
            Body: {
                WaybillRoute: [{
                    mailno: w.waybill_no, orderid: w.order_no, opCode: '80', remark: '已签收，感谢使用',
                    acceptAddress: '深圳市', id: crypto.randomUUID(),
                    acceptTime: new Date(Date.parse(at) + 8 * 3600000).toISOString().slice(0, 19).replace('T', ' '),
                }],
            },
        });
        const timestamp = String(Date.now() - (opts.staleMs ?? 0));
        const form = new URLSearchParams({
            partnerID, requestID: crypto.randomUUID(), serviceCode: 'RoutePushService', timestamp,
            msgDigest: sfDigest(msgData + (opts.badDigest ? 'x' : ''), timestamp, check), msgData,
        });
        const rec = { http_status: null, acked: false, error: null };
        try {
            const r = await fetch(`${env.hallUrl}/pki/courier/${acct.code}/push`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
                body: form.toString(), signal: AbortSignal.timeout(10000), redirect: 'manual',
            });
            rec.http_status = r.status;
            const text = (await r.text()).slice(0, 4096);
            rec.acked = r.status === 200 && /"return_code":"0000"/.test(text);
        } catch (e) {
            rec.error = e.name === 'TimeoutError' ? 'timeout' : 'connect';
        }
        return rec;
    }

    return { route, pushDelivered, sfDigest, javaUrlEncode };
};
