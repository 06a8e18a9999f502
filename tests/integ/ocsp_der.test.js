'use strict';
/*
 * The OCSP answers the responder writes as DER itself (core/pki/ocsp_answer.c,
 * hall_pki_ocsp_answer): one request about several certificates (good,
 * revoked with its reason and time, unknown), with SHA-1 and SHA-256
 * CertIDs, with and without a nonce, parsed and verified by `openssl ocsp`
 * against the published chain; the nonce echoed byte for byte.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { HALL } = require('./lib/client');
const {
    operator, acceptedByTransfer, tmpdir, openssl, fetchPki, psql, staffRevoke, derNode, derChildren, basicOfOcsp,
} = require('./lib/pki');

async function issued(op) {
    const o = await acceptedByTransfer();
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    return psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
}

/* openssl ocsp about serials (each 0x...), through the hall */
function query(dir, serials, extra = []) {
    const args = ['ocsp', ...extra, '-issuer', path.join(dir, 'ecc.crt')];
    for (const s of serials)
        args.push('-serial', `0x${s}`);
    args.push('-url', `${HALL}/ocsp`, '-CAfile', path.join(dir, 'root.crt'), '-resp_text',
        '-respout', path.join(dir, 'resp.der'), '-reqout', path.join(dir, 'req.der'));
    const r = openssl(args);
    return `${r.stdout}\n${r.stderr}`;
}

test('ocsp_der__several_certificates_good_revoked_unknown__sha1_sha256__nonce__verify_ok', async () => {
    const op = await operator();
    const good = await issued(op);
    const gone = await issued(op);
    const rv = await staffRevoke(gone, 'superseded', op);
    assert.equal(rv.status, 200, rv.text);
    const unknown = '0123456789ABCDEE';
    const dir = tmpdir();
    await fetchPki(dir);

    for (const extra of [[], ['-sha256'], ['-no_nonce'], ['-no_nonce', '-sha256']]) {
        const out = query(dir, [good, gone, unknown], extra);
        const what = extra.join(' ') || 'sha1, nonce';
        assert.match(out, /Response verify OK/, `${what}: ${out}`);
        assert.match(out, new RegExp(`0x${good}: good`), what);
        assert.match(out, new RegExp(`0x${gone}: revoked`), what);
        assert.match(out, new RegExp(`0x${unknown}: unknown`), what);
        assert.match(out, /Revocation Reason: superseded \(0x4\)/, what);
        assert.match(out, /Responder Id: [0-9A-F]{40}/, what);
        assert.match(out, extra.includes('-sha256') ? /Hash Algorithm: sha256/ : /Hash Algorithm: sha1/, what);
        assert.doesNotMatch(out, /WARNING: no nonce in response/, what);
        if (!extra.includes('-no_nonce')) {
            /* the request's nonce extension, as the answer carries it */
            const nonce = (s) => (s.match(/OCSP Nonce:\s*\n\s*([0-9A-F]+)/) || [])[1];
            const req = openssl(['ocsp', '-reqin', path.join(dir, 'req.der'), '-req_text']).stdout;
            assert.ok(nonce(req), req);
            assert.equal(nonce(out), nonce(req), what);
        } else {
            assert.doesNotMatch(out, /OCSP Nonce/, what);
        }
    }
    /* the revocation time is the one the database holds, to the second
     * (cut, not rounded up: a bigint cast of the epoch had it up to half a
     * second later than the revocation) */
    const at = psql(`SELECT to_char(revoked_at AT TIME ZONE 'UTC', 'Mon FMDD HH24:MI:SS YYYY')
        FROM certificates WHERE serial = '${gone}'`);
    const out = query(dir, [gone]);
    assert.ok(out.replace(/ +/g, ' ').includes(`Revocation Time: ${at.replace(/ +/g, ' ')} GMT`), `${at}\n${out}`);
    assert.ok(fs.statSync(path.join(dir, 'resp.der')).size > 0);
});

/* the CertID an answer carries, as bytes: BasicOCSPResponse > tbs > responses > first > CertID */
function answeredCertId(der) {
    const basic = basicOfOcsp(der);
    const [tbs] = derChildren(derNode(basic, 0), basic);
    const responses = derChildren(tbs, basic).find((n) => n.tag === 0x30);
    const single = derChildren(responses, basic)[0];
    return Buffer.from(derChildren(single, basic)[0].raw);
}

test('ocsp_der__each_answer_repeats_its_request_s_certid_byte_for_byte__sha1_parameters_null_or_absent__reused_answers_too', async () => {
    const op = await operator();
    const good = await issued(op);
    const dir = tmpdir();
    await fetchPki(dir);
    const f = path.join(dir, 'null.der');
    const r = openssl(['ocsp', '-no_nonce', '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${good}`,
        '-reqout', f]);
    assert.equal(r.status, 0, r.stderr);
    /* OpenSSL writes SHA-1's AlgorithmIdentifier with NULL parameters
     * (30 09 06 05 2b0e03021a 05 00); other clients leave them out
     * (30 07 ...): the same request without them, five lengths shorter */
    const withNull = fs.readFileSync(f);
    for (const at of [0, 2, 4, 6, 8, 10])
        assert.ok(withNull[at] === 0x30 && withNull[at + 1] < 0x80, `a short SEQUENCE at ${at}`);
    assert.equal(withNull.subarray(10, 21).toString('hex'), '300906052b0e03021a0500');
    const absent = Buffer.concat([withNull.subarray(0, 19), withNull.subarray(21)]);
    for (const at of [1, 3, 5, 7, 9, 11])
        absent[at] -= 2;
    const certIdOf = (req) => Buffer.from(derNode(req, 8).raw);
    /* each asked twice, in turn: the second answer of each is the one the
     * worker signed first and reuses (no nonce) */
    for (let round = 0; round < 3; round++)
        for (const req of [withNull, absent]) {
            const res = await fetch(`${HALL}/ocsp`, {
                method: 'POST', headers: { 'Content-Type': 'application/ocsp-request' }, body: req,
            });
            assert.equal(res.status, 200);
            const der = Buffer.from(await res.arrayBuffer());
            assert.equal(answeredCertId(der).toString('hex'), certIdOf(req).toString('hex'),
                `round ${round}, parameters ${req === absent ? 'absent' : 'NULL'}`);
        }
    /* and openssl reads the answer to the request without them as good */
    const res = await fetch(`${HALL}/ocsp`, {
        method: 'POST', headers: { 'Content-Type': 'application/ocsp-request' }, body: absent,
    });
    fs.writeFileSync(path.join(dir, 'absent.resp'), Buffer.from(await res.arrayBuffer()));
    const out = openssl(['ocsp', '-respin', path.join(dir, 'absent.resp'), '-resp_text', '-noverify']).stdout;
    assert.match(out, /Cert Status: good/, out);
});
