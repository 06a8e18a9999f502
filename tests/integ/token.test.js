'use strict';
/*
 * The CA keys in the PKCS#11 token (SoftHSM2 under the test hall's var/):
 * after set-up no private key of the ECDSA hierarchy exists as a file under
 * var/ or in the database; certificates, CRLs and OCSP answers signed
 * through the token verify with openssl (the subscriber's certificate read
 * from the USB key it was written onto); the ceremony is idempotent, prints
 * the fingerprints, refuses a half hierarchy and is audited; a wrong token
 * PIN stops the modules at start with a clear message; the SM2 hierarchy
 * has its own SM2 root (SM3withSM2 from the end entity up) and its keys are
 * encrypted at rest.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const {
    SM2_ID, operator, staffRevoke, acceptedByTransfer, smsTo, tmpdir, openssl, fetchPki, ocspQuery, pkitool, psql,
} = require('./lib/pki');
const { p11Skip, mediumOf, openMedium } = require('./lib/station');

const VAR = process.env.HALL_VAR;
const PKI = path.join(VAR, 'keys', 'pki');
const TOKEN_KEYS = ['root', 'ecc', 'ecc-ocsp', 'audit', 'tsa', 'codesign', 'hook'];

/* the SPKI DER (base64) of a certificate file's public key */
function spkiOfCert(file) {
    const x = new crypto.X509Certificate(fs.readFileSync(file));
    return x.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/* every private key a buffer holds (PEM blocks, or the whole buffer as DER),
 * as the base64 SPKI of its public half; encrypted PEM tried with the SM2
 * keys' passphrase */
function privateKeysIn(buf, passphrase) {
    const out = [];
    const text = buf.toString('latin1');
    const re = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g;
    const tries = [];
    for (const m of text.matchAll(re))
        tries.push({ key: m[0], format: 'pem', passphrase });
    if (tries.length === 0 && buf.length < 4096 && buf[0] === 0x30)
        for (const type of ['pkcs8', 'sec1'])
            tries.push({ key: buf, format: 'der', type });
    for (const t of tries) {
        try {
            const k = crypto.createPrivateKey(t);
            out.push(crypto.createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('base64'));
        } catch (e) {
            /* not a key, or one we cannot open: counted by the caller when PEM */
            if (t.format === 'pem')
                out.push(`unreadable:${t.key.slice(0, 40)}`);
        }
    }
    return out;
}

function walk(dir, files = []) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isSymbolicLink())
            continue;
        /* the cluster is checked through pg_dump, the token's objects are
         * SoftHSM2's encrypted files */
        if (e.isDirectory() && !['pg', 'run', 'nginx', 'node_modules'].includes(e.name))
            walk(p, files);
        else if (e.isFile() && fs.statSync(p).size < 4 * 1024 * 1024)
            files.push(p);
    }
    return files;
}

test('token__no_ecc_ca_private_key_as_a_file_under_var_or_in_the_database', () => {
    const passFile = path.join(process.env.HALL_CRED || `${VAR}-credentials`, 'pki.pass');
    const pass = fs.existsSync(passFile) ? fs.readFileSync(passFile, 'utf8').trim() : undefined;
    for (const n of TOKEN_KEYS)
        assert.ok(!fs.existsSync(path.join(PKI, `${n}.key`)), `no ${n}.key in var/keys/pki`);
    const ca = new Map(TOKEN_KEYS.map((n) => [spkiOfCert(path.join(PKI, `${n}.crt`)), n]));
    assert.equal(ca.size, 7, 'seven distinct ECDSA keys: root, ecc, ecc-ocsp, audit, tsa, codesign, hook');
    const found = [];
    let files = 0;
    for (const f of walk(VAR)) {
        files++;
        for (const spki of privateKeysIn(fs.readFileSync(f), pass))
            if (ca.has(spki) || spki.startsWith('unreadable'))
                found.push(`${f}: ${ca.get(spki) || spki}`);
    }
    assert.ok(files > 20, `scanned ${files} files`);
    assert.deepEqual(found, [], 'no private key of the ECDSA hierarchy under var/');

    /* the database, whole */
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    const pgDump = path.join(path.dirname(cmd[0]), 'pg_dump');
    const dump = spawnSync(pgDump, ['-h', path.join(VAR, 'run', 'pg'), '-U', 'hall', 'hall'],
        { maxBuffer: 1 << 30 });
    assert.equal(dump.status, 0, String(dump.stderr));
    const text = dump.stdout.toString('latin1');
    assert.ok(text.includes('audit_log'), 'the dump holds the tables');
    const keys = privateKeysIn(dump.stdout, pass).filter((k) => ca.has(k));
    assert.deepEqual(keys, [], 'no PEM private key of the hierarchy in the database');
    /* bytea as hex: EC private keys in DER (SEC1 and PKCS#8 of P-256) */
    for (const m of text.matchAll(/(30770201010420[0-9a-f]{64}a00a06082a8648ce3d030107a144034200[0-9a-f]{130}|308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420[0-9a-f]{64}a144034200[0-9a-f]{130})/g)) {
        const der = Buffer.from(m[0], 'hex');
        assert.ok(privateKeysIn(der, pass).every((k) => !ca.has(k)), 'no DER private key of the hierarchy');
    }
});

