'use strict';
/*
 * The delegated OCSP responder (core/pki/ocsp_answer.c, delegate_make;
 * RFC 6960 4.2.2.2): each ocsp worker signs with a P-256 key in its own
 * memory, certified by the ecc CA's key in the token with id-kp-OCSPSigning
 * and id-pkix-ocsp-nocheck for ocsp_responder_s, and makes the next one at
 * half of that.  The answers carry that certificate and verify with
 * `openssl ocsp -issuer ecc.crt -CAfile root.crt`: good, revoked with its
 * reason, unknown, the nonce echoed; a new key after the renewal, whose
 * answers verify the same.  (The token away: zw_token_away.test.js.)
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { HALL } = require('./lib/client');
const { sleep } = require('./lib/hall');
const { fcgiRequest } = require('./lib/fcgi');
const {
    operator, acceptedByTransfer, tmpdir, openssl, fetchPki, psql, staffRevoke, derNode, derChildren, basicOfOcsp,
} = require('./lib/pki');

const PKI = path.join(process.env.HALL_VAR, 'keys', 'pki');

async function issued(op) {
    const o = await acceptedByTransfer();
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    return psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
}

/* the first certificate a DER OCSPResponse carries (BasicOCSPResponse [0] certs) */
function responderCert(der) {
    const basic = basicOfOcsp(der);
    const kids = derChildren(derNode(basic, 0), basic);
    assert.equal(kids.length, 4, 'tbs, algorithm, signature and the certificates');
    assert.equal(kids[3].tag, 0xa0);
    const [seq] = derChildren(kids[3], basic);
    const [cert] = derChildren(seq, basic);
    return new crypto.X509Certificate(Buffer.from(cert.raw));
}

/* the SHA-1 of a certificate's public key bits: its OCSP responder ID by key */
function keyHash(x) {
    const spki = x.publicKey.export({ type: 'spki', format: 'der' });
    return crypto.createHash('sha1').update(spki.subarray(spki.length - 65)).digest('hex').toUpperCase();
}

/* what a delegated responder certificate must be, wherever it came from */
function checkResponder(dir, x, what) {
    const ecc = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'ecc.crt')));
    assert.ok(x.checkIssued(ecc) && x.verify(ecc.publicKey), `${what}: issued by the ecc CA`);
    const pem = path.join(dir, `${x.serialNumber}.pem`);
    fs.writeFileSync(pem, x.toString());
    const v = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'ecc.crt'), pem]);
    assert.equal(v.status, 0, `${what}: ${v.stdout}${v.stderr}`);
    const t = openssl(['x509', '-in', pem, '-noout', '-text']).stdout;
    assert.match(t, /X509v3 Extended Key Usage: critical\s+OCSP Signing\s*\n/, `${what}: OCSP signing only`);
    assert.match(t, /OCSP No Check/, `${what}: id-pkix-ocsp-nocheck`);
    assert.match(t, /CA:FALSE/, what);
    /* not the long-lived signer of the ceremony, whose key is in the token */
    const longLived = new crypto.X509Certificate(fs.readFileSync(path.join(PKI, 'ecc-ocsp.crt')));
    assert.notEqual(keyHash(x), keyHash(longLived), `${what}: a key of its own`);
    assert.notEqual(x.fingerprint256, longLived.fingerprint256, what);
}

/* openssl ocsp's reading of an answer (file) to request (file), verified against the root */
function readAnswer(dir, reqFile, respFile) {
    const r = openssl(['ocsp', '-reqin', reqFile, '-respin', respFile, '-issuer', path.join(dir, 'ecc.crt'),
        '-CAfile', path.join(dir, 'root.crt'), '-resp_text']);
    return `${r.stdout}\n${r.stderr}`;
}

const nonceOf = (text) => (text.match(/OCSP Nonce:\s*\n\s*([0-9A-F]+)/) || [])[1];

test('ocsp_responder__nonce_answers_by_a_short_lived_delegated_key__verify__good_revoked_unknown', async () => {
    const op = await operator();
    const good = await issued(op);
    const gone = await issued(op);
    assert.equal((await staffRevoke(gone, 'keyCompromise', op)).status, 200);
    const unknown = '0123456789ABCDEF';
    const dir = tmpdir();
    await fetchPki(dir);

    const seen = new Set();
    for (const [serial, want] of [[good, /: good/], [gone, /: revoked/], [unknown, /: unknown/]]) {
        const r = openssl(['ocsp', '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`,
            '-url', `${HALL}/ocsp`, '-CAfile', path.join(dir, 'root.crt'), '-resp_text',
            '-reqout', path.join(dir, 'req.der'), '-respout', path.join(dir, 'resp.der')]);
        const out = `${r.stdout}\n${r.stderr}`;
        assert.match(out, /Response verify OK/, out);
        assert.match(out, new RegExp(`0x${serial}${want.source}`), out);
        assert.doesNotMatch(out, /WARNING: no nonce/, out);
        const req = openssl(['ocsp', '-reqin', path.join(dir, 'req.der'), '-req_text']).stdout;
        assert.ok(nonceOf(req), req);
        assert.equal(nonceOf(out), nonceOf(req), 'the nonce echoed');
        if (serial === gone)
            assert.match(out, /Revocation Reason: keyCompromise \(0x1\)/, out);
        const x = responderCert(fs.readFileSync(path.join(dir, 'resp.der')));
        checkResponder(dir, x, serial);
        assert.match(out, new RegExp(`Responder Id: ${keyHash(x)}`), 'the responder named by its key');
        /* short-lived: ocsp_responder_s (a day by default) from its making */
        const left = Date.parse(x.validTo) - Date.now();
        assert.ok(left > 0 && left <= 86400e3 + 60e3, `notAfter ${x.validTo}: within a day`);
        seen.add(x.fingerprint256);
    }
    /* a pre-signed answer (no nonce) is the delegated key's too */
    const r = openssl(['ocsp', '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${good}`, '-no_nonce',
        '-url', `${HALL}/ocsp`, '-CAfile', path.join(dir, 'root.crt'), '-respout', path.join(dir, 'plain.der')]);
    assert.match(`${r.stdout}${r.stderr}`, /Response verify OK/);
    checkResponder(dir, responderCert(fs.readFileSync(path.join(dir, 'plain.der'))), 'no nonce');
    assert.ok(seen.size >= 1 && seen.size <= 4, 'one responder certificate per worker at most');
});

