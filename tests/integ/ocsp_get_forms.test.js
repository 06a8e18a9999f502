'use strict';
/*
 * GET /ocsp/<base64> in the forms clients send it (RFC 6960 A.1; RFC 5019
 * 5: NSS URL-encodes '+', '/', '='; other clients send them raw, a space
 * for '+', or the base64 wrapped in lines): each is read as the same
 * request, answered as its POST (a pre-signed answer, the same bytes when
 * asked again) with RFC 5019's caching headers; base64 that breaks its rules is malformedRequest.
 * modules/ocsp reads the raw URI in one pass (get_request).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { acceptedByTransfer, operator, tmpdir, openssl, fetchPki, psql } = require('./lib/pki');

const MALFORMED = [0x30, 0x03, 0x0a, 0x01, 0x01];

/* the serials and statuses an answer gives, as openssl reads them */
function said(dir, der) {
    const f = path.join(dir, 'said.der');
    fs.writeFileSync(f, der);
    const t = openssl(['ocsp', '-respin', f, '-resp_text', '-noverify']).stdout;
    const lines = t.split('\n').filter((l) => /Serial Number:|Cert Status:/.test(l)).map((l) => l.trim());
    assert.ok(lines.length >= 2, t);
    return lines.join('; ');
}

async function get(b64) {
    const r = await fetch(`${HALL}/ocsp/${b64}`);
    assert.equal(r.status, 200, b64);
    return { der: Buffer.from(await r.arrayBuffer()), headers: r.headers };
}

test('ocsp_get_forms__encoded_raw_space_wrapped__same_answer_as_post__broken_base64_malformed', async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    const issue = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(issue.status, 200, issue.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    const dir = tmpdir();
    await fetchPki(dir);
    /* one certificate, and with it a second serial of 1, 2 and 3 bytes:
     * three lengths in a row, so base64 with no '=', one and two */
    const serials = [[serial], [serial, '0x12'], [serial, '0x1234'], [serial, '0x123456']];
    const pads = new Set();
    for (const list of serials) {
        const f = path.join(dir, `req${list.length}-${list.at(-1)}.der`);
        const args = ['ocsp', '-no_nonce', '-issuer', path.join(dir, 'ecc.crt')];
        for (const s of list)
            args.push('-serial', s.startsWith('0x') ? s : `0x${s}`);
        assert.equal(openssl([...args, '-reqout', f]).status, 0);
        const der = fs.readFileSync(f);
        const b64 = der.toString('base64');
        pads.add(b64.length - b64.replace(/=+$/, '').length);

        const p = await fetch(`${HALL}/ocsp`, {
            method: 'POST', headers: { 'Content-Type': 'application/ocsp-request' }, body: der,
        });
        const post = Buffer.from(await p.arrayBuffer());
        assert.ok(post.length > 100, 'a signed answer');
        const forms = {
            encoded: encodeURIComponent(b64),
            raw: b64,
            space: b64.replaceAll('+', '%20'),
            wrapped: `${b64.slice(0, 20)}%0D%0A${b64.slice(20, 40)}%0A${encodeURIComponent(b64.slice(40))}`,
        };
        for (const [name, u] of Object.entries(forms)) {
            const g = await get(u);
            /* the same serials and statuses as the POST's answer; one
             * certificate: a pre-signed answer, the same bytes when asked
             * again (each worker signs its own copy, and nginx keeps the
             * first answer to each URL or body: docs/modules/ocsp.md,
             * "Signed once, reused" and "nginx's cache") */
            assert.equal(said(dir, g.der), said(dir, post), `${name} GET of ${list.length} serials`);
            if (list.length === 1)
                assert.deepEqual((await get(u)).der, g.der, `${name} GET asked again: the same bytes`);
        }
        if (list.length === 1) {
            const g = await get(forms.encoded);
            assert.match(g.headers.get('cache-control'), /^max-age=\d+, public, no-transform, must-revalidate$/);
            assert.match(g.headers.get('etag'), /^"[0-9a-f]{32}"$/);
            const lm = Date.parse(g.headers.get('last-modified'));
            assert.equal(Date.parse(g.headers.get('expires')) - lm, 3600 * 1000, 'nextUpdate an hour after');
        }
        /* '=' inside, a stray byte, an incomplete quad or a digit after
         * the padding, too much padding: malformedRequest */
        const broken = [`${b64.slice(0, 8)}=${b64.slice(9)}`, `${b64.slice(0, 4)}*${b64.slice(5)}`, `${b64}A`,
            b64.endsWith('=') ? `${b64}=` : `${b64}====`];
        for (const u of broken)
            assert.deepEqual([...(await get(u)).der], MALFORMED, u);
    }
    assert.deepEqual([...pads].sort(), [0, 1, 2], 'the three paddings were asked');
});
