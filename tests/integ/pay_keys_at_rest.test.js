'use strict';
/*
 * The hall's private keys in files are encrypted at rest (docs/internals/
 * pki.md, "Keys at rest"): the merchants' API keys (pay_key_dir's
 * apiclient_key.pem, app_private_key.pem) and the SM2 keys, each a PKCS#8
 * "ENCRYPTED PRIVATE KEY" whose key is derived by PBKDF2-HMAC-SHA256 with at
 * least 600,000 iterations from pki_pass_file's passphrase; an existing
 * var/'s keys (in clear, or at OpenSSL's 2,048 iterations) are encrypted
 * anew in place by script/lib/keyenc.sh, the same keys; and the hall
 * refuses a merchant key left in clear.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { applicant } = require('./lib/client');
const { psql, personForm, unpaidOrder, allLogs } = require('./lib/payflow');

const KEYS = path.join(process.env.HALL_VAR || '', 'keys');
/* the key-encryption passphrase, outside var/ (script/lib/common.sh setup_credentials) */
const PASS = path.join(process.env.HALL_CRED || `${process.env.HALL_VAR || ''}-credentials`, 'pki.pass');
const KEYENC = path.join(__dirname, '..', '..', 'script', 'lib', 'keyenc.sh');

/* the PBKDF2 iterations and PRF of an encrypted PKCS#8 PEM file, as openssl reads it */
function kdf(file) {
    const text = execFileSync('openssl', ['asn1parse', '-in', file], { encoding: 'utf8' });
    const after = text.split('\n').slice(text.split('\n').findIndex((l) => / :PBKDF2\s*$/.test(l)) + 1);
    const int = after.find((l) => / INTEGER /.test(l));
    return { iter: int ? parseInt(int.split(':').pop(), 16) : 0, sha256: / :hmacWithSHA256\s*$/m.test(text) };
}

function publicOf(file, passphrase) {
    return crypto.createPublicKey(crypto.createPrivateKey({ key: fs.readFileSync(file), passphrase }))
        .export({ type: 'spki', format: 'pem' });
}

test('keys_at_rest__merchant_and_sm2_private_keys__encrypted_pbkdf2_sha256_600000', () => {
    const files = [
        ...fs.readdirSync(path.join(KEYS, 'pay')).flatMap((d) => ['apiclient_key.pem', 'app_private_key.pem']
            .map((f) => path.join(KEYS, 'pay', d, f))),
        ...fs.readdirSync(path.join(KEYS, 'pki')).filter((f) => f.endsWith('.key')).map((f) => path.join(KEYS, 'pki', f)),
    ].filter((f) => fs.existsSync(f));
    assert.ok(files.length >= 7, files.join(' '));
    const pass = fs.readFileSync(PASS, 'utf8').split('\n')[0];
    for (const f of files) {
        assert.match(fs.readFileSync(f, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/, `${f} in clear`);
        const k = kdf(f);
        assert.ok(k.iter >= 600000 && k.sha256, `${f}: PBKDF2 ${k.iter} iterations`);
        assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
        assert.ok(publicOf(f, pass), `${f} opens with pki_pass_file`);
    }
});

test('keys_at_rest__an_old_var_clear_and_2048_iteration_keys__encrypted_anew_the_same_keys', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyenc-'));
    try {
        const pass = path.join(dir, 'pki.pass');
        fs.writeFileSync(pass, 'old-var-passphrase\n', { mode: 0o600 });
        const clear = path.join(dir, 'apiclient_key.pem');
        const old = path.join(dir, 'sm2.key');
        const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
        fs.writeFileSync(clear, rsa.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o644 });
        execFileSync('openssl', ['genpkey', '-algorithm', 'SM2', '-aes-256-cbc', '-pass', `file:${pass}`, '-out', old]);
        assert.equal(kdf(old).iter, 2048, 'as pki-init.sh made them before');
        const before = [crypto.createPublicKey(rsa).export({ type: 'spki', format: 'pem' }), publicOf(old, 'old-var-passphrase')];
        execFileSync(KEYENC, [pass, clear, old, path.join(dir, 'absent.pem')]);
        for (const [i, f] of [clear, old].entries()) {
            assert.match(fs.readFileSync(f, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
            assert.equal(kdf(f).iter, 600000);
            assert.equal(fs.statSync(f).mode & 0o777, 0o600);
            assert.equal(publicOf(f, 'old-var-passphrase'), before[i], 'the same key');
        }
        /* run again (every script/server start): left alone */
        const same = fs.readFileSync(old, 'utf8');
        execFileSync(KEYENC, [pass, clear, old]);
        assert.equal(fs.readFileSync(old, 'utf8'), same);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('pay_merchant_key_in_clear__refused_no_trade_opened__encrypted_it_pays', async () => {
    const dir = path.join(KEYS, 'pay', 'wechat-1900000002');
    const file = path.join(dir, 'apiclient_key.pem');
    const kept = fs.readFileSync(file);
    const pass = fs.readFileSync(PASS, 'utf8').split('\n')[0];
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
        /* the key as an operator might copy it from the merchant platform */
        fs.writeFileSync(file, crypto.createPrivateKey({ key: kept, passphrase: pass }).export({ type: 'pkcs8', format: 'pem' }));
        ref = row();
        const a = await order();
        const r = await a.c.post('/pay/online', { id: a.id, channel: 'wechat' });
        assert.equal(r.status, 503, r.text);
        assert.match(allLogs(), /private key in clear, refused/);
        psql(`UPDATE pay_merchants SET active = false WHERE id = ${ref}`);

        /* encrypted in place (what script/server does at its start): a new row reads it */
        execFileSync(KEYENC, [PASS, file]);
        ref = row();
        const b = await order();
        const ok = await b.c.post('/pay/online', { id: b.id, channel: 'wechat' });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(psql(`SELECT merchant_ref FROM payments WHERE order_id = ${b.id}`), ref);
    } finally {
        fs.writeFileSync(file, kept, { mode: 0o600 });
        if (ref !== null)
            psql(`UPDATE pay_merchants SET active = false WHERE partner_code = 'szjsgws' AND active`);
    }
});
