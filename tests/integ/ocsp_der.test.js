'use strict';
/*
 * The OCSP answers the responder writes as DER itself (core/pki/pki.c,
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
const { operator, acceptedByTransfer, tmpdir, openssl, fetchPki, psql, staffRevoke } = require('./lib/pki');

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