test('token__certificate_crl_and_ocsp_signed_through_the_token_verify', { skip: p11Skip }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.equal(psql(`SELECT ca FROM certificates WHERE serial = '${serial}'`), 'ecc');
    const pin = (await smsTo(o.form.agent_mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    const dir = tmpdir();
    const idx = await fetchPki(dir);
    /* the certificate as its holder reads it from the USB key */
    const m = openMedium(mediumOf(o.id), pin, dir);
    assert.equal(m.status, 0, m.out);
    const leaf = m.certPem;
    const v = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'ecc.crt'), leaf]);
    assert.equal(v.status, 0, v.stderr + v.stdout);
    assert.equal(idx.cas.find((c) => c.name === 'ecc').root, '/pki/root.crt');

    const q = ocspQuery(dir, 'ecc', serial);
    assert.match(q.line, /: good$/, q.out);
    assert.ok(q.verified, `the answer verifies: ${q.out}`);
    /* signed by a delegated responder whose certificate the ecc CA's key,
     * in the token, signed (ocsp_responder.test.js) */
    const rtext = openssl(['ocsp', '-respin', path.join(dir, 'resp.der'), '-resp_text', '-noverify']).stdout;
    const pem = rtext.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/);
    assert.ok(pem, rtext);
    const responder = new crypto.X509Certificate(pem[0]);
    const ecc = new crypto.X509Certificate(fs.readFileSync(path.join(PKI, 'ecc.crt')));
    assert.ok(responder.verify(ecc.publicKey), 'the responder certified by ecc, whose key is in the token');
    const spki = responder.publicKey.export({ type: 'spki', format: 'der' });
    const keyHash = crypto.createHash('sha1').update(spki.subarray(spki.length - 65)).digest('hex').toUpperCase();
    assert.match(rtext, new RegExp(`Responder Id: ${keyHash}`), 'by the responder in the answer');

    /* asked by one operator, approved by another (four eyes) */
    assert.equal((await staffRevoke(serial, 'superseded', op)).status, 200);
    await fetchPki(dir);
    const crl = openssl(['crl', '-inform', 'DER', '-in', path.join(dir, 'ecc.crl'), '-CAfile',
        path.join(dir, 'ecc.crt'), '-noout', '-text']);
    assert.match(crl.stderr + crl.stdout, /verify OK/);
    assert.ok(crl.stdout.includes(serial), 'the CRL lists the revoked serial');
    assert.match(ocspQuery(dir, 'ecc', serial).line, /: revoked$/);
});

test('ceremony__again_changes_nothing_prints_fingerprints__audited_once', () => {
    const r = pkitool(['ceremony']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /nothing made, nothing changed/);
    for (const n of [...TOKEN_KEYS, 'sm2-root', 'sm2', 'sm2-ocsp', 'seal-maker']) {
        const fp = new crypto.X509Certificate(fs.readFileSync(path.join(PKI, `${n}.crt`))).fingerprint256;
        assert.match(r.stdout, new RegExp(`^${n} +(token|file) +${fp}`, 'm'), `${n}'s fingerprint`);
    }
    const rows = psql(`SELECT actor || '|' || entity || '|' || action || '|' || (detail->>'made')
        FROM audit_log WHERE action = 'ceremony'`).split('\n');
    assert.deepEqual(rows, ['cli:hall-pkitool|pki|ceremony|["root", "ecc", "ecc-ocsp", "audit", "tsa", "codesign", "hook"]'],
        'the set-up ceremony is on the audit trail once');
    assert.match(psql(`SELECT detail->>'operator' FROM audit_log WHERE action = 'ceremony'`), /\S/);
});

