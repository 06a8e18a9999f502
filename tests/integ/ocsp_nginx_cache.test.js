'use strict';
/*
 * nginx's cache of OCSP answers (docs/modules/ocsp.md, "nginx's cache";
 * nginx/hall.conf.in): nginx answers a question it was asked before (a
 * GET's URL, a POST's body) with the answer it kept, for ocsp_cache_s at
 * most (5 s in the test hall, script/test); a request with a nonce always
 * reaches the responder and gets its nonce back; a revocation through the
 * hall empties the cache at its commit, so POST and GET say revoked at
 * once; a revocation the cache is not told of (plain SQL) shows within the
 * stated bound.  The cache leaves no header of its own on the answers.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { operator, operator2, acceptedByTransfer, tmpdir, openssl, fetchPki, psql } = require('./lib/pki');

/* the bound of the test hall (hall.conf's ocsp_cache_s, script/test) */
const BOUND_S = Number((fs.readFileSync(path.join(process.env.HALL_VAR, 'hall.conf'), 'utf8')
    .match(/^ocsp_cache_s\s*=\s*(\d+)/m) || [])[1] || 60);

/* the CertStatus after the serial in a DER answer (as ocsp_cache.test.js) */
function statusOf(der, serial) {
    const needle = Buffer.from(serial, 'hex');
    const at = der.indexOf(needle);
    if (at < 0)
        return `no answer about ${serial}`;
    const tag = der[at + needle.length];
    return tag === 0x80 ? 'good' : tag === 0xa1 ? 'revoked' : tag === 0x82 ? 'unknown' : `tag ${tag}`;
}

/* the nonce (hex) of a request or an answer file, as openssl prints it */
function nonceOf(dir, der, kind) {
    const f = path.join(dir, `nonce-${kind}.der`);
    fs.writeFileSync(f, der);
    const r = openssl(['ocsp', kind === 'req' ? '-reqin' : '-respin', f,
        kind === 'req' ? '-req_text' : '-resp_text', ...(kind === 'req' ? [] : ['-noverify'])]);
    const m = r.stdout.match(/OCSP Nonce:\s*\n\s*([0-9A-Fa-f]+)/);
    return m ? m[1].toUpperCase() : null;
}

async function issued() {
    const op = await operator();
    const o = await acceptedByTransfer();
    const issue = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(issue.status, 200, issue.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    return { op, serial };
}

function requests(dir, serial) {
    const out = {};
    for (const [name, extra] of [['nonce', []], ['post', ['-no_nonce']]]) {
        const f = path.join(dir, `${serial}-${name}.der`);
        const r = openssl(['ocsp', ...extra, '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`,
            '-reqout', f]);
        assert.equal(r.status, 0, r.stderr);
        out[name] = fs.readFileSync(f);
    }
    out.get = encodeURIComponent(out.post.toString('base64'));
    return out;
}

async function ask(form, reqs) {
    const r = form === 'get'
        ? await fetch(`${HALL}/ocsp/${reqs.get}`)
        : await fetch(`${HALL}/ocsp`, {
            method: 'POST', headers: { 'Content-Type': 'application/ocsp-request' },
            body: form === 'nonce' ? reqs.nonce : reqs.post,
        });
    assert.equal(r.status, 200, `${form}: HTTP ${r.status}`);
    assert.equal(r.headers.get('x-accel-expires'), null, 'nginx keeps its own header');
    assert.equal(r.headers.get('content-type'), 'application/ocsp-response');
    return Buffer.from(await r.arrayBuffer());
}

test('ocsp_nginx_cache__kept_answers_within_the_bound__nonce_always_fresh__revocation_empties_it', async () => {
    assert.ok(BOUND_S > 0 && BOUND_S <= 10, `the test hall's ocsp_cache_s (${BOUND_S})`);
    const dir = tmpdir();
    await fetchPki(dir);

    /* 1. a revocation the cache is not told of: plain SQL */
    const a = await issued();
    const ra = requests(dir, a.serial);
    const kept = { post: await ask('post', ra), get: await ask('get', ra) };
    assert.equal(statusOf(kept.post, a.serial), 'good');
    assert.equal(statusOf(kept.get, a.serial), 'good');
    const keptAt = Date.now();
    psql(`UPDATE certificates SET state = 'revoked', revoked_at = now(), revoke_reason = 1,
        revoked_by = 'ocsp_nginx_cache.test' WHERE serial = '${a.serial}' AND state = 'issued'`);
    const revokedAt = Date.now();
    /* the responder's own status cache lives 500 ms */
    await new Promise((r) => setTimeout(r, 700));
    /* a nonce reaches the responder: revoked, its own nonce echoed */
    for (let i = 0; i < 3; i++) {
        const n = await ask('nonce', ra);
        assert.equal(statusOf(n, a.serial), 'revoked', 'a nonce is answered by the responder');
        const want = nonceOf(dir, ra.nonce, 'req');
        assert.ok(want, 'the request has a nonce');
        assert.equal(nonceOf(dir, n, 'resp'), want, 'the nonce echoed');
    }
    /* the same question without a nonce: the answer kept, byte for byte,
     * while it lives (asked well within the bound of its keeping) */
    const early = { post: await ask('post', ra), get: await ask('get', ra) };
    assert.ok(Date.now() - keptAt < BOUND_S * 1000 - 1000, 'asked while the kept answers live');
    assert.deepEqual(early.post, kept.post, 'POST: the kept answer');
    assert.deepEqual(early.get, kept.get, 'GET: the kept answer');
    /* ... and revoked within the bound, by POST and by GET */
    const seen = {};
    while (Object.keys(seen).length < 2 && Date.now() - revokedAt < (BOUND_S + 3) * 1000) {
        for (const form of ['post', 'get']) {
            if (!seen[form] && statusOf(await ask(form, ra), a.serial) === 'revoked')
                seen[form] = Date.now() - revokedAt;
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    for (const form of ['post', 'get']) {
        assert.ok(seen[form] !== undefined, `${form}: revoked within ${BOUND_S + 3} s`);
        assert.ok(seen[form] <= (BOUND_S + 1) * 1000 + 500, `${form}: revoked after ${seen[form]} ms`);
    }

    /* 2. a revocation through the hall (four eyes): kept answers, then
     * revoked at once by POST and by GET once the approval returned */
    const b = await issued();
    const rb = requests(dir, b.serial);
    assert.equal(statusOf(await ask('post', rb), b.serial), 'good');
    assert.equal(statusOf(await ask('get', rb), b.serial), 'good');
    const keptB = Date.now();
    const asked = await b.op.post('/admin/pki/revoke', { serial: b.serial, reason: 'keyCompromise' });
    assert.equal(asked.status, 200, asked.text);
    const op2 = await operator2();
    const rv = await op2.post('/admin/pki/revoke/approve', { id: asked.body.request_id });
    assert.equal(rv.status, 200, rv.text);
    const post = await ask('post', rb);
    const get = await ask('get', rb);
    assert.ok(Date.now() - keptB < BOUND_S * 1000 - 500, 'asked while the kept answers would live');
    assert.equal(statusOf(post, b.serial), 'revoked', 'POST at once');
    assert.equal(statusOf(get, b.serial), 'revoked', 'GET at once');
});
