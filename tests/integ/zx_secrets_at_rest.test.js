'use strict';
/*
 * Secrets at rest (docs/operations.md, "Secrets at rest"): after
 * script/test's set-up the SMS and courier accounts' secrets under
 * var/keys/providers are encrypted like the merchants' keys (keyenc.sh's
 * line, PBKDF2-HMAC-SHA256 with 600,000 iterations), and the passphrase that
 * opens them all lies outside var/: no file under var/ holds it or any
 * provider secret, so a copy of var/ alone opens nothing.  SMS and the
 * courier (SF's order call signed with the checkWord, its route push
 * checked with it) still work; hall-pkitool rotate-pass writes every
 * encrypted file anew under a new passphrase and they keep working; a
 * rotation cut mid-way (HALL_PKI_FAULT=rotate_after_N, exit 70) leaves every
 * file whole under the old passphrase or the new one, SMS and the courier
 * work meanwhile, and running it again finishes it.
 *
 * The key-encryption secrets of what var/ keeps are outside it too: the
 * PII key is in var/keys/pii.key only wrapped under the passphrase
 * (keyenc.sh's line), the token's PINs are in the credentials: no file of
 * var/ decrypts personal data or unlocks the token, the wrapped key opens
 * with the credentials to the key of the database's data, and rotate-pass
 * wraps it anew (the data untouched) with every other file.
 *
 * Runs late (zx_): the rotation changes the passphrase of the keys every
 * earlier file used.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync, spawnSync } = require('node:child_process');
const { SKIP, HALL_VAR, HALL_CONF, HALL_ROOT, Client, newPhone, sendCode } = require('./lib/hall');
const { operator, acceptedByTransfer, psql } = require('./lib/pki');
const { push } = require('./lib/courier');
const { CRED, PASS_FILE, PREFIX, passphrase, openSecret, walk } = require('./lib/secrets');
const { applicant } = require('./lib/client');

const PROVIDERS = path.join(HALL_VAR || '', 'keys', 'providers');
const NAMES = ['aliyun-sms.secret', 'tencent-sms.secret', 'sf.checkword', 'jd.secret', 'ems.secret'];
const PKITOOL = path.join(HALL_ROOT || '', 'tools', 'pkitool', 'hall-pkitool');


/* the files of var/ that contain one of the needles */
function varHolding(needles) {
    const found = [];
    for (const f of walk(HALL_VAR)) {
        let buf;
        try {
            if (fs.statSync(f).size > 256 * 1024 * 1024)
                continue;
            buf = fs.readFileSync(f);
        } catch {
            continue; /* gone meanwhile (a log rotated, a temp file) */
        }
        for (const [what, n] of needles)
            if (buf.includes(n))
                found.push(`${path.relative(HALL_VAR, f)} holds ${what}`);
    }
    return found;
}

function atRest() {
    const secrets = {};
    for (const n of NAMES) {
        const f = path.join(PROVIDERS, n);
        const text = fs.readFileSync(f, 'utf8');
        const m = text.match(PREFIX);
        assert.ok(m, `var/keys/providers/${n} is encrypted (keyenc.sh's line), not in clear`);
        assert.ok(Number(m[1]) >= 600000, `${n}: PBKDF2 ${m[1]} iterations`);
        assert.equal(fs.statSync(f).mode & 0o777, 0o600, n);
        secrets[n] = openSecret(f).trim();
        assert.match(secrets[n], /^[0-9a-f]{32}$/, `${n} opens with the key-encryption passphrase`);
    }
    return secrets;
}

function outsideVar() {
    const pass = passphrase();
    assert.ok(pass.length >= 32, 'a key-encryption passphrase in the credentials');
    assert.equal(fs.statSync(PASS_FILE).mode & 0o777, 0o600);
    assert.equal(fs.statSync(CRED).mode & 0o777, 0o700);
    assert.ok(!path.resolve(CRED).startsWith(`${path.resolve(HALL_VAR)}${path.sep}`), `${CRED} lies outside var/`);
    const conf = fs.readFileSync(HALL_CONF, 'utf8').match(/^pki_pass_file = (.*)$/m);
    assert.ok(conf && conf[1] === PASS_FILE, `hall.conf's pki_pass_file is ${PASS_FILE}: ${conf && conf[1]}`);
    return pass;
}