test('ceremony__refuses_a_half_hierarchy_and_overwrites_nothing', () => {
    /* a pki_dir without the certificates of the keys the token holds */
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-cer-'));
    const conf = path.join(dir, 'hall.conf');
    fs.mkdirSync(path.join(dir, 'pki'));
    fs.writeFileSync(path.join(dir, 'pki', 'note'), 'x');
    fs.writeFileSync(conf, `${fs.readFileSync(process.env.HALL_CONF, 'utf8')}\npki_dir = ${dir}/pki\n`);
    const r = spawnSync(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'), ['-c', conf, 'ceremony'],
        { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /root: a key in the token without its certificate/);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'pki')), ['note'], 'nothing written');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'ceremony'`), '1');
});

test('token__wrong_pin__modules_refuse_to_start_saying_so', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-pin-'));
    const pinFile = path.join(dir, 'wrong.pin');
    fs.writeFileSync(pinFile, '000000\n', { mode: 0o600 });
    const conf = path.join(dir, 'hall.conf');
    fs.writeFileSync(conf, `${fs.readFileSync(process.env.HALL_CONF, 'utf8')}\npkcs11_pin_file = ${pinFile}\n`);
    for (const mod of ['ocsp', 'pki']) {
        const sock = path.join(dir, `${mod}.sock`);
        const r = spawnSync(path.join(process.env.HALL_ROOT, `modules/${mod}/hall-${mod}`),
            ['-c', conf, '-s', sock, '-w', '1'], { encoding: 'utf8', timeout: 20000 });
        assert.equal(r.status, 1, `hall-${mod} exits 1: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /pkcs11_token "hall": login refused: the PIN is wrong \(pkcs11_pin_file\)/);
        assert.ok(!r.stderr.includes('000000'), 'the PIN is not logged');
        assert.ok(!fs.existsSync(sock), `hall-${mod} never listened`);
    }
    const t = spawnSync(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'), ['-c', conf, 'crl'],
        { encoding: 'utf8' });
    assert.equal(t.status, 1);
    assert.match(t.stderr, /the PIN is wrong/);
});

test('sm2__own_sm2_root_sm3withsm2_up_to_it__keys_encrypted_at_rest', async () => {
    const dir = tmpdir();
    const idx = await fetchPki(dir);
    assert.deepEqual(idx.roots, [
        { name: 'root', algorithm: 'ecdsa', cert: '/pki/root.crt', crl: '/pki/root.crl' },
        { name: 'sm2-root', algorithm: 'sm2', cert: '/pki/sm2-root.crt' },
    ]);
    assert.equal(idx.cas.find((c) => c.name === 'sm2').root, '/pki/sm2-root.crt');
    const root = path.join(dir, 'sm2-root.crt');
    fs.writeFileSync(root, Buffer.from(await (await fetch(`${HALL}/pki/sm2-root.crt`)).arrayBuffer()));
    for (const f of [root, path.join(dir, 'sm2.crt')]) {
        const t = openssl(['x509', '-in', f, '-noout', '-text']).stdout;
        assert.match(t, /Signature Algorithm: SM2-with-SM3/, f);
        assert.match(t, /Public Key Algorithm: (id-ecPublicKey|sm2)[\s\S]*ASN1 OID: SM2/, f);
    }
    assert.match(openssl(['x509', '-in', path.join(dir, 'sm2.crt'), '-noout', '-issuer']).stdout,
        /Hall Demo SM2 Root CA/);
    /* each link with the GM/T signer ID (openssl verify applies it to the leaf only) */
    const v = openssl(['verify', '-CAfile', root, '-vfyopt', `distid:${SM2_ID}`, path.join(dir, 'sm2.crt')]);
    assert.equal(v.status, 0, v.stderr + v.stdout);
    const nov = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), path.join(dir, 'sm2.crt')]);
    assert.notEqual(nov.status, 0, 'the sm2 CA no longer chains to the ECDSA root');
    for (const n of ['sm2-root', 'sm2', 'sm2-ocsp', 'seal-maker']) {
        const k = fs.readFileSync(path.join(PKI, `${n}.key`), 'utf8');
        assert.match(k, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/, `${n}.key is encrypted`);
        assert.equal(fs.statSync(path.join(PKI, `${n}.key`)).mode & 0o777, 0o600);
    }
    assert.equal(fs.statSync(path.join(process.env.HALL_CRED || `${VAR}-credentials`, 'pki.pass')).mode & 0o777, 0o600);
    /* the token's PINs beside the passphrase, outside var/ */
    const cred = process.env.HALL_CRED || `${VAR}-credentials`;
    for (const pin of ['pkcs11.pin', 'pkcs11.so-pin']) {
        assert.equal(fs.statSync(path.join(cred, pin)).mode & 0o777, 0o600, pin);
        assert.ok(!fs.existsSync(path.join(VAR, 'keys', pin)), `no var/keys/${pin}`);
    }
});

test('audit_key__in_the_token_certified_by_the_root_for_signatures_only', () => {
    const f = path.join(PKI, 'audit.crt');
    const v = openssl(['verify', '-CAfile', path.join(PKI, 'root.crt'), f]);
    assert.equal(v.status, 0, v.stderr + v.stdout);
    const t = openssl(['x509', '-in', f, '-noout', '-text']).stdout;
    assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature\s*\n/);
    assert.match(t, /CA:FALSE/);
    assert.match(t, /ASN1 OID: prime256v1/);
});
