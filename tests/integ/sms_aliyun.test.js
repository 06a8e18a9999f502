'use strict';
/*
 * SMS by template in Alibaba Cloud's protocol, judged by Alibaba Cloud's own
 * SDK (@alicloud/dysmsapi20170525 and its signer in @alicloud/openapi-core):
 *   - the sandbox's SendSms verifies a request the SDK built and signed,
 *     refuses a wrong signature and a replayed one, and renders the
 *     template into the text it keeps;
 *   - a code the hall sends leaves as TemplateCode + TemplateParam, and its
 *     ACS3-HMAC-SHA256 signature is the one the SDK's signer computes for
 *     the same request;
 *   - the provider's per-number limit (isv.BUSINESS_LIMIT_CONTROL) leaves
 *     the job pending with a clear error, retried after the limit's period.
 */

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Dysms = require('@alicloud/dysmsapi20170525');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const OpenApiUtils = require('@alicloud/openapi-core/dist/utils').default;
const {
    SKIP, Client, newPhone, sendCode, sql, sql1, smsMessages, waitFor, sandbox,
} = require('./lib/hall');
const { providerSecret } = require('./lib/secrets');

const SCRIPT = path.join(__dirname, '..', '..', 'sandbox', 'sandbox.js');
const AK = 'LTAI5tHallSandbox';
const SECRET = crypto.randomBytes(16).toString('hex');
let child;
let base;
let keys;

before(async () => {
    keys = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-sms-keys-'));
    fs.writeFileSync(path.join(keys, 'aliyun-sms.secret'), `${SECRET}\n`, { mode: 0o600 });
    child = spawn(process.execPath, [SCRIPT, '--port', '0', '--provider-keys', keys],
        { stdio: ['ignore', 'pipe', 'inherit'] });
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
    await exited;
    fs.rmSync(keys, { recursive: true, force: true });
});

function sdk(secret = SECRET, endpoint = base) {
    return new Dysms.default(new $OpenApiUtil.Config({
        accessKeyId: AK, accessKeySecret: secret, endpoint: endpoint.replace(/^http:\/\//, ''), protocol: 'HTTP',
    }));
}

const send = (client, phone, code, param) => client.sendSms(new Dysms.SendSmsRequest({
    phoneNumbers: phone, signName: '深圳CA', templateCode: code, templateParam: JSON.stringify(param), outId: 'sdk-1',
}));

async function ledger(phone, at = base) {
    return (await (await fetch(`${at}/sandbox/sms?phone=${phone}`)).json()).messages;
}

test('sms_aliyun__sdk_signed_sendsms__verified_and_rendered_from_the_template', async () => {
    const phone = '13800138000';
    const r = await send(sdk(), phone, 'SMS_480300014', { carrier: '顺丰速运', waybill_no: 'SF1234567890123' });
    assert.equal(r.body.code, 'OK');
    assert.match(r.body.bizId, /\S/);
    const [m] = await ledger(phone);
    assert.equal(m.text, '【深圳CA】您好，您申请的数字证书已制作完成并通过顺丰速运寄出，快递单号：SF1234567890123，请留意快递通知。');
    assert.equal(m.template_code, 'SMS_480300014');
    assert.deepEqual(m.template_param, { carrier: '顺丰速运', waybill_no: 'SF1234567890123' });
    assert.equal(m.out_id, 'sdk-1');
    assert.equal(m.id, r.body.bizId);

    /* QuerySendDetails through the SDK finds it by its OutId */
    const q = await sdk().querySendDetails(new Dysms.QuerySendDetailsRequest({
        phoneNumber: phone, pageSize: 10, currentPage: 1,
        sendDate: new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10).replace(/-/g, ''),
    }));
    assert.equal(q.body.code, 'OK');
    assert.equal(q.body.smsSendDetailDTOs.smsSendDetailDTO[0].outId, 'sdk-1');

    /* a parameter the template names is missing: the provider's code, nothing sent */
    const miss = await send(sdk(), phone, 'SMS_480300014', { carrier: '顺丰速运' });
    assert.equal(miss.body.code, 'isv.TEMPLATE_MISSING_PARAMETERS');
    assert.equal((await ledger(phone)).length, 1);
});