/* a code by SMS, and an order shipped (SF's order call, signed with its
 * checkWord) whose route push (signed the same way) the hall takes */
async function providersWork() {
    const phone = newPhone();
    assert.match(await sendCode(new Client(), phone, 'login'), /^\d{6}$/);
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const ship = await op.post('/admin/pki/ship', { id: o.id });
    assert.equal(ship.status, 200, ship.text);
    const [waybill, carrier] = psql(`SELECT waybill_no || '|' || carrier FROM orders WHERE id = ${o.id}`).split('|');
    assert.ok(waybill, 'the carrier gave a waybill number');
    const r = await push(carrier, waybill);
    assert.equal(r.status, 200, r.text);
    assert.equal(JSON.parse(r.text).return_code, '0000', r.text);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'delivered');
}

/* what file opens to with pass (trimmed), or null */
function tryOpen(file, pass) {
    try {
        return openSecret(file, pass).trim();
    } catch {
        return null;
    }
}

/* a personal datum as the database keeps it (a phone: version | nonce |
 * ciphertext | tag, AES-256-GCM under the PII key's first 32 bytes) */
async function piiSample() {
    await applicant();
    const hex = psql('SELECT encode(phone_enc, \'hex\') FROM users WHERE phone_enc IS NOT NULL ORDER BY id DESC LIMIT 1');
    assert.match(hex, /^01[0-9a-f]{78,}$/, 'a phone encrypted in the database');
    return Buffer.from(hex, 'hex');
}

/* the 11 digits when the 128 hex characters are the PII key, else null */
function decrypts(keyHex, enc) {
    try {
        const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(keyHex.slice(0, 64), 'hex'), enc.subarray(1, 13));
        d.setAuthTag(enc.subarray(enc.length - 16));
        return Buffer.concat([d.update(enc.subarray(13, enc.length - 16)), d.final()]).toString();
    } catch {
        return null;
    }
}

/* the PII key (var/keys/pii.key opened with pass) */
function piiKey(pass = passphrase()) {
    const f = path.join(HALL_VAR, 'keys', 'pii.key');
    assert.match(fs.readFileSync(f, 'utf8'), PREFIX, 'var/keys/pii.key holds the key only wrapped');
    assert.equal(fs.statSync(f).mode & 0o777, 0o600);
    const key = openSecret(f, pass).trim();
    assert.match(key, /^[0-9a-f]{128}$/);
    return key;
}

