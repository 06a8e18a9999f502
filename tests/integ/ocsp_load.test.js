'use strict';
/*
 * A revocation under load (docs/modules/ocsp.md, "Status cache" and
 * "Signed once, reused"): 32 clients ask /ocsp through nginx about one
 * certificate, without a pause, by POST, by GET and by POST with a nonce,
 * while operators revoke it (one asks, the other approves).  Every worker
 * holds a fresh cached status and a pre-signed answer when the revocation commits, yet no answer made
 * after the commit says good, and every answer asked after the revocation
 * returned says revoked, with the time and reason the database holds.  The
 * GET answer HTTP caches may keep (RFC 5019 6.2: Cache-Control max-age,
 * ETag, Last-Modified, Expires) is not answered again after the revocation.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { operator, operator2, acceptedByTransfer, tmpdir, openssl, fetchPki, psql, derNode, derChildren, basicOfOcsp } =
    require('./lib/pki');

const CLIENTS = 32;

/* GeneralizedTime YYYYMMDDHHMMSSZ -> ms since the epoch */
function gtime(node) {
    const s = node.body.toString('latin1');
    assert.match(s, /^\d{14}Z$/, `a GeneralizedTime: ${s}`);
    return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12),
        +s.slice(12, 14));
}

/* an OCSPResponse about one certificate: its status and times (RFC 6960 4.2.1) */
function parse(der) {
    const basic = basicOfOcsp(der);
    const tbs = derChildren(derNode(basic, 0), basic)[0];
    const kids = derChildren(tbs, basic);
    const at = kids[0].tag === 0xa0 ? 1 : 0; /* an explicit version, none here */
    const producedAt = gtime(kids[at + 1]);
    const singles = derChildren(kids[at + 2], basic);
    assert.equal(singles.length, 1, 'one SingleResponse');
    const [, st, thisUpd, next] = derChildren(singles[0], basic);
    const out = { producedAt, thisUpdate: gtime(thisUpd), nextUpdate: gtime(derChildren(next, basic)[0]) };
    if (st.tag === 0x80)
        out.status = 'good';
    else if (st.tag === 0x82)
        out.status = 'unknown';
    else if (st.tag === 0xa1) {
        const r = derChildren(st, basic);
        out.status = 'revoked';
        out.revokedAt = gtime(r[0]);
        out.reason = r[1] ? derChildren(r[1], basic)[0].body[0] : null;
    } else
        out.status = `tag ${st.tag}`;
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
    const der = Buffer.from(await r.arrayBuffer());
    return { der, headers: r.headers, ...parse(der) };
}

test('ocsp_load__32_clients_post_get_nonce_while_revoked__no_good_after_the_commit_every_later_answer_revoked', async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    const issue = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(issue.status, 200, issue.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    const dir = tmpdir();
    await fetchPki(dir);
    const made = {};
    for (const [name, extra] of [['nonce', []], ['post', ['-no_nonce']]]) {
        const f = path.join(dir, `${name}.der`);
        const r = openssl(['ocsp', ...extra, '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`,
            '-reqout', f]);
        assert.equal(r.status, 0, r.stderr);
        made[name] = fs.readFileSync(f);
    }
    const reqs = { ...made, get: encodeURIComponent(made.post.toString('base64')) };
    const forms = ['post', 'get', 'nonce'];

    /* every worker answers good and holds its signed answers */
    let cachedGet = null;
    for (let wave = 0; wave < 3; wave++) {
        const all = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => ask(forms[i % 3], reqs)));
        assert.deepEqual(all.map((a) => a.status), Array(CLIENTS).fill('good'));
        cachedGet = all[1];
    }
    /* the GET answer HTTP caches may keep, as RFC 5019 6.2 says */
    const cc = cachedGet.headers.get('cache-control') || '';
    const maxAge = +(cc.match(/max-age=(\d+)/) || [])[1];
    assert.ok(maxAge > 0 && maxAge <= 3600, `Cache-Control: ${cc}`);
    assert.match(cc, /public/);
    assert.match(cachedGet.headers.get('etag') || '', /^"[0-9a-f]{32}"$/);
    assert.equal(Date.parse(cachedGet.headers.get('last-modified')), cachedGet.thisUpdate);
    assert.equal(Date.parse(cachedGet.headers.get('expires')), cachedGet.nextUpdate);
    assert.ok(cachedGet.nextUpdate - Date.now() > maxAge * 1000, 'kept no longer than the answer stands');

    /* four eyes: operator asks now, operator2's approval is the revocation */
    const asked = await op.post('/admin/pki/revoke', { serial, reason: 'keyCompromise' });
    assert.equal(asked.status, 200, asked.text);
    const op2 = await operator2();
    /* 32 clients without a pause; the revocation in the middle */
    let stop = false;
    const seen = [];
    const loop = async (i) => {
        while (!stop) {
            const started = Date.now();
            const a = await ask(forms[i % 3], reqs);
            seen.push({ form: forms[i % 3], started, ended: Date.now(), ...a, der: null, headers: null });
        }
    };
    const loops = Array.from({ length: CLIENTS }, (_, i) => loop(i));
    await new Promise((r) => setTimeout(r, 300));
    const revoking = Date.now();
    const rv = await op2.post('/admin/pki/revoke/approve', { id: asked.body.request_id });
    const returned = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(loops);
    assert.equal(rv.status, 200, rv.text);
    const revokedAt = Number(psql(`SELECT floor(extract(epoch FROM revoked_at) * 1000)::bigint
        FROM certificates WHERE serial = '${serial}' AND state = 'revoked'`));
    assert.ok(revokedAt >= revoking - 1000 && revokedAt <= returned + 1000, `revoked_at ${revokedAt}`);

    const before = seen.filter((s) => s.ended < revoking);
    const after = seen.filter((s) => s.started > returned);
    for (const form of forms) {
        assert.ok(before.some((s) => s.form === form && s.status === 'good'), `${form}: good before`);
        assert.ok(after.filter((s) => s.form === form).length >= 10, `${form}: asked after the revocation`);
    }
    /* asked after the revocation returned: revoked, every one, in every form */
    const late = after.filter((s) => s.status !== 'revoked');
    assert.deepEqual(late.map((s) => `${s.form} ${s.status} at +${s.started - returned} ms`), [],
        `${late.length} of ${after.length} answers asked after the revocation returned`);
    for (const s of seen) {
        assert.ok(s.status === 'good' || s.status === 'revoked', s.status);
        if (s.status === 'good') {
            /* no good made after the commit (which is before `returned`;
             * the answer's times are whole seconds, cut) */
            assert.ok(s.thisUpdate <= returned && s.producedAt <= returned,
                `${s.form} good with thisUpdate ${new Date(s.thisUpdate).toISOString()}, producedAt `
                + `${new Date(s.producedAt).toISOString()}, after the revocation returned at `
                + `${new Date(returned).toISOString()}`);
        } else {
            /* revoked: the database's time (to the second, cut) and reason */
            assert.equal(s.revokedAt, Math.floor(revokedAt / 1000) * 1000, s.form);
            assert.equal(s.reason, 1, `${s.form}: keyCompromise`);
            assert.ok(s.thisUpdate >= s.revokedAt, s.form);
        }
    }

    /* the GET answer signed before is not answered again: new bytes, a new
     * ETag, revoked */
    const again = await ask('get', reqs);
    assert.equal(again.status, 'revoked');
    assert.notDeepEqual(again.der, cachedGet.der);
    assert.notEqual(again.headers.get('etag'), cachedGet.headers.get('etag'));
    assert.ok(again.thisUpdate >= Math.floor(revokedAt / 1000) * 1000);
});
