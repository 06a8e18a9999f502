'use strict';
/*
 * The timestamp authority (modules/tsa, core/pki/tsa_reply.c; docs/modules/tsa.md)
 * through nginx: `openssl ts -query` POSTed to /tsa, the reply checked by
 * `openssl ts -verify` against the root published at /pki/; the nonce
 * echoed, serials unique, certReq honoured; every malformed request a 200
 * TimeStampResp with status rejection and its PKIFailureInfo; the TSA's
 * certificate (critical extendedKeyUsage timeStamping, nothing else).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { HALL } = require('./lib/client');
const { tmpdir, openssl } = require('./lib/pki');

const POLICY = '2.999.41.1';

async function setup() {
    const dir = tmpdir();
    const idx = await (await fetch(`${HALL}/pki/`)).json();
    const tsa = idx.services.find((s) => s.name === 'tsa');
    assert.ok(tsa, JSON.stringify(idx));
    for (const [name, u] of [['root', idx.root], ['tsa', tsa.cert]]) {
        const r = await fetch(HALL + u);
        assert.equal(r.status, 200, u);
        fs.writeFileSync(path.join(dir, `${name}.crt`), Buffer.from(await r.arrayBuffer()));
    }
    fs.writeFileSync(path.join(dir, 'doc.txt'), `a document to stamp ${crypto.randomUUID()}\n`);
    return { dir, tsa };
}

async function post(body, type = 'application/timestamp-query') {
    const r = await fetch(`${HALL}/tsa`, { method: 'POST', body, headers: { 'Content-Type': type } });
    return { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
}

/* openssl ts -query over doc.txt; the DER request */
function query(dir, extra = ['-cert']) {
    const out = path.join(dir, `q${crypto.randomUUID()}.tsq`);
    const r = openssl(['ts', '-query', '-data', path.join(dir, 'doc.txt'), '-sha256', ...extra, '-out', out]);
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(out);
}

function text(dir, reply) {
    const f = path.join(dir, `r${crypto.randomUUID()}.tsr`);
    fs.writeFileSync(f, reply);
    const r = openssl(['ts', '-reply', '-in', f, '-text']);
    return { file: f, text: `${r.stdout}${r.stderr}` };
}