test('secrets_at_rest__a_copy_of_var_alone_decrypts_no_pii_and_unlocks_no_token', { skip: SKIP }, async () => {
    const enc = await piiSample();
    /* with the credentials: the key of the data */
    const key = piiKey();
    assert.match(decrypts(key, enc) || '', /^1\d{10}$/, 'the wrapped key opens to the key of the data');
    /* var/ alone: no file holds the key, nor any 128 hex characters that
     * decrypt the data, nor a line that unwraps the key */
    const files = walk(HALL_VAR).filter((f) => {
        try {
            return fs.statSync(f).size <= 4 * 1024 * 1024;
        } catch {
            return false;
        }
    });
    const found = [];
    for (const f of files) {
        let text;
        try {
            text = fs.readFileSync(f, 'latin1');
        } catch {
            continue;
        }
        for (const m of text.matchAll(/[0-9a-fA-F]{128}/g))
            if (decrypts(m[0].toLowerCase(), enc) !== null)
                found.push(`${path.relative(HALL_VAR, f)} decrypts personal data`);
        if (fs.statSync(f).size <= 4096 && path.dirname(f).startsWith(path.join(HALL_VAR, 'keys'))) {
            if (tryOpen(path.join(HALL_VAR, 'keys', 'pii.key'), text.split('\n')[0]) === key)
                found.push(`${path.relative(HALL_VAR, f)} unwraps the PII key`);
        }
    }
    /* the token's PINs: in the credentials, in no file of var/ */
    const pins = [];
    for (const n of ['pkcs11.pin', 'pkcs11.so-pin', 'pkcs11-report.pin']) {
        const f = path.join(CRED, n);
        assert.ok(fs.existsSync(f), `${n} in the credentials (${CRED})`);
        assert.equal(fs.statSync(f).mode & 0o777, 0o600, n);
        pins.push([`the token's ${n}`, Buffer.from(fs.readFileSync(f, 'utf8').split('\n')[0])]);
        assert.ok(!fs.existsSync(path.join(HALL_VAR, 'keys', n)), `no var/keys/${n}`);
    }
    const conf = fs.readFileSync(HALL_CONF, 'utf8').match(/^pkcs11_pin_file = (.*)$/m);
    assert.ok(conf && conf[1] === path.join(CRED, 'pkcs11.pin'), `hall.conf's pkcs11_pin_file: ${conf && conf[1]}`);
    assert.deepEqual([...found, ...varHolding([['the PII key', Buffer.from(key)], ...pins])], [],
        'a copy of var/ alone decrypts no personal data and unlocks no token');
});

test('secrets_at_rest__provider_secrets_encrypted_var_holds_neither_them_nor_the_passphrase', { skip: SKIP }, async () => {
    const secrets = atRest();
    const pass = outsideVar();
    const found = varHolding([['the key-encryption passphrase', Buffer.from(pass)],
        ...Object.entries(secrets).map(([n, s]) => [`the secret of ${n}`, Buffer.from(s)])]);
    assert.deepEqual(found, [], 'a copy of var/ reveals no secret');
    assert.ok(!fs.existsSync(path.join(HALL_VAR, 'keys', 'pki.pass')), 'no var/keys/pki.pass');
    /* what else var/keys holds (the PII key, the token's PINs) opens none of them */
    for (const f of fs.readdirSync(path.join(HALL_VAR, 'keys'), { withFileTypes: true })) {
        if (!f.isFile() || fs.statSync(path.join(HALL_VAR, 'keys', f.name)).size > 4096)
            continue;
        const line = fs.readFileSync(path.join(HALL_VAR, 'keys', f.name), 'utf8').split('\n')[0];
        /* (a wrong passphrase may pass CBC's padding check by chance, one
         * time in about 256: what matters is that it never gives the secret) */
        assert.notEqual(tryOpen(path.join(PROVIDERS, 'sf.checkword'), line), secrets['sf.checkword'],
            `var/keys/${f.name} does not open the provider secrets`);
    }
    await providersWork();
});

/* the object store's secret access key (s3_secret_key_file): kept encrypted
 * like the provider secrets, one in clear refused.  hall-objstore to-s3 of
 * an empty directory with a copy of hall.conf naming an S3 store: with the
 * test's Swift (HALL_TEST_STORE=s3) its endpoint and key, else a port no one
 * listens on, so that past the key only the store fails (exit 3) */
const S3 = process.env.HALL_TEST_STORE === 's3';
const OBJSTORE = path.join(HALL_ROOT || '', 'tools', 'objstore', 'hall-objstore');

function toS3(dir, secretFile) {
    const conf = path.join(dir, 'hall.conf');
    const was = fs.readFileSync(HALL_CONF, 'utf8');
    const endpoint = S3 ? was.match(/^s3_endpoint = (.*)$/m)[1] : 'http://127.0.0.1:9';
    const access = S3 ? was.match(/^s3_access_key = (.*)$/m)[1] : 'hall-test-access';
    fs.writeFileSync(conf, `${was.replace(/^(objstore|s3_[a-z_]+) = .*\n/gm, '')}\nobjstore = s3\n`
        + `s3_endpoint = ${endpoint}\ns3_bucket = hall-sec-${crypto.randomBytes(4).toString('hex')}\n`
        + `s3_access_key = ${access}\ns3_secret_key_file = ${secretFile}\n`);
    fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
    const r = spawnSync(OBJSTORE, ['-c', conf, 'to-s3', '--dir', path.join(dir, 'empty')], { encoding: 'utf8' });
    return { status: r.status, err: r.stderr };
}

