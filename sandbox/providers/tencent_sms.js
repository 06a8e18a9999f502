'use strict';
/*
 * The sandbox's Tencent Cloud SMS (API version 2021-01-11), in the
 * provider's protocol: POST / with a JSON body, the API in X-TC-Action
 * (SendSms, PullSmsSendStatusByPhoneNumber), signed TC3-HMAC-SHA256 as
 * tencentcloud-sdk-nodejs signs (content-type and host signed, the host
 * name without a port; the key chained from "TC3" + SecretKey over the
 * date, "sms" and "tc3_request"), verified here; X-TC-Timestamp within 5
 * minutes.  TemplateId is the digits of the hall's sandbox code
 * (core/store/sms_tpl.def), TemplateParamSet its parameters by position.
 * docs/sandbox.md, "SMS".
 */

const crypto = require('node:crypto');
const providerSecret = require('./secret');

const SECRET_ID = 'AKIDHallSandbox';
const SECRET_FILE = 'tencent-sms.secret';
const SDK_APP_ID = '1400000000';
const MAX_SKEW_S = 300;

const hmac = (key, msg, enc) => crypto.createHmac('sha256', key).update(msg).digest(enc);
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');

module.exports = function tencentSms(env) {
    /* the account's secret: keyenc.sh's line opened with --provider-pass, or in clear */
    function secret() {
        return providerSecret(env.keysDir, env.passFile, SECRET_FILE);
    }

    const error = (code, message) => [200, { Response: { Error: { Code: code, Message: message }, RequestId: crypto.randomUUID() } }];

    function verify(req, body) {
        const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/
            .exec(req.headers.authorization ?? '');
        if (!m)
            return error('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
        if (m[1] !== SECRET_ID)
            return error('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
        const key = secret();
        if (key === null)
            return error('InternalError', 'sandbox: no --provider-keys secret for the SMS account');
        const ts = Number(req.headers['x-tc-timestamp']);
        if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > MAX_SKEW_S)
            return error('AuthFailure.SignatureExpire', 'Signature expired.');
        const date = new Date(ts * 1000).toISOString().slice(0, 10);
        const signed = m[4].split(';');
        if (m[2] !== date || m[3] !== 'sms' || !signed.includes('content-type') || !signed.includes('host'))
            return error('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
        const value = (h) => (h === 'host' ? String(req.headers.host ?? '').replace(/:\d+$/, '') : String(req.headers[h] ?? '').trim());
        const canonical = `${req.method}\n/\n${new URL(req.url, 'http://x').search.slice(1)}\n` +
            signed.map((h) => `${h}:${value(h)}\n`).join('') + `\n${m[4]}\n${sha(body)}`;
        const sts = `TC3-HMAC-SHA256\n${ts}\n${date}/sms/tc3_request\n${sha(canonical)}`;
        const k = hmac(hmac(hmac(`TC3${key}`, date), 'sms'), 'tc3_request');
        if (!crypto.timingSafeEqual(hmac(k, sts), Buffer.from(m[5], 'hex')))
            return error('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
        return null;
    }

    function sendSms(p, state) {
        if (p.SmsSdkAppId !== SDK_APP_ID)
            return error('FailedOperation.SmsSdkAppIdVerifyFail', 'SmsSdkAppId 校验失败');
        const phones = Array.isArray(p.PhoneNumberSet) ? p.PhoneNumberSet : [];
        if (phones.length === 0 || phones.length > 200 || phones.some((x) => !/^\+861\d{10}$/.test(String(x))))
            return error('InvalidParameterValue.IncorrectPhoneNumber', '手机号格式错误');
        const sign = String(p.SignName ?? '');
        if (!/^[^【】\s]{2,12}$/.test(sign))
            return error('FailedOperation.SignatureIncorrectOrUnapproved', '签名未审批或格式错误');
        const tpl = env.templates.get(`SMS_${p.TemplateId}`);
        if (!tpl)
            return error('FailedOperation.TemplateIncorrectOrUnapproved', '模板未审批或内容不匹配');
        const names = [...new Set([...tpl.text.matchAll(/\$\{(\w+)\}/g)].map((x) => x[1]))];
        const values = Array.isArray(p.TemplateParamSet) ? p.TemplateParamSet : [];
        if (values.length !== names.length || values.some((v) => typeof v !== 'string'))
            return error('InvalidParameterValue.TemplateParameterFormatError', '模板参数个数与模板不符');
        const param = Object.fromEntries(names.map((n, i) => [n, values[i]]));
        const text = `【${sign}】${tpl.text.replace(/\$\{(\w+)\}/g, (_, n) => param[n])}`;
        const outId = typeof p.SessionContext === 'string' && p.SessionContext !== '' ? p.SessionContext : null;
        const set = [];
        for (const full of phones) {
            const phone = full.slice(-11);
            const lim = state.smsLimits.get(phone);
            if (lim && lim.count > 0) {
                lim.count--;
                const code = { minute: 'PhoneNumberThirtySecondLimit', hour: 'PhoneNumberOneHourLimit', day: 'PhoneNumberDailyLimit' }[lim.period];
                set.push({ SerialNo: '', PhoneNumber: full, Fee: 0, SessionContext: p.SessionContext ?? '', Code: `LimitExceeded.${code}`, Message: '单个手机号发送频率超过限制', IsoCode: 'CN' });
                continue;
            }
            const serial = `2433:${env.digits(20)}`;
            if (outId !== null) {
                const seen = state.smsByKey.get(outId) ?? 0;
                if (seen > 0)
                    state.stats.sms.duplicates++;
                state.smsByKey.set(outId, seen + 1);
            }
            state.sms.set(serial, {
                id: serial, phone, text, sign, provider: 'tencent', template_code: String(p.TemplateId),
                template_param: param, out_id: outId, idempotency_key: outId, at: new Date().toISOString(),
            });
            state.stats.sms.acted++;
            set.push({ SerialNo: serial, PhoneNumber: full, Fee: 1, SessionContext: p.SessionContext ?? '', Code: 'Ok', Message: 'send success', IsoCode: 'CN' });
        }
        return [200, { Response: { SendStatusSet: set, RequestId: crypto.randomUUID() } }];
    }

    function pullStatus(p, state) {
        const phone = String(p.PhoneNumber ?? '');
        if (!/^\+861\d{10}$/.test(phone) || p.SmsSdkAppId !== SDK_APP_ID)
            return error('InvalidParameter', '参数错误');
        state.smsQueries++;
        const from = Number(p.BeginTime ?? 0) * 1000;
        const list = state.sms.list((x) => x.phone === phone.slice(-11) && Date.parse(x.at) >= from, Number(p.Limit ?? 100))
            .map((x) => ({
                UserReceiveTime: Math.floor(Date.parse(x.at) / 1000), CountryCode: '86', SubscriberNumber: x.phone,
                PhoneNumber: `+86${x.phone}`, SerialNo: x.id, ReportStatus: 'SUCCESS', Description: '用户短信接收成功',
                SessionContext: x.out_id ?? '',
            }));
        return [200, { Response: { PullSmsSendStatusSet: list, RequestId: crypto.randomUUID() } }];
    }

    /* POST / with X-TC-Action; true when it was this API's */
    async function route(req, res, info, url) {
        if (url.pathname !== '/' || req.method !== 'POST' || req.headers['x-tc-action'] === undefined)
            return false;
        const action = String(req.headers['x-tc-action']).slice(0, 40);
        info.service = 'sms';
        info.action = action;
        const buf = await env.readBody(req, res);
        if (buf === null)
            return true;
        const state = env.state();
        state.stats.sms.calls++;
        let result = verify(req, buf);
        const seen = { provider: 'tencent', action, method: req.method, url: req.url, body: buf.toString('utf8'), headers: {}, verified: result === null };
        for (const [k, v] of Object.entries(req.headers))
            if (k === 'host' || k === 'authorization' || k === 'content-type' || k.startsWith('x-tc-'))
                seen.headers[k] = v;
        state.smsRequests.push(seen);
        if (state.smsRequests.length > 100)
            state.smsRequests.shift();
        let fault = null;
        if (result === null) {
            fault = env.takeFault('sms');
            if (fault && fault.mode !== 'delay') {
                info.fault = fault.mode;
                state.stats.sms.faulted++;
                if (fault.mode === 'timeout')
                    return env.hold(req, res), true;
                env.send(res, 503, { Response: { Error: { Code: 'InternalError', Message: 'sandbox fault: fail' } } });
                return true;
            }
            let p = null;
            try {
                p = JSON.parse(buf.toString('utf8'));
            } catch { /* below */ }
            if (p === null || typeof p !== 'object')
                result = error('InvalidParameter', 'JSON 格式错误');
            else if (req.headers['x-tc-version'] !== '2021-01-11')
                result = error('InvalidParameter', 'X-TC-Version 不支持');
            else if (action === 'SendSms')
                result = sendSms(p, state);
            else if (action === 'PullSmsSendStatusByPhoneNumber')
                result = pullStatus(p, state);
            else
                result = error('InvalidAction', 'The action does not exist.');
        } else {
            info.refused = result[1].Response.Error.Code;
        }
        if (fault) {
            info.fault = 'delay';
            await env.lateAnswer(req, fault.delay_ms);
            if (req.socket.destroyed)
                return true;
        }
        env.send(res, result[0], result[1]);
        return true;
    }

    return { route };
};