test('ocsp_responder__renewed_at_half_its_life__new_key_answers_verify', async (t) => {
    const op = await operator();
    const good = await issued(op);
    const gone = await issued(op);
    assert.equal((await staffRevoke(gone, 'superseded', op)).status, 200);
    const dir = tmpdir();
    await fetchPki(dir);
    /* a responder of its own: one worker, a responder certificate of 10 s */
    const conf = path.join(dir, 'hall.conf');
    fs.writeFileSync(conf, `${fs.readFileSync(process.env.HALL_CONF, 'utf8')}\nocsp_responder_s = 10\n`);
    const sock = path.join(dir, 'ocsp.sock');
    const log = fs.openSync(path.join(dir, 'ocsp.log'), 'a');
    const child = spawn(path.join(process.env.HALL_ROOT, 'modules/ocsp/hall-ocsp'),
        ['-c', conf, '-s', sock, '-w', '1'], { stdio: ['ignore', log, log], detached: true });
    t.after(() => {
        try {
            process.kill(-child.pid, 'SIGTERM');
        } catch { /* gone */ }
    });
    for (let i = 0; i < 200 && !fs.existsSync(sock); i++)
        await sleep(100);
    assert.ok(fs.existsSync(sock), fs.readFileSync(path.join(dir, 'ocsp.log'), 'utf8'));

    /* a request with a nonce about serial, answered by the module itself */
    const ask = async (serial, name) => {
        const reqFile = path.join(dir, `${name}.req`);
        const mk = openssl(['ocsp', '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`, '-reqout', reqFile]);
        assert.equal(mk.status, 0, mk.stderr);
        const res = await fcgiRequest(sock, { method: 'POST', uri: '/ocsp', contentType: 'application/ocsp-request',
            body: fs.readFileSync(reqFile) });
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], 'application/ocsp-response');
        const respFile = path.join(dir, `${name}.resp`);
        fs.writeFileSync(respFile, res.body);
        const out = readAnswer(dir, reqFile, respFile);
        assert.match(out, /Response verify OK/, `${name}: ${out}`);
        const req = openssl(['ocsp', '-reqin', reqFile, '-req_text']).stdout;
        assert.equal(nonceOf(out), nonceOf(req), `${name}: the nonce echoed`);
        return { out, cert: responderCert(res.body) };
    };
    const first = await ask(good, 'first');
    assert.match(first.out, /Cert Status: good/);
    checkResponder(dir, first.cert, 'first');
    /* its life is the configured one (notBefore is set 5 minutes back) */
    assert.equal(Date.parse(first.cert.validTo) - Date.parse(first.cert.validFrom), (300 + 10) * 1000);

    /* asked until the worker has made its next key (at half of 10 s) */
    let next = first;
    for (let i = 0; i < 60 && next.cert.fingerprint256 === first.cert.fingerprint256; i++) {
        await sleep(500);
        next = await ask(good, `again${i}`);
    }
    assert.notEqual(next.cert.fingerprint256, first.cert.fingerprint256, 'a new responder certificate');
    assert.notEqual(keyHash(next.cert), keyHash(first.cert), 'and a new key');
    assert.match(next.out, /Cert Status: good/);
    checkResponder(dir, next.cert, 'renewed');
    assert.ok(Date.parse(next.cert.validTo) > Date.parse(first.cert.validTo));
    assert.match(next.out, new RegExp(`Responder Id: ${keyHash(next.cert)}`));

    /* the renewed key answers revoked and unknown as well */
    const revoked = await ask(gone, 'revoked');
    assert.match(revoked.out, /Cert Status: revoked/);
    assert.match(revoked.out, /Revocation Reason: superseded \(0x4\)/);
    const unknown = await ask('0123456789ABCDED', 'unknown');
    assert.match(unknown.out, /Cert Status: unknown/);
    for (const a of [revoked, unknown])
        checkResponder(dir, a.cert, 'after the renewal');
    const made = fs.readFileSync(path.join(dir, 'ocsp.log'), 'utf8').match(/responder certificate made/g) || [];
    assert.ok(made.length >= 2, 'each new responder certificate is logged');
});
