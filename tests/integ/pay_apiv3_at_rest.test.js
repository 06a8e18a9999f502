'use strict';
/*
 * WeChat Pay's APIv3 key (pay_key_dir's wechat-MCHID/apiv3.key: the 32
 * characters that open WeChat Pay's notifications, AES-256-GCM) is kept
 * encrypted at rest as the merchants' private keys are (docs/operations.md,
 * "Keys at rest"): one line "aes-256-cbc:pbkdf2-sha256:600000:BASE64", the
 * key derived by PBKDF2-HMAC-SHA256 from pki_pass_file's passphrase, written
 * by script/lib/keyenc.sh at every start (an existing var/'s key in clear is
 * encrypted anew, the same key); the hall opens it in memory and refuses one
 * left in clear.  That the notifications still open is pay.test.js's and
 * pay_conformance's work (the hall's own merchant's key is this one).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { applicant } = require('./lib/client');
const { psql, personForm, unpaidOrder, allLogs, payOnline, confirmTrade, waitStatus } = require('./lib/payflow');

const KEYS = path.join(process.env.HALL_VAR || '', 'keys');
/* the key-encryption passphrase, outside var/ (script/lib/common.sh setup_credentials) */
const PASS = path.join(process.env.HALL_CRED || `${process.env.HALL_VAR || ''}-credentials`, 'pki.pass');
const KEYENC = path.join(__dirname, '..', '..', 'script', 'lib', 'keyenc.sh');
const LINE = /^aes-256-cbc:pbkdf2-sha256:(\d+):([A-Za-z0-9+/]+={0,2})\n?$/;

/* what openssl enc -aes-256-cbc -pbkdf2 -md sha256 wrote, opened here with
 * node's own crypto (not keyenc.sh, not the hall) */
function open(text, pass) {
    const m = text.match(LINE);
    assert.ok(m, `not an encrypted secret: ${text.length} characters`);
    const raw = Buffer.from(m[2], 'base64');
    assert.equal(raw.subarray(0, 8).toString('latin1'), 'Salted__');
    const kiv = crypto.pbkdf2Sync(pass, raw.subarray(8, 16), Number(m[1]), 48, 'sha256');
    const d = crypto.createDecipheriv('aes-256-cbc', kiv.subarray(0, 32), kiv.subarray(32));
    return { iter: Number(m[1]), key: Buffer.concat([d.update(raw.subarray(16)), d.final()]).toString('utf8') };
}

test('apiv3_key_at_rest__encrypted_pbkdf2_sha256_600000__neither_the_key_nor_its_base64_on_disk', () => {
    const pass = fs.readFileSync(PASS, 'utf8').split('\n')[0];
    const dirs = fs.readdirSync(path.join(KEYS, 'pay')).filter((d) => d.startsWith('wechat-'));
    assert.ok(dirs.length >= 2, dirs.join(' '));
    for (const d of dirs) {
        const file = path.join(KEYS, 'pay', d, 'apiv3.key');
        const text = fs.readFileSync(file, 'utf8');
        /* what WeChat Pay knows of the merchant: the sandbox's copy, in clear */
        const clear = fs.readFileSync(path.join(KEYS, 'sandbox', d, 'apiv3.key'), 'utf8').trim();
        assert.equal(clear.length, 32);
        for (const form of [clear, Buffer.from(clear).toString('base64'), Buffer.from(clear).toString('hex')])
            assert.ok(!text.includes(form), `${file} holds the key`);
        assert.equal(fs.statSync(file).mode & 0o777, 0o600, file);
        const o = open(text, pass);
        assert.ok(o.iter >= 600000, `${file}: ${o.iter} iterations`);
        assert.equal(o.key, clear, `${file} opens with pki_pass_file to the merchant's key`);
    }
});

test('keyenc__an_old_var_apiv3_key_in_clear__encrypted_anew_the_same_key_then_left_alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyenc-apiv3-'));
    try {
        const pass = path.join(dir, 'pki.pass');
        fs.writeFileSync(pass, 'old-var-passphrase\n', { mode: 0o600 });
        const file = path.join(dir, 'apiv3.key');
        const key = crypto.randomBytes(16).toString('hex');
        /* as an operator pastes it from the merchant platform: a newline after it, mode 644 */
        fs.writeFileSync(file, `${key}\n`, { mode: 0o644 });
        execFileSync(KEYENC, [pass, file]);
        const text = fs.readFileSync(file, 'utf8');
        assert.ok(!text.includes(key));
        assert.deepEqual(open(text, 'old-var-passphrase'), { iter: 600000, key });
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        assert.equal(execFileSync(KEYENC, ['--open', pass, file], { encoding: 'utf8' }), key);
        /* run again (every script/server start): left alone */
        execFileSync(KEYENC, [pass, file]);
        assert.equal(fs.readFileSync(file, 'utf8'), text);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('pay_apiv3_key_in_clear__refused_no_trade_opened__encrypted_it_pays_and_the_notification_opens', async () => {
    const dir = path.join(KEYS, 'pay', 'wechat-1900000002');
    const file = path.join(dir, 'apiv3.key');
    const kept = fs.readFileSync(file);
    const clear = fs.readFileSync(path.join(KEYS, 'sandbox', 'wechat-1900000002', 'apiv3.key'), 'utf8').trim();
    const row = () => psql(`INSERT INTO pay_merchants (partner_code, channel, driver, merchant_id, app_id, platform_key_id)
        VALUES ('szjsgws', 'wechat', 'wechatpay_v3', '1900000002', 'wx9999999999999999',
        'PUB_KEY_ID_0119000000012026000000000001') RETURNING id`);
    const order = async () => {
        const c = await applicant();
        const o = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm() });
        psql(`UPDATE orders SET partner_code = 'szjsgws' WHERE id = ${o.id}`);
        return { c, id: o.id };
    };
    let ref = null;
    try {
        /* the key as an operator might copy it into place */
        fs.writeFileSync(file, `${clear}\n`, { mode: 0o600 });
        ref = row();
        const a = await order();
        const r = await a.c.post('/pay/online', { id: a.id, channel: 'wechat' });
        assert.equal(r.status, 503, r.text);
        const logs = allLogs();
        assert.match(logs, /apiv3\.key in clear, refused: encrypt it with script\/lib\/keyenc\.sh/);
        assert.ok(!logs.includes(clear), 'the key is never logged');
        assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${a.id}`), '0');
        psql(`UPDATE pay_merchants SET active = false WHERE id = ${ref}`);

        /* encrypted in place (what script/server does at its start): a new row reads it */
        execFileSync(KEYENC, [PASS, file]);
        ref = row();
        const b = await order();
        const trade = await payOnline(b.c, b.id, 'wechat');
        assert.equal(psql(`SELECT merchant_ref FROM payments WHERE order_id = ${b.id}`), ref);
        /* paid: WeChat Pay's notification, encrypted with its copy of the
         * key, opens with the hall's (the first row of the same account
         * opens it too: the trade's row is the one taken) */
        await confirmTrade(trade);
        await waitStatus(b.id, 'review');
        assert.ok(!allLogs().includes(clear), 'the key is never logged');
    } finally {
        fs.writeFileSync(file, kept, { mode: 0o600 });
        if (ref !== null)
            psql(`UPDATE pay_merchants SET active = false WHERE partner_code = 'szjsgws' AND active`);
    }
});
