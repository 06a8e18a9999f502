'use strict';
/*
 * The sandbox's Alibaba Cloud SMS (dysmsapi, version 2017-05-25), in the
 * provider's own protocol: SendSms and QuerySendDetails, RPC parameters in
 * the query (or a form body), each request signed ACS3-HMAC-SHA256 as
 * @alicloud/openapi-core signs it and verified here byte for byte (the
 * signed headers, the body's SHA-256, the date within 15 minutes, a nonce
 * used once).  The templates are the hall's (core/store/sms_tpl.def): a
 * SendSms renders TemplateCode + TemplateParam into the text the ledger
 * keeps, 【SignName】 first.  docs/sandbox.md, "SMS".
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const providerSecret = require('./secret');

const ACCESS_KEY_ID = 'LTAI5tHallSandbox';
const SECRET_FILE = 'aliyun-sms.secret';
const MAX_SKEW_MS = 15 * 60 * 1000;
const REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date',
    'x-acs-signature-nonce', 'x-acs-version'];

/* kind, code and text of each template, from the hall's table */
function loadTemplates(file) {
    const out = new Map();
    const src = fs.readFileSync(file, 'utf8');
    const re = /^HALL_SMS\((\w+),\s*"([^"]+)",\s*"((?:[^"\\]|\\.)*)"\)\s*$/gm;
    let m;
    while ((m = re.exec(src)) !== null)
        out.set(m[2], { kind: m[1], code: m[2], text: JSON.parse(`"${m[3]}"`) });
    return out;
}

/* RFC 3986, as the SDK's encode(): encodeURIComponent and !'()* too */
function pct(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function beijingYmd(ms) {
    return new Date(ms + 8 * 3600000).toISOString().slice(0, 10).replace(/-/g, '');
}

function beijingTime(ms) {
    return new Date(ms + 8 * 3600000).toISOString().slice(0, 19).replace('T', ' ');
}

module.exports = function aliyunSms(env) {
    const templates = loadTemplates(env.templatesFile);
    const nonces = new Map();            /* nonce -> time seen */

    /* the account's secret: keyenc.sh's line opened with --provider-pass, or in clear */
    function secret() {
        return providerSecret(env.keysDir, env.passFile, SECRET_FILE);
    }

    function fail(status, code, message) {
        return [status, { RequestId: crypto.randomUUID().toUpperCase(), Code: code, Message: message }];
    }

    /* null when the request is signed right, else the answer */
    function verify(req, url, body) {
        const auth = req.headers.authorization ?? '';
        const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(auth);
        if (!m)
            return fail(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
        if (m[1] !== ACCESS_KEY_ID)
            return fail(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
        const key = secret();
        if (key === null)
            return fail(500, 'InternalError', 'sandbox: no --provider-keys secret for the SMS account');
        const signed = m[2].split(';');
        if (REQUIRED_SIGNED.some((h) => !signed.includes(h)) ||
            signed.some((h, i) => h !== h.toLowerCase() || (i > 0 && signed[i - 1] >= h)))
            return fail(400, 'IncompleteSignature', 'SignedHeaders must list host and the x-acs- headers, sorted.');
        const hash = crypto.createHash('sha256').update(body).digest('hex');
        if (req.headers['x-acs-content-sha256'] !== hash)
            return fail(400, 'InvalidParameter.ContentSHA256', 'x-acs-content-sha256 is not the SHA-256 of the body.');
        const at = Date.parse(req.headers['x-acs-date'] ?? '');
        if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(req.headers['x-acs-date'] ?? '') || !Number.isFinite(at) ||
            Math.abs(Date.now() - at) > MAX_SKEW_MS)
            return fail(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
        const nonce = req.headers['x-acs-signature-nonce'] ?? '';
        /* oldest first (a Map keeps insertion order, and each is set at its
         * time): stop at the first still young, rather than walk every nonce
         * of the last 15 minutes on each request (36,000 at 40 SMS a second) */
        for (const [n, t] of nonces) {
            if (Date.now() - t <= MAX_SKEW_MS)
                break;
            nonces.delete(n);
        }
        if (nonce === '' || nonces.has(nonce))
            return fail(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
        const query = [...url.searchParams.keys()].filter((k, i, a) => a.indexOf(k) === i).sort()
            .map((k) => `${pct(k)}=${pct(url.searchParams.get(k))}`).join('&');
        const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('');
        const canonical = `${req.method}\n${url.pathname}\n${query}\n${headers}\n${signed.join(';')}\n${hash}`;
        const sts = `ACS3-HMAC-SHA256\n${crypto.createHash('sha256').update(canonical).digest('hex')}`;
        const want = crypto.createHmac('sha256', key).update(sts).digest();
        if (!crypto.timingSafeEqual(want, Buffer.from(m[3], 'hex')))
            return fail(400, 'SignatureDoesNotMatch', 'Specified signature does not match our calculation.');
        nonces.set(nonce, Date.now());
        if (req.headers['x-acs-version'] !== '2017-05-25')
            return fail(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
        return null;
    }

    function sendSms(p, state) {
        const phones = String(p.PhoneNumbers ?? '').split(',').filter((x) => x !== '');
        if (phones.length === 0 || phones.length > 1000 || phones.some((x) => !/^(\+?86)?1\d{10}$/.test(x)))
            return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号' }];
        const sign = String(p.SignName ?? '');
        if (!/^[^【】\s]{2,12}$/.test(sign))
            return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.SMS_SIGNATURE_ILLEGAL', Message: '该账号下找不到对应签名' }];
        const tpl = templates.get(String(p.TemplateCode ?? ''));
        if (!tpl)
            return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: '该账号下找不到对应模板' }];
        let param = {};
        if (p.TemplateParam !== undefined && p.TemplateParam !== '') {
            try {
                param = JSON.parse(p.TemplateParam);
            } catch {
                param = null;
            }
            if (param === null || typeof param !== 'object' || Array.isArray(param))
                return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.INVALID_JSON_PARAM', Message: 'JSON参数不合法，只接受字符串值' }];
        }
        let missing = null;
        const body = tpl.text.replace(/\$\{(\w+)\}/g, (all, name) => {
            const v = param[name];
            if (typeof v !== 'string' && typeof v !== 'number') {
                missing = missing ?? name;
                return '';
            }
            return String(v);
        });
        if (missing !== null)
            return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.TEMPLATE_MISSING_PARAMETERS', Message: `模板缺少变量 ${missing}` }];
        /* the provider's per-number limits, as a test set them (/sandbox/sms/limit) */
        for (const phone of phones) {
            const lim = state.smsLimits.get(phone.slice(-11));
            if (lim && lim.count > 0) {
                lim.count--;
                const period = { minute: '分钟级', hour: '小时级', day: '天级' }[lim.period];
                return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: `触发${period}流控Permits:1` }];
            }
        }
        const outId = p.OutId !== undefined && p.OutId !== '' ? String(p.OutId) : null;
        const bizId = `${env.digits(6)}${Date.now()}`.slice(0, 20) + '^0';
        if (outId !== null) {
            const seen = state.smsByKey.get(outId) ?? 0;
            if (seen > 0)
                state.stats.sms.duplicates++;
            state.smsByKey.set(outId, seen + 1);
        }
        for (const phone of phones) {
            const id = phones.length === 1 ? bizId : `${bizId}-${phone.slice(-4)}`;
            state.sms.set(id, {
                id, phone: phone.slice(-11), text: `【${sign}】${body}`, sign, provider: 'aliyun', template_code: tpl.code,
                template_param: param, out_id: outId, idempotency_key: outId, at: new Date().toISOString(),
            });
        }
        state.stats.sms.acted++;
        return [200, { RequestId: crypto.randomUUID().toUpperCase(), Message: 'OK', BizId: bizId, Code: 'OK' }];
    }

    function querySendDetails(p, state) {
        const phone = String(p.PhoneNumber ?? '');
        const date = String(p.SendDate ?? '');
        const size = Number(p.PageSize ?? 10);
        const page = Number(p.CurrentPage ?? 1);
        if (!/^1\d{10}$/.test(phone))
            return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号' }];
        if (!/^\d{8}$/.test(date) || !Number.isInteger(size) || size < 1 || size > 50 || !Number.isInteger(page) || page < 1)
            return [200, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'isv.INVALID_PARAMETERS', Message: '参数异常' }];
        state.smsQueries++;
        const all = state.sms.listBy(phone).filter((x) => beijingYmd(Date.parse(x.at)) === date);
        const list = all.slice((page - 1) * size, page * size).map((x) => ({
            PhoneNum: x.phone, SendStatus: 3, ErrCode: 'DELIVERED', TemplateCode: x.template_code,
            Content: x.text, SendDate: beijingTime(Date.parse(x.at)), ReceiveDate: beijingTime(Date.parse(x.at)),
            OutId: x.out_id ?? '',
        }));
        return [200, {
            RequestId: crypto.randomUUID().toUpperCase(), Code: 'OK', Message: 'OK', TotalCount: String(all.length),
            SmsSendDetailDTOs: { SmsSendDetailDTO: list },
        }];
    }

    /* POST / (x-acs-action names the API); true when it was this API's */
    async function route(req, res, info, url) {
        if (url.pathname !== '/' || (req.method !== 'POST' && req.method !== 'GET'))
            return false;
        const action = req.headers['x-acs-action'];
        info.service = 'sms';
        info.action = typeof action === 'string' ? action.slice(0, 32) : '-';
        const buf = await env.readBody(req, res);
        if (buf === null)
            return true;
        const state = env.state();
        state.stats.sms.calls++;
        let result = verify(req, url, buf);
        let fault = null;
        /* what arrived, for a test to check the signature with its own signer */
        const seen = { action: info.action, method: req.method, url: req.url, body: buf.toString('utf8'), headers: {}, verified: result === null };
        for (const [k, v] of Object.entries(req.headers))
            if (k === 'host' || k === 'authorization' || k === 'content-type' || k.startsWith('x-acs-'))
                seen.headers[k] = v;
        state.smsRequests.push(seen);
        if (state.smsRequests.length > 100)
            state.smsRequests.shift();
        if (result === null) {
            const params = Object.fromEntries(url.searchParams);
            if (/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? ''))
                Object.assign(params, Object.fromEntries(new URLSearchParams(buf.toString('utf8'))));
            fault = env.takeFault('sms');
            if (fault && fault.mode !== 'delay') {
                info.fault = fault.mode;
                state.stats.sms.faulted++;
                if (fault.mode === 'timeout')
                    return env.hold(req, res), true;
                env.send(res, 503, { RequestId: crypto.randomUUID().toUpperCase(), Code: 'ServiceUnavailable', Message: 'sandbox fault: fail' });
                return true;
            }
            if (action === 'SendSms')
                result = sendSms(params, state);
            else if (action === 'QuerySendDetails')
                result = querySendDetails(params, state);
            else
                result = fail(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
        } else {
            info.refused = result[1].Code;
        }
        if (fault && fault.mode === 'delay') {
            info.fault = 'delay';
            await env.lateAnswer(req, fault.delay_ms);
            if (req.socket.destroyed)
                return true;
        }
        env.send(res, result[0], result[1]);
        return true;
    }

    return { route, templates };
};
