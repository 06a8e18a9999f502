'use strict';
/*
 * The secrets the hall keeps encrypted at rest (docs/operations.md, "Secrets
 * at rest"), opened here apart from the hall and the sandbox: a line
 *     aes-256-cbc:pbkdf2-sha256:ITERATIONS:BASE64
 * (script/lib/keyenc.sh; BASE64 = "Salted__", 8 bytes of salt, the
 * AES-256-CBC ciphertext under the key and IV PBKDF2-HMAC-SHA256 derives)
 * with the key-encryption passphrase, which lives outside var/ (HALL_CRED,
 * script/lib/common.sh setup_credentials).
 */
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const VAR = process.env.HALL_VAR || '';
const CRED = process.env.HALL_CRED || `${VAR}-credentials`;
const PASS_FILE = path.join(CRED, 'pki.pass');
const PREFIX = /^aes-256-cbc:pbkdf2-sha256:(\d+):([A-Za-z0-9+/=]+)\n?$/;

const passphrase = () => fs.readFileSync(PASS_FILE, 'utf8').split('\n')[0];

/* the clear text of an encrypted secret file with pass; throws when it is in
 * clear or does not open */
function openSecret(file, pass = passphrase()) {
    const m = fs.readFileSync(file, 'utf8').match(PREFIX);
    if (!m)
        throw new Error(`${file} is not an encrypted secret`);
    const raw = Buffer.from(m[2], 'base64');
    if (raw.subarray(0, 8).toString('latin1') !== 'Salted__')
        throw new Error(`${file}: no salt`);
    const kiv = crypto.pbkdf2Sync(pass, raw.subarray(8, 16), Number(m[1]), 48, 'sha256');
    const d = crypto.createDecipheriv('aes-256-cbc', kiv.subarray(0, 32), kiv.subarray(32));
    const text = Buffer.concat([d.update(raw.subarray(16)), d.final()]).toString('latin1');
    /* a wrong passphrase passes CBC's padding check one time in 256: its
     * noise is not the one line of printable ASCII keyenc.sh encrypts */
    if (!/^[\x20-\x7e\t]+\s*$/.test(text))
        throw new Error(`${file}: not opened by this passphrase`);
    return text;
}

/* an SMS or courier account's secret (provider_key_dir); while a rotation
 * is under way (pki.pass.next beside pki.pass) it may be under the new one */
function providerSecret(name) {
    const file = path.join(VAR, 'keys', 'providers', name);
    try {
        return openSecret(file).trim();
    } catch (e) {
        if (!fs.existsSync(`${PASS_FILE}.next`))
            throw e;
        return openSecret(file, fs.readFileSync(`${PASS_FILE}.next`, 'utf8').split('\n')[0]).trim();
    }
}

/* hall-pkitool ARGS with input on its standard input; throws on failure */
function pkitoolIn(args, input) {
    const bin = path.join(process.env.HALL_ROOT || path.join(__dirname, '..', '..', '..'), 'tools', 'pkitool',
        'hall-pkitool');
    const r = spawnSync(bin, ['-c', process.env.HALL_CONF || path.join(VAR, 'hall.conf'), ...args],
        { input, encoding: 'utf8' });
    if (r.status !== 0)
        throw new Error(`hall-pkitool ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

/* a partner's link or webhook secret (kind 'link' or 'hook') set the
 * operator's way: encrypted under the PII key, never in clear in the
 * database (hall-pkitool partner-secret, sql/140_partner_secrets_enc.sql) */
const setPartnerSecret = (code, kind, secret) => pkitoolIn(['partner-secret', code, kind], `${secret}\n`);

/* a partner API key added the operator's way (hall-pkitool partner-key) */
const addPartnerKey = (code, keyId, secret, interval = '1 year') =>
    pkitoolIn(['partner-key', code, keyId, interval], `${secret}\n`);

/* every regular file under dir (symbolic links not followed: var/pg may
 * point to the cluster's own place when run as root) */
function walk(dir, out = []) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory())
            walk(p, out);
        else if (e.isFile())
            out.push(p);
    }
    return out;
}

/* the PII key (var/keys/pii.key, wrapped under the passphrase): 128 hex
 * characters, of which the first 64 are the AES-256-GCM key of the data */
const piiKey = (pass = passphrase()) => openSecret(path.join(VAR, 'keys', 'pii.key'), pass).trim();

/* bytes encrypted as the database keeps personal data (core/base/crypto.c,
 * hall_pii_encrypt): 0x01 | 12-byte nonce | AES-256-GCM ciphertext | tag */
function piiEncrypt(plain, key = piiKey()) {
    const nonce = crypto.randomBytes(12);
    const e = crypto.createCipheriv('aes-256-gcm', Buffer.from(key.slice(0, 64), 'hex'), nonce);
    const body = Buffer.concat([e.update(plain), e.final()]);
    return Buffer.concat([Buffer.from([1]), nonce, body, e.getAuthTag()]);
}

/* the clear bytes of what piiEncrypt (or the hall) made; throws when they
 * do not open with the key */
function piiDecrypt(enc, key = piiKey()) {
    const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(key.slice(0, 64), 'hex'), enc.subarray(1, 13));
    d.setAuthTag(enc.subarray(enc.length - 16));
    return Buffer.concat([d.update(enc.subarray(13, enc.length - 16)), d.final()]);
}

module.exports = {
    walk, piiKey, piiEncrypt, piiDecrypt,
    CRED, PASS_FILE, PREFIX, passphrase, openSecret, providerSecret, pkitoolIn, setPartnerSecret, addPartnerKey,
};