test('secrets_at_rest__s3_secret_key_encrypted_in_var__one_in_clear_refused_naming_it', { skip: SKIP }, () => {
    const dir = fs.mkdtempSync(path.join(HALL_VAR, 'tmp', 's3-secret-'));
    try {
        const real = path.join(HALL_VAR, 'keys', 's3.secret');
        let secret = crypto.randomBytes(20).toString('hex');
        if (S3) {
            /* the hall's copy: encrypted, opening to Swift's own secret */
            assert.match(fs.readFileSync(real, 'utf8'), PREFIX, 'var/keys/s3.secret is encrypted, not in clear');
            assert.equal(fs.statSync(real).mode & 0o777, 0o600);
            secret = openSecret(real).trim();
            assert.equal(secret, fs.readFileSync(path.join(HALL_VAR, 'swift', 'secret'), 'utf8').trim());
            /* var/ holds it nowhere in clear but in the test's Swift itself
             * (var/swift: the provider's side, as the sandbox's own keys) */
            const found = varHolding([['the S3 secret key', Buffer.from(secret)]])
                .filter((f) => !f.startsWith(`swift${path.sep}`));
            assert.deepEqual(found, [], 'a copy of var/ reveals no S3 secret key');
        }
        const clear = path.join(dir, 's3.secret');
        fs.writeFileSync(clear, `${secret}\n`, { mode: 0o600 });
        let r = toS3(dir, clear);
        assert.equal(r.status, 2, `a key in clear refused: ${r.err}`);
        assert.match(r.err, /s3 secret key not opened: in clear, encrypt it with script\/lib\/keyenc\.sh/);
        assert.ok(r.err.includes(clear), `the file named: ${r.err}`);
        assert.ok(!r.err.includes(secret), 'never the secret');
        /* the same key encrypted by keyenc.sh: opened, the store reached */
        execFileSync(path.join(HALL_ROOT, 'script', 'lib', 'keyenc.sh'), [PASS_FILE, clear]);
        assert.match(fs.readFileSync(clear, 'utf8'), PREFIX);
        r = toS3(dir, clear);
        if (S3) {
            assert.equal(r.status, 0, r.err);
        } else {
            assert.equal(r.status, 3, r.err);
            assert.doesNotMatch(r.err, /s3 secret key not opened/);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('secrets_at_rest__rotate_pass__every_key_file_anew_and_everything_still_works', { skip: SKIP }, async () => {
    const before = atRest();
    const old = passphrase();
    const enc = await piiSample();
    const pkey = piiKey(old);
    const keyFiles = [
        ...walk(path.join(HALL_VAR, 'keys', 'pki')), ...walk(path.join(HALL_VAR, 'keys', 'pay')),
        ...walk(path.join(HALL_VAR, 'keys', 'demo')),
    ].filter((f) => /^-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(fs.readFileSync(f, 'utf8')));
    const secretFiles = walk(path.join(HALL_VAR, 'keys', 'pay')).filter((f) => PREFIX.test(fs.readFileSync(f, 'utf8')));
    assert.ok(keyFiles.length >= 8 && secretFiles.length >= 1, `${keyFiles.length} keys, ${secretFiles.length} secrets`);

    const out = execFileSync(PKITOOL, ['-c', HALL_CONF, 'rotate-pass'], { encoding: 'utf8' });
    assert.match(out, /encrypted anew/);
    const now = outsideVar();
    assert.notEqual(now, old, 'a new passphrase');
    assert.ok(!fs.existsSync(`${PASS_FILE}.next`), 'the rotation finished');
    assert.deepEqual(atRest(), before, 'the same provider secrets, under the new passphrase');
    /* (a wrong passphrase passes CBC's padding check one time in about 256:
     * what matters is that it never gives the secret) */
    for (const n of NAMES)
        assert.notEqual(tryOpen(path.join(PROVIDERS, n), old), before[n], `${n} no longer opens with the old passphrase`);
    for (const f of keyFiles) {
        execFileSync('openssl', ['pkey', '-in', f, '-passin', `file:${PASS_FILE}`, '-noout']);
        assert.throws(() => execFileSync('openssl', ['pkey', '-in', f, '-passin', `pass:${old}`, '-noout'],
            { stdio: 'ignore' }), `${path.relative(HALL_VAR, f)} no longer opens with the old passphrase`);
    }
    for (const f of secretFiles)
        assert.ok(openSecret(f, now).length > 0, f);
    if (S3)
        assert.ok(openSecret(path.join(HALL_VAR, 'keys', 's3.secret'), now).length > 0, 'var/keys/s3.secret anew');
    /* the PII key wrapped anew: the same key, the data untouched */
    assert.equal(piiKey(now), pkey, 'the same PII key under the new passphrase');
    assert.notEqual(tryOpen(path.join(HALL_VAR, 'keys', 'pii.key'), old), pkey, 'no longer under the old one');
    assert.match(decrypts(piiKey(now), enc) || '', /^1\d{10}$/);
    /* a program started now opens it (hall_crypto_init with pki_pass_file) */
    assert.match(execFileSync(PKITOOL, ['-c', HALL_CONF, 'reconcile', '86400'], { encoding: 'utf8' }), /dead intent/);
    assert.deepEqual(varHolding([['the new passphrase', Buffer.from(now)], ['the old passphrase', Buffer.from(old)]]), []);
    await providersWork();
});

test('secrets_at_rest__rotation_cut_mid_way__every_file_opens_things_work_run_again_finishes', { skip: SKIP }, async () => {
    const before = atRest();
    const old = passphrase();
    const inPki = [...walk(path.join(HALL_VAR, 'keys', 'pki')), ...walk(path.join(HALL_VAR, 'keys', 'demo'))]
        .filter((f) => /^-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(fs.readFileSync(f, 'utf8'))).length;
    /* cut after the SM2 and demo keys and two of the five provider secrets */
    let status = 0;
    try {
        execFileSync(PKITOOL, ['-c', HALL_CONF, 'rotate-pass'],
            { env: { ...process.env, HALL_PKI_FAULT: `rotate_after_${inPki + 2}` }, stdio: 'pipe' });
    } catch (e) {
        status = e.status;
    }
    assert.equal(status, 70, 'the rotation was cut');
    assert.equal(passphrase(), old, 'the passphrase is the old one until every file is done');
    const next = fs.readFileSync(`${PASS_FILE}.next`, 'utf8').split('\n')[0];
    const under = { old: 0, next: 0 };
    for (const n of NAMES) {
        const f = path.join(PROVIDERS, n);
        let s;
        try {
            s = openSecret(f, old).trim();
            under.old++;
        } catch {
            s = openSecret(f, next).trim();
            under.next++;
        }
        assert.equal(s, before[n], `${n} whole after the cut`);
    }
    assert.deepEqual(under, { old: 3, next: 2 });
    /* the hall and the sandbox open both kinds meanwhile */
    await providersWork();

    const out = execFileSync(PKITOOL, ['-c', HALL_CONF, 'rotate-pass'], { encoding: 'utf8' });
    assert.match(out, /resuming the rotation/);
    assert.match(out, /, [1-9]\d* already were;/);
    assert.equal(passphrase(), next);
    assert.ok(!fs.existsSync(`${PASS_FILE}.next`));
    assert.deepEqual(atRest(), before);
    await providersWork();
});
