'use strict';
/*
 * GET /sign/evidence?serial= (issue 50 §2; docs/modules/sign.md): what
 * 在线盖章 keeps in a stamp's /DSS (PAdES B-LT): the certificate the hall
 * issued under that serial, its CA and root, the OCSP signer, the TSA's
 * certificate, the root's CRL made after the request began (the TSA
 * certificate's evidence), and the hall's /ocsp answer signed for this request (a
 * nonce; asked again, another answer) that `openssl ocsp -respin`
 * verifies with the CA as issuer and the root as trust anchor: good, and
 * revoked (with its reason) once the certificate is revoked.  A missing,
 * malformed or unknown serial: the JSON message in Chinese naming the
 * field; the responder unreachable (ocsp_url a dead port): 503 in Chinese,
 * no evidence given.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { tmpdir, fetchPki, staffRevoke, openssl } = require('./lib/pki');
const { hallSeals } = require('./lib/stamp');
const { withConf, restore } = require('./lib/cutmod');

const dir = tmpdir();
const f = (name) => path.join(dir, name);
let seals;

before(async () => {
    await fetchPki(dir);
    const tsa = Buffer.from(await (await fetch(`${HALL}/pki/tsa.crt`)).arrayBuffer());
    fs.writeFileSync(f('tsa.crt'), tsa);
    seals = await hallSeals();
});

async function evidence(query) {
    const r = await fetch(`${HALL}/sign/evidence${query}`, { headers: { Accept: 'application/json' } });
    const text = await r.text();
    let body = null;
    try {
        body = JSON.parse(text);
    } catch (e) {
        /* asserted below */
    }
    return { status: r.status, type: r.headers.get('content-type') || '', body, text };
}

/* a PEM certificate as DER, base64 */
function derB64(file) {
    const pem = fs.readFileSync(file, 'utf8');
    return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}

/* openssl ocsp over the answer: { out, status } */
function ocspCheck(b64, name) {
    fs.writeFileSync(f(`${name}.ocsp`), Buffer.from(b64, 'base64'));
    const r = openssl(['ocsp', '-respin', f(`${name}.ocsp`), '-issuer', f('ecc.crt'), '-CAfile', f('root.crt'),
        '-resp_text']);
    return { out: `${r.stdout}${r.stderr}`, status: r.status };
}

test('sign_evidence__issued_serial__chain_tsa_and_an_ocsp_answer_openssl_verifies_good', async () => {
    const serial = seals.org.serial.toUpperCase();
    const asked = Date.now();
    const r = await evidence(`?serial=${serial.toLowerCase()}`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.type, /^application\/json/);
    const ev = r.body.evidence;
    assert.equal(ev.serial, serial);
    assert.equal(ev.status, 'good');
    for (const name of ['ecc.crt', 'root.crt', 'tsa.crt'])
        assert.ok(ev.certs.includes(derB64(f(name))), `${name} among the certificates`);
    /* the signer's own certificate first: its serial is the one asked */
    fs.writeFileSync(f('signer.der'), Buffer.from(ev.certs[0], 'base64'));
    const x = openssl(['x509', '-inform', 'DER', '-in', f('signer.der'), '-noout', '-serial']);
    assert.equal(x.stdout.trim(), `serial=${serial}`);
    assert.equal(ev.ocsps.length, 1);
    const o = ocspCheck(ev.ocsps[0], 'good');
    assert.equal(o.status, 0, o.out);
    assert.match(o.out, /Response verify OK/);
    assert.match(o.out, new RegExp(`Serial Number: ${serial}[\\s\\S]*Cert Status: good`));
    /* the root's CRL for the TSA's certificate (which names no responder):
     * signed by the root, made no earlier than the request (it speaks for a
     * stamp's timestamp taken before it) */
    assert.equal(ev.crls.length, 1);
    fs.writeFileSync(f('arl.der'), Buffer.from(ev.crls[0], 'base64'));
    const c = openssl(['crl', '-inform', 'DER', '-in', f('arl.der'), '-CAfile', f('root.crt'), '-noout',
        '-issuer', '-lastupdate', '-dateopt', 'iso_8601']);
    assert.equal(c.status, 0, c.stderr);
    assert.match(`${c.stdout}${c.stderr}`, /verify OK/);
    assert.match(c.stdout, /issuer=.*Hall Demo Root CA/);
    const made = Date.parse(c.stdout.match(/lastUpdate=(.*)/)[1].replace(' ', 'T'));
    assert.ok(made >= Math.floor(asked / 1000) * 1000, `${c.stdout} asked at ${new Date(asked).toISOString()}`);
    /* signed for this request (a nonce), not an answer kept from before the
     * stamp: asked again, another answer */
    assert.match(o.out, /OCSP Nonce:/);
    const again = await evidence(`?serial=${serial}`);
    assert.equal(again.status, 200, again.text);
    assert.notEqual(again.body.evidence.ocsps[0], ev.ocsps[0]);
});