test('sms_aliyun__wrong_secret_tampered_or_replayed__refused', async () => {
    const phone = '13800138001';
    await assert.rejects(send(sdk('not-the-secret'), phone, 'SMS_480300002', {}),
        (e) => e.code === 'SignatureDoesNotMatch' && e.statusCode === 400);
    assert.equal((await ledger(phone)).length, 0, 'nothing sent');

    /* a request signed right, then replayed as it was, then tampered with */
    assert.equal((await send(sdk(), phone, 'SMS_480300002', {})).body.code, 'OK');
    const seen = (await (await fetch(`${base}/sandbox/sms/requests?limit=1`)).json()).requests[0];
    assert.equal(seen.verified, true);
    const replay = await fetch(base + seen.url, { method: 'POST', headers: seen.headers });
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).Code, 'SignatureNonceUsed');
    const tampered = await fetch(base + seen.url.replace('13800138001', '13800138002'), {
        method: 'POST', headers: { ...seen.headers, 'x-acs-signature-nonce': crypto.randomUUID() },
    });
    assert.equal(tampered.status, 400);
    assert.equal((await tampered.json()).Code, 'SignatureDoesNotMatch');
    assert.equal((await ledger('13800138002')).length, 0);
    assert.equal((await ledger(phone)).length, 1, 'the one signed request only');
});

test('sms_aliyun__fault_switch__503_to_the_sdk', async () => {
    await fetch(`${base}/sandbox/faults`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ service: 'sms', mode: 'fail', count: 1 }),
    });
    await assert.rejects(send(sdk(), '13800138003', 'SMS_480300002', {}), (e) => e.statusCode === 503);
    assert.equal((await send(sdk(), '13800138003', 'SMS_480300002', {})).body.code, 'OK');
});

/* ---- the hall's own requests ---------------------------------------------------- */

test('sms_aliyun__hall_code__template_with_parameters_signed_as_the_sdk_signs', { skip: SKIP }, async () => {
    const phone = newPhone('151');
    const code = await sendCode(new Client(), phone, 'login');
    const [m] = await smsMessages(phone);
    assert.equal(m.template_code, 'SMS_480300001');
    assert.deepEqual(m.template_param, { code, minutes: '5' });
    assert.equal(m.text, `【深圳CA】您的验证码是${code}，5分钟内有效。如非本人操作，请忽略本短信。`);
    assert.match(m.out_id, /^sms-code-\d+$/);

    /* the request as it arrived, signed again by the SDK's own signer */
    const reqs = (await sandbox('GET', '/sandbox/sms/requests?limit=100')).requests;
    const seen = reqs.find((x) => x.action === 'SendSms' && x.url.includes(`PhoneNumbers=${phone}`));
    assert.ok(seen, 'the hall\'s SendSms reached the sandbox');
    const u = new URL(seen.url, 'http://x');
    const secret = providerSecret('aliyun-sms.secret') /* encrypted at rest: lib/secrets.js */;
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(seen.headers.authorization)[1].split(';');
    const headers = Object.fromEntries(signedHeaders.map((h) => [h, seen.headers[h]]));
    const auth = OpenApiUtils.getAuthorization({
        method: 'POST', pathname: u.pathname, query: Object.fromEntries(u.searchParams), headers,
    }, 'ACS3-HMAC-SHA256', seen.headers['x-acs-content-sha256'], AK, secret);
    assert.equal(seen.headers.authorization, auth);
    assert.equal(seen.headers['x-acs-content-sha256'], crypto.createHash('sha256').update('').digest('hex'));
    assert.equal(u.searchParams.get('TemplateParam'), JSON.stringify({ code, minutes: '5' }));
});

