'use strict';
/*
 * The second SMS provider through the same interface: Tencent Cloud SMS
 * (2021-01-11, TC3-HMAC-SHA256), judged by Tencent Cloud's own SDK
 * (tencentcloud-sdk-nodejs-sms and its signer):
 *   - the sandbox verifies a SendSms the SDK built and signed, refuses a
 *     wrong key, and renders the template from its parameters by position;
 *   - a partner whose SMS account is Tencent's (partners.sms_account) gets
 *     its code through that driver, and the hall's request carries the
 *     signature the SDK's signer computes for it.
 */

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tencent = require('tencentcloud-sdk-nodejs-sms');
const Sign = require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign').default;
const { SKIP, Client, newPhone, sql, smsMessages, waitFor, sandbox } = require('./lib/hall');
const { providerSecret } = require('./lib/secrets');

const SCRIPT = path.join(__dirname, '..', '..', 'sandbox', 'sandbox.js');
const SECRET = crypto.randomBytes(16).toString('hex');
let child;
let port;
let keys;

before(async () => {
    keys = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-sms-keys-'));
    fs.writeFileSync(path.join(keys, 'tencent-sms.secret'), `${SECRET}\n`, { mode: 0o600 });
    child = spawn(process.execPath, [SCRIPT, '--port', '0', '--provider-keys', keys], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => reject(new Error('sandbox did not start')), 5000);
        child.stdout.on('data', (c) => {
            buf += c;
            const m = buf.match(/msg=listening addr=127\.0\.0\.1:(\d+)/);
            if (m) {
                clearTimeout(timer);
                resolve(Number(m[1]));
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

/* the SDK believes it talks to sms.tencentcloudapi.com; its connections go to the sandbox */
function sdk(key = SECRET) {
    const agent = new http.Agent();
    agent.createConnection = (opts, cb) => net.connect(port, '127.0.0.1', cb);
    return new tencent.sms.v20210111.Client({
        credential: { secretId: 'AKIDHallSandbox', secretKey: key }, region: 'ap-guangzhou',
        profile: { httpProfile: { endpoint: 'sms.tencentcloudapi.com', protocol: 'http://', agent } },
    });
}

const request = (over = {}) => ({
    PhoneNumberSet: ['+8613800138000'], SmsSdkAppId: '1400000000', SignName: '深圳CA',
    TemplateId: '480300014', TemplateParamSet: ['顺丰速运', 'SF1234567890123'], SessionContext: 'sdk-1', ...over,
});

test('sms_tencent__sdk_signed_sendsms__verified_and_rendered_by_position', async () => {
    const r = await sdk().SendSms(request());
    assert.equal(r.SendStatusSet[0].Code, 'Ok');
    const [m] = (await (await fetch(`http://127.0.0.1:${port}/sandbox/sms?phone=13800138000`)).json()).messages;
    assert.equal(m.text, '【深圳CA】您好，您申请的数字证书已制作完成并通过顺丰速运寄出，快递单号：SF1234567890123，请留意快递通知。');
    assert.deepEqual(m.template_param, { carrier: '顺丰速运', waybill_no: 'SF1234567890123' });
    assert.equal(m.id, r.SendStatusSet[0].SerialNo);
    assert.equal(m.out_id, 'sdk-1');

    /* one parameter short of the template: refused, nothing sent */
    await assert.rejects(sdk().SendSms(request({ TemplateParamSet: ['顺丰速运'], PhoneNumberSet: ['+8613800138001'] })),
        (e) => e.code === 'InvalidParameterValue.TemplateParameterFormatError');
    await assert.rejects(sdk('wrong').SendSms(request({ PhoneNumberSet: ['+8613800138001'] })),
        (e) => e.code === 'AuthFailure.SignatureFailure');
    assert.equal((await (await fetch(`http://127.0.0.1:${port}/sandbox/sms?phone=13800138001`)).json()).messages.length, 0);
});

test('sms_tencent__a_partner_on_tencent__its_code_through_that_driver_signed_as_the_sdk_signs', { skip: SKIP }, async () => {
    sql("UPDATE partners SET sms_account = 'sms-tencent' WHERE code = 'gdhj'");
    try {
        const phone = newPhone('153');
        const c = new Client();
        await c.page('/gdhj/login');
        const r = await c.post('/gdhj/sms/send', { phone, purpose: 'login' });
        assert.equal(r.status, 200, r.text);
        const [m] = await waitFor('the SMS', async () => {
            const msgs = await smsMessages(phone);
            return msgs.length > 0 ? msgs : null;
        });
        assert.equal(m.provider, 'tencent');
        assert.equal(m.template_code, '480300001');
        assert.match(m.text, /^【深圳CA】您的验证码是(\d{6})，5分钟内有效。如非本人操作，请忽略本短信。$/);
        assert.deepEqual(m.template_param, { code: m.text.match(/\d{6}/)[0], minutes: '5' });

        const seen = (await sandbox('GET', '/sandbox/sms/requests?limit=100')).requests
            .find((x) => x.provider === 'tencent' && x.action === 'SendSms' && x.body.includes(phone));
        assert.ok(seen && seen.verified, 'the hall\'s SendSms reached the sandbox, verified');
        const body = JSON.parse(seen.body);
        assert.deepEqual(body.PhoneNumberSet, [`+86${phone}`]);
        assert.deepEqual(body.TemplateParamSet, [m.template_param.code, '5']);
        assert.match(body.SessionContext, /^sms-code-\d+$/);
        const secret = providerSecret('tencent-sms.secret') /* encrypted at rest: lib/secrets.js */;
        const auth = Sign.sign3({
            method: 'POST', url: `http://${seen.headers.host}/`, payload: Buffer.from(seen.body),
            timestamp: Number(seen.headers['x-tc-timestamp']), service: 'sms', secretId: 'AKIDHallSandbox',
            secretKey: secret, headers: { 'Content-Type': seen.headers['content-type'] },
        });
        assert.equal(seen.headers.authorization, auth);
    } finally {
        sql("UPDATE partners SET sms_account = NULL WHERE code = 'gdhj'");
    }
});