test('sign_evidence__revoked_serial__the_answer_says_revoked_with_its_reason', async () => {
    const serial = seals.org_business.serial.toUpperCase();
    assert.equal((await staffRevoke(serial, 'keyCompromise')).status, 200);
    const r = await evidence(`?serial=${serial}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.evidence.status, 'revoked');
    const o = ocspCheck(r.body.evidence.ocsps[0], 'revoked');
    assert.equal(o.status, 0, o.out);
    assert.match(o.out, /Response verify OK/);
    assert.match(o.out, /Cert Status: revoked[\s\S]*Revocation Reason: keyCompromise/);
});

test('sign_evidence__missing_malformed_or_unknown_serial__json_in_chinese_naming_the_field', async () => {
    const cases = [
        ['', 400, /请提供签章人证书的序列号/],
        ['?serial=', 400, /请提供签章人证书的序列号/],
        [`?serial=${encodeURIComponent("x' OR 1=1")}`, 400, /证书序列号格式不正确/],
        ['?serial=ABCDEF', 400, /证书序列号格式不正确/],
        ['?serial=0123456789ABCDEF0', 400, /证书序列号格式不正确/],
        ['?serial=0023456789ABCDEF', 400, /证书序列号格式不正确/], /* a zero first byte: never the hall's */
        /* a first byte under 0x10 is one of the hall's serials (one in 16
         * certificates): looked up, not refused */
        ['?serial=0B23456789ABCDEF', 404, /网上营业厅未签发该序列号的证书/],
        ['?serial=7FFFFFFFFFFFFFF1', 404, /网上营业厅未签发该序列号的证书/],
    ];
    for (const [q, status, re] of cases) {
        const r = await evidence(q);
        assert.equal(r.status, status, `${q}: ${r.text}`);
        assert.match(r.type, /^application\/json/, q);
        assert.equal(r.body.ok, false, q);
        assert.equal(r.body.field, 'serial', q);
        assert.match(r.body.message, re, q);
    }
});

test('sign_evidence__ocsp_responder_unreachable__503_in_chinese_no_evidence', { skip: !process.env.HALL_VAR }, async () => {
    await withConf('sign', (text) => `${text}\nocsp_url = http://127.0.0.1:9/ocsp\n`);
    try {
        const r = await evidence(`?serial=${seals.org.serial.toUpperCase()}`);
        assert.equal(r.status, 503, r.text);
        assert.match(r.type, /^application\/json/);
        assert.equal(r.body.ok, false);
        assert.equal(r.body.message, '吊销状态服务暂时无法应答，请稍后再试');
        assert.equal(r.body.evidence, undefined);
    } finally {
        restore();
    }
    /* the module's own program again: the certificate's /ocsp */
    assert.equal((await evidence(`?serial=${seals.org.serial.toUpperCase()}`)).status, 200);
});