test('sms_aliyun__per_number_limit__job_waits_with_a_clear_error_then_goes', { skip: SKIP }, async () => {
    const phone = newPhone('152');
    await sandbox('POST', '/sandbox/sms/limit', { phone, count: 1, period: 'minute' });
    const o0 = Number(sql1('SELECT coalesce(max(id), 0) FROM outbox'));
    const c = new Client();
    await c.page('/login');
    const r = await c.post('/sms/send', { phone, purpose: 'login' });
    assert.equal(r.status, 200, r.text);
    const [id, err, wait] = await waitFor('the limit answered', () => {
        const rows = sql(`SELECT id, coalesce(last_error, ''), extract(epoch FROM next_attempt_at - now())::int
                          FROM outbox WHERE id > ${o0} AND kind = 'sms' AND attempts = 1`);
        return rows.length === 1 ? rows[0] : null;
    });
    assert.match(err, /provider limit isv\.BUSINESS_LIMIT_CONTROL \(触发分钟级流控Permits:1\), retried in 60 s/);
    assert.ok(Number(wait) > 40, `waits out the minute: ${wait}`);
    assert.equal(sql1(`SELECT status FROM outbox WHERE id = ${id}`), 'pending');
    assert.equal((await smsMessages(phone)).length, 0);

    /* the minute is over: the same job goes, once */
    sql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${id}`);
    sql("SELECT pg_notify('outbox', '')");
    await waitFor('the job done', () => sql1(`SELECT status FROM outbox WHERE id = ${id}`) === 'done');
    const msgs = await smsMessages(phone);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0].template_code, 'SMS_480300001');
});

/* the templates as the hall's table has them, read here on their own */
function templates() {
    const src = fs.readFileSync(path.join(__dirname, '..', '..', 'core', 'store', 'sms_tpl.def'), 'utf8');
    const out = new Map();
    for (const m of src.matchAll(/^HALL_SMS\((\w+), "([^"]+)", "(.*)"\)$/gm))
        out.set(m[2], { kind: m[1], text: m[3] });
    return out;
}

test('sms_aliyun__every_sms_of_a_journey_is_a_template_with_its_parameters', { skip: SKIP }, async () => {
    const { acceptedByTransfer, acceptedOnline, operator, reviewer, orgForm, smsTo } = require('./lib/pki');
    const op = await operator();
    /* paid online, approved by the reviewer (SMS 审核通过, the e-invoice's link), mailed */
    const online = await acceptedOnline(await reviewer());
    assert.equal((await op.post('/admin/pki/issue', { id: online.id })).status, 200);
    assert.equal((await op.post('/admin/pki/ship', { id: online.id })).status, 200);
    /* paid by transfer: the PIN goes by SMS */
    const agent = newPhone('139');
    const transfer = await acceptedByTransfer({ form: orgForm({ agent_mobile: agent }) });
    assert.equal((await op.post('/admin/pki/issue', { id: transfer.id })).status, 200);
    for (const re of [/审核通过/, /快递单号/, /电子发票/])
        await smsTo(online.form.agent_mobile, re);
    await smsTo(agent, /PIN码/);

    const tpl = templates();
    const kinds = new Set();
    for (const m of [...await smsMessages(online.form.agent_mobile), ...await smsMessages(agent)]) {
        const t = tpl.get(m.template_code);
        assert.ok(t, `a template of the table: ${m.template_code}`);
        kinds.add(t.kind);
        const names = [...t.text.matchAll(/\$\{(\w+)\}/g)].map((x) => x[1]);
        assert.deepEqual(Object.keys(m.template_param).sort(), [...new Set(names)].sort(), t.kind);
        assert.equal(m.text, `【深圳CA】${t.text.replace(/\$\{(\w+)\}/g, (_, n) => m.template_param[n])}`);
    }
    /* mailed 到付 (orgForm's shipping): the template that says so */
    assert.deepEqual([...kinds].sort(), ['approved', 'invoice', 'pin', 'shipped_collect']);
    /* and nothing in the provider's ledger, from any test so far, is free text */
    const all = (await sandbox('GET', '/sandbox/sms?limit=10000')).messages;
    assert.ok(all.length > 4);
    /* (Tencent Cloud's TemplateId is the digits of the code: tests/integ/sms_tencent.test.js) */
    assert.deepEqual(all.filter((m) => !tpl.has(m.provider === 'tencent' ? `SMS_${m.template_code}` : m.template_code) ||
        typeof m.template_param !== 'object'), []);
});
