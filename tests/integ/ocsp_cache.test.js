'use strict';
/*
 * The OCSP responder's status cache (core/pki/ocsp_answer.c, HALL_PKI_OCSP_STATUS_MS;
 * sql/030_ocsp_status.sql): a worker answers an issued certificate from
 * what it read a moment ago, yet a revocation shows at once.  Every worker
 * is kept answering 'good' (so each holds a fresh cached status) while an
 * operator revokes; once one answer says revoked (the revocation has
 * committed), every request sent after it, 32 at once and in parallel with
 * and without a nonce, must say revoked too; and all sent after the
 * revocation returned.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { operator, operator2, acceptedByTransfer, tmpdir, openssl, fetchPki, ocspQuery, psql } = require('./lib/pki');

/* the CertStatus after our serial's CertID in a DER answer: the CertID ends
 * with the serial (an INTEGER: its 8 bytes, after a 00 when the first is
 * 0x80 or more) and the status follows it */
function statusOf(der, serial) {
    const needle = Buffer.from(serial, 'hex');
    const at = der.indexOf(needle);
    if (at < 0)
        return `no answer about ${serial}: ${der.toString('hex')}`;
    const tag = der[at + needle.length];
    return tag === 0x80 ? 'good' : tag === 0xa1 ? 'revoked' : tag === 0x82 ? 'unknown' : `tag ${tag}`;
}

async function ask(body, serial) {
    const r = await fetch(`${HALL}/ocsp`, {
        method: 'POST', headers: { 'Content-Type': 'application/ocsp-request' }, body,
    });
    assert.equal(r.status, 200);
    return statusOf(Buffer.from(await r.arrayBuffer()), serial);
}

test('ocsp_cache__revoked_while_every_worker_answers_good__all_answers_after_the_revocation_say_revoked', async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    const issue = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(issue.status, 200, issue.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    const dir = tmpdir();
    await fetchPki(dir);
    const reqs = [];
    for (const extra of [[], ['-no_nonce']]) {
        const f = path.join(dir, `req${reqs.length}.der`);
        const r = openssl(['ocsp', ...extra, '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`,
            '-reqout', f]);
        assert.equal(r.status, 0, r.stderr);
        reqs.push(fs.readFileSync(f));
    }

    /* four eyes: the operator's request revokes nothing, a second operator's
     * approval does (below); meanwhile every worker answers (and keeps) good */
    const ask1 = await op.post('/admin/pki/revoke', { serial, reason: 'keyCompromise' });
    assert.equal(ask1.status, 200, ask1.text);
    const op2 = await operator2();
    for (let wave = 0; wave < 3; wave++) {
        const all = await Promise.all(Array.from({ length: 16 }, (_, i) => ask(reqs[i % 2], serial)));
        assert.deepEqual(all, Array(16).fill('good'));
    }
    /* asked without a pause while the revocation runs, so that every
     * worker's cached answer is as fresh as can be when it commits; the
     * first 'revoked' proves the commit, and from then on (32 requests at
     * once, in parallel, and the loops' own) nothing may say 'good' */
    let stop = false;
    let firstRevoked = Infinity;
    let burst = null;
    const seen = [];
    const loop = async (i) => {
        while (!stop) {
            const started = performance.now();
            const status = await ask(reqs[i % 2], serial);
            seen.push({ started, status });
            if (status === 'revoked' && burst === null) {
                firstRevoked = performance.now();
                burst = Promise.all(Array.from({ length: 32 }, (_, j) => ask(reqs[j % 2], serial)));
            }
        }
    };
    const loops = [0, 1, 2, 3, 4, 5].map(loop);
    const rv = await op2.post('/admin/pki/revoke/approve', { id: ask1.body.request_id });
    const returned = performance.now();
    const after = await Promise.all(Array.from({ length: 32 }, (_, i) => ask(reqs[i % 2], serial)));
    stop = true;
    await Promise.all(loops);
    assert.equal(rv.status, 200, rv.text);
    assert.ok(burst !== null, 'a loop saw the revocation');
    assert.deepEqual(await burst, Array(32).fill('revoked'), 'asked at once after the first revoked answer');
    assert.deepEqual(after, Array(32).fill('revoked'), 'asked at once after the revocation returned');
    const late = seen.filter((s) => s.started > Math.min(firstRevoked, returned));
    assert.deepEqual(late.map((s) => s.status), Array(late.length).fill('revoked'));
    assert.ok(seen.some((s) => s.status === 'good'), 'the loops asked before the revocation committed');
    /* and `openssl ocsp` agrees: verified, revoked, the reason */
    const q = ocspQuery(dir, 'ecc', serial);
    assert.ok(q.verified, q.out);
    assert.match(q.line, /revoked/, q.out);
    assert.match(q.out, /Reason: keyCompromise/, q.out);
});