/* ---- DER by hand: requests OpenSSL would not write ---------------------- */
function tlv(tag, ...parts) {
    const body = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
    const n = body.length;
    const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
    return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const SHA256 = tlv(0x06, [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]);
const SHA1 = tlv(0x06, [0x2b, 0x0e, 0x03, 0x02, 0x1a]);
const UNKNOWN = tlv(0x06, [0x2a, 0x03, 0x04, 0x05]); /* 1.2.3.4.5 */
const NULLP = Buffer.from([0x05, 0x00]);

function tsq({ version = 1, alg = SHA256, len = 32, policy = null, nonce = true, certReq = true, ext = null } = {}) {
    const parts = [tlv(0x02, [version]),
        tlv(0x30, tlv(0x30, alg, NULLP), tlv(0x04, crypto.randomBytes(len)))];
    if (policy)
        parts.push(policy);
    if (nonce)
        parts.push(tlv(0x02, [0x01, ...crypto.randomBytes(7)]));
    if (certReq)
        parts.push(tlv(0x01, [0xff]));
    if (ext)
        parts.push(ext);
    return tlv(0x30, ...parts);
}

/* PKIStatusInfo of a TimeStampResp: status and the failure info's bytes */
function statusOf(der) {
    assert.equal(der[0], 0x30);
    let i = der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2;
    assert.equal(der[i], 0x30, 'PKIStatusInfo');
    const end = i + 2 + der[i + 1];
    i += 2;
    assert.equal(der[i], 0x02);
    const status = der[i + 2];
    i += 2 + der[i + 1];
    let fail = null;
    while (i < end) {
        if (der[i] === 0x03)
            fail = der.subarray(i, i + 2 + der[i + 1]).toString('hex');
        i += 2 + der[i + 1];
    }
    return { status, fail };
}

test('tsa__openssl_query_post_verify__nonce_echoed_policy_accuracy_ess_cert_v2', async () => {
    const { dir } = await setup();
    const q = query(dir);
    const r = await post(q);
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/timestamp-reply');
    const { file, text: t } = text(dir, r.body);
    assert.match(t, /Status: Granted\./, t);
    assert.match(t, new RegExp(`Policy OID: ${POLICY.replace(/\./g, '\\.')}`), t);
    assert.match(t, /Accuracy: 0x01 seconds, unspecified millis, unspecified micros/, t);
    assert.match(t, /Ordering: no/, t);
    assert.match(t, /Hash Algorithm: sha256/, t);
    assert.match(t, /TSA: DirName:.*Hall Demo Time Stamping Authority/, t);
    /* genTime with milliseconds, within a few seconds of now */
    const gt = t.match(/Time stamp: (.*)/)[1];
    assert.ok(Math.abs(Date.parse(gt) - Date.now()) < 60000, gt);
    const qf = path.join(dir, 'q.tsq');
    fs.writeFileSync(qf, q);
    const nonceOf = (s) => (s.match(/Nonce: (0x[0-9A-F]+)/) || [])[1];
    const qt = openssl(['ts', '-query', '-in', qf, '-text']).stdout;
    assert.ok(nonceOf(qt), qt);
    assert.equal(nonceOf(t), nonceOf(qt));
    /* the published root is all a verifier needs: the reply carries tsa.crt */
    const v = openssl(['ts', '-verify', '-in', file, '-data', path.join(dir, 'doc.txt'),
        '-CAfile', path.join(dir, 'root.crt')]);
    assert.match(`${v.stdout}${v.stderr}`, /Verification: OK/, v.stderr);
    const vq = openssl(['ts', '-verify', '-in', file, '-queryfile', qf, '-CAfile', path.join(dir, 'root.crt')]);
    assert.match(`${vq.stdout}${vq.stderr}`, /Verification: OK/, vq.stderr);
    /* another document's data fails */
    fs.writeFileSync(path.join(dir, 'other.txt'), 'another document\n');
    const bad = openssl(['ts', '-verify', '-in', file, '-data', path.join(dir, 'other.txt'),
        '-CAfile', path.join(dir, 'root.crt')]);
    assert.doesNotMatch(`${bad.stdout}`, /Verification: OK/);
    /* the signer's certificate named by ESSCertIDv2 (signing-certificate-v2) */
    const tok = path.join(dir, 'tok.der');
    assert.equal(openssl(['ts', '-reply', '-in', file, '-token_out', '-out', tok]).status, 0);
    const cms = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', tok]).stdout;
    assert.match(cms, /id-smime-aa-signingCertificateV2/, cms);
    assert.match(cms, /ecdsa-with-SHA256/, cms);
});

test('tsa__two_replies__different_serials', async () => {
    const { dir } = await setup();
    const q = query(dir);
    const serials = [];
    for (let i = 0; i < 3; i++) {
        const t = text(dir, (await post(q)).body).text;
        serials.push(t.match(/Serial number: (0x[0-9A-F]+)/)[1]);
    }
    assert.equal(new Set(serials).size, 3, serials.join(' '));
    for (const s of serials)
        assert.match(s, /^0x01[0-9A-F]{32}$/, `128 random bits after 01: ${s}`);
});

test('tsa__certReq_false__no_certificate_verifies_with_tsa_crt_untrusted', async () => {
    const { dir } = await setup();
    const r = await post(query(dir, []));
    assert.equal(r.status, 200);
    const { file, text: t } = text(dir, r.body);
    assert.match(t, /Status: Granted\./, t);
    const tok = path.join(dir, 'tok.der');
    assert.equal(openssl(['ts', '-reply', '-in', file, '-token_out', '-out', tok]).status, 0);
    const certs = openssl(['pkcs7', '-inform', 'DER', '-in', tok, '-print_certs']);
    assert.doesNotMatch(certs.stdout, /BEGIN CERTIFICATE|subject=/, certs.stdout);
    const noCert = openssl(['ts', '-verify', '-in', file, '-data', path.join(dir, 'doc.txt'),
        '-CAfile', path.join(dir, 'root.crt')]);
    assert.doesNotMatch(noCert.stdout, /Verification: OK/, 'nothing to verify with');
    const v = openssl(['ts', '-verify', '-in', file, '-data', path.join(dir, 'doc.txt'),
        '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'tsa.crt')]);
    assert.match(`${v.stdout}${v.stderr}`, /Verification: OK/, v.stderr);
    /* and with certReq, the one certificate: the TSA's */
    const withCert = await post(query(dir));
    const tok2 = path.join(dir, 'tok2.der');
    assert.equal(openssl(['ts', '-reply', '-in', text(dir, withCert.body).file, '-token_out', '-out', tok2]).status, 0);
    const c2 = openssl(['pkcs7', '-inform', 'DER', '-in', tok2, '-print_certs']).stdout;
    assert.equal((c2.match(/subject=/g) || []).length, 1, c2);
    assert.match(c2, /Hall Demo Time Stamping Authority/);
});

/* the failure info's BIT STRING bytes (RFC 3161 2.4.2, DER named bits) */
const BAD_ALG = '03020780';
const BAD_REQUEST = '03020520';
const BAD_DATA_FORMAT = '03020204';
const UNACCEPTED_POLICY = '0303000001';
const UNACCEPTED_EXTENSION = '030407000080';

test('tsa__malformed_requests__200_rejection_with_failure_info', async () => {
    const { dir } = await setup();
    const good = tsq();
    const ext = tlv(0xa0, tlv(0x30, tlv(0x06, [0x2a, 0x03, 0x04, 0x06]), tlv(0x04, [0x05, 0x00])));
    const cases = [
        ['garbage', Buffer.from('hello, timestamp'), BAD_DATA_FORMAT, /wrong format/],
        ['empty', Buffer.alloc(0), BAD_DATA_FORMAT, /wrong format/],
        ['truncated', good.subarray(0, good.length - 3), BAD_DATA_FORMAT, /wrong format/],
        ['trailing byte', Buffer.concat([good, Buffer.from([0])]), BAD_DATA_FORMAT, /wrong format/],
        ['BER length', Buffer.concat([Buffer.from([0x30, 0x81, good[1]]), good.subarray(2)]), BAD_DATA_FORMAT, /wrong format/],
        ['too long', Buffer.alloc(5000, 0x30), BAD_DATA_FORMAT, /wrong format/],
        ['version 2', tsq({ version: 2 }), BAD_REQUEST, /not permitted or supported/],
        ['unknown hash algorithm', tsq({ alg: UNKNOWN }), BAD_ALG, /unsupported algorithm/],
        ['SHA-1', tsq({ alg: SHA1, len: 20 }), BAD_ALG, /unsupported algorithm/],
        ['imprint 31 bytes for SHA-256', tsq({ len: 31 }), BAD_DATA_FORMAT, /wrong format/],
        ['another policy', tsq({ policy: tlv(0x06, [0x2a, 0x03, 0x04, 0x07]) }), UNACCEPTED_POLICY, /policy is not supported/],
        ['an extension', tsq({ ext }), UNACCEPTED_EXTENSION, /extension is not supported/],
    ];
    for (const [what, body, fail, re] of cases) {
        const r = await post(body);
        assert.equal(r.status, 200, what);
        assert.equal(r.type, 'application/timestamp-reply', what);
        const s = statusOf(r.body);
        assert.equal(s.status, 2, `${what}: rejection`);
        assert.equal(s.fail, fail, what);
        const t = text(dir, r.body).text;
        assert.match(t, /Status: Rejected\./, `${what}: ${t}`);
        assert.match(t, re, `${what}: ${t}`);
        assert.match(t, /TST info:\s*\nNot included\./, what);
    }
    /* the same built by hand, well formed: granted */
    const ok = statusOf((await post(good)).body);
    assert.equal(ok.status, 0);
    assert.equal(ok.fail, null);
    /* the policy we serve, named: granted */
    const named = tsq({ policy: tlv(0x06, [0x88, 0x37, 0x29, 0x01]) });
    assert.equal(statusOf((await post(named)).body).status, 0, 'policy 2.999.41.1 named');
});

test('tsa__wrong_method_or_content_type__clear_answers', async () => {
    const { dir } = await setup();
    const q = query(dir);
    const t = await post(q, 'application/octet-stream');
    assert.equal(t.status, 415);
    assert.match(t.body.toString(), /timestamp-query/);
    const g = await fetch(`${HALL}/tsa`);
    assert.equal(g.status, 405);
    /* a content type's parameters are no reason to refuse */
    assert.equal(statusOf((await post(q, 'application/timestamp-query; charset=binary')).body).status, 0);
});

test('tsa__certificate__critical_eku_timestamping_only_under_root', async () => {
    const { dir } = await setup();
    const crt = path.join(dir, 'tsa.crt');
    const e = openssl(['x509', '-in', crt, '-noout', '-ext', 'extendedKeyUsage,keyUsage,basicConstraints']).stdout;
    assert.match(e, /X509v3 Extended Key Usage: critical\s*\n\s*Time Stamping\s*\n/, e);
    assert.match(e, /X509v3 Basic Constraints: critical\s*\n\s*CA:FALSE/, e);
    assert.match(e, /X509v3 Key Usage: critical\s*\n\s*Digital Signature, Non Repudiation/, e);
    const v = openssl(['verify', '-purpose', 'timestampsign', '-CAfile', path.join(dir, 'root.crt'), crt]);
    assert.equal(v.status, 0, v.stderr);
    const pk = openssl(['x509', '-in', crt, '-noout', '-text']).stdout;
    assert.match(pk, /ASN1 OID: prime256v1/, pk);
});
