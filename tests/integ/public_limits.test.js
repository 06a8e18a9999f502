'use strict';
/*
 * What nginx answers itself on the routes anybody may call: each in its
 * route's own kind, never nginx's HTML page to a client that reads JSON
 * or DER.
 *   - a body beyond the limit of 签名验证 (20 MiB) and 免费体验 (5 MiB):
 *     the module's documented JSON 413 (docs/modules/sign.md);
 *   - a client address that calls /sign/verify, /sign/try, /tsa or
 *     /sign/evidence faster
 *     than the per-address limits allow: 429, JSON (or DER for /tsa), and
 *     no other address is slowed;
 *   - a module that cannot be reached: JSON 503 for a client that asked
 *     for JSON, the small HTML page for a browser; the partners' API JSON
 *     503 whatever the caller asked for.
 * The requests come from loopback addresses of their own (127.0.0.1 is
 * exempt from the limits in the test hall: HALL_LIMIT_EXEMPT).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { fetchFrom } = require('./lib/front');

const SKIP = !process.env.HALL_VAR;
const HALL_VAR = process.env.HALL_VAR || '';

/* a POST of n bytes announced by Content-Length, answered before it is all sent */
function bigPost(p, n, accept = 'application/json') {
    const u = new URL(HALL + p);
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
            headers: { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': n, Accept: accept },
        }, (res) => {
            const parts = [];
            res.on('data', (d) => parts.push(d));
            res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] || '',
                text: Buffer.concat(parts).toString() }));
        });
        /* nginx answers from the headers and may close before the body is sent */
        req.on('error', (e) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? null : reject(e)));
        const chunk = Buffer.alloc(1 << 20, 0x41);
        let left = n;
        const more = () => {
            while (left > 0) {
                const k = Math.min(left, chunk.length);
                left -= k;
                if (!req.write(chunk.subarray(0, k)))
                    return req.once('drain', more);
            }
            req.end();
        };
        more();
    });
}

test('public__verify_body_over_limit__json_413_naming_the_file', { skip: SKIP }, async () => {
    const r = await bigPost('/sign/verify', 50 * 1024 * 1024);
    assert.equal(r.status, 413);
    assert.match(r.type, /^application\/json/);
    assert.deepEqual(JSON.parse(r.text), { ok: false, field: 'file', message: 'PDF文件过大：签名验证的文件不超过20MB' });
});

test('public__try_body_over_limit__json_413_naming_the_file', { skip: SKIP }, async () => {
    const r = await bigPost('/sign/try', 8 * 1024 * 1024);
    assert.equal(r.status, 413);
    assert.deepEqual(JSON.parse(r.text), { ok: false, field: 'file', message: 'PDF文件过大：免费体验的文件不超过5MB' });
});

/* n requests to p from addr, 10 at a time: their statuses and bodies */
async function flood(addr, p, n, init) {
    const out = [];
    for (let i = 0; i < n; i += 10) {
        const batch = [];
        for (let k = i; k < Math.min(n, i + 10); k++)
            batch.push(fetchFrom(addr, HALL + p, init).then(async (r) => ({
                status: r.status, type: r.headers.get('content-type') || '', body: Buffer.from(await r.arrayBuffer()),
            })));
        out.push(...await Promise.all(batch));
    }
    return out;
}

test('public__verify_flood_from_one_address__429_json_others_served', { skip: SKIP }, async () => {
    const notPdf = () => {
        const fd = new FormData();
        fd.append('file', new Blob([Buffer.from('not a pdf')]), 'a.pdf');
        return { method: 'POST', body: fd, headers: { Accept: 'application/json' } };
    };
    const rs = await flood('127.0.0.7', '/sign/verify', 40, notPdf());
    const limited = rs.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, `40 quick requests from one address, statuses ${rs.map((r) => r.status)}`);
    for (const r of limited) {
        assert.match(r.type, /^application\/json/);
        assert.equal(JSON.parse(r.body).message, '请求过于频繁，请稍后再试');
    }
    /* the module's own answer to the rest: not a PDF */
    for (const r of rs.filter((x) => x.status !== 429))
        assert.equal(r.status, 400);
    /* another client is not slowed by this one */
    const other = await fetchFrom('127.0.0.8', `${HALL}/sign/verify`, notPdf());
    assert.equal(other.status, 400);
});

test('public__tsa_flood_from_one_address__429_with_a_der_rejection', { skip: SKIP }, async () => {
    const rs = await flood('127.0.0.7', '/tsa', 160, {
        method: 'POST', body: Buffer.from('garbage'), headers: { 'Content-Type': 'application/timestamp-query' },
    });
    const limited = rs.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, 'a flood of timestamp queries is limited');
    const der = fs.readFileSync(path.join(__dirname, '..', '..', 'static', 'tsa-systemfailure.der'));
    for (const r of limited) {
        assert.equal(r.type, 'application/timestamp-reply');
        assert.ok(r.body.equals(der), 'the DER rejection (systemFailure), not a page');
    }
});

test('public__evidence_flood_from_one_address__429_json', { skip: SKIP }, async () => {
    /* 在线盖章's B-LT evidence: the TSA's per-address rate (20 a second, a burst of 100) */
    const rs = await flood('127.0.0.9', '/sign/evidence?serial=x', 160, { headers: { Accept: 'application/json' } });
    const limited = rs.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, `160 quick requests from one address, statuses ${rs.map((r) => r.status)}`);
    for (const r of limited) {
        assert.match(r.type, /^application\/json/);
        assert.equal(JSON.parse(r.body).message, '请求过于频繁，请稍后再试');
    }
    for (const r of rs.filter((x) => x.status !== 429))
        assert.equal(JSON.parse(r.body).field, 'serial');
});

test('public__module_down__json_client_gets_json_503_browser_the_page', { skip: SKIP }, async () => {
    const sock = path.join(HALL_VAR, 'run', 'new.sock');
    const aside = `${sock}.aside-limits`;
    let json;
    let page;
    fs.renameSync(sock, aside);
    try {
        json = await fetch(`${HALL}/new/apply`, { method: 'POST', headers: { Accept: 'application/json' } });
        page = await fetch(`${HALL}/new`, { headers: { Accept: 'text/html' } });
    } finally {
        fs.renameSync(aside, sock);
    }
    assert.equal(json.status, 503);
    assert.match(json.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await json.json(), { ok: false, message: '系统繁忙，请稍后再试' });
    assert.equal(page.status, 503);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.match(await page.text(), /<html/i);
});

/* the partners' API is JSON whatever the caller's Accept says: its module
 * down, nginx answers the same JSON 503, not its HTML 502 page (a location
 * with an error_page of its own, 429's, inherits none of the server's) */
test('public__partner_api_module_down__json_503_whatever_accept', { skip: SKIP }, async () => {
    const sock = path.join(HALL_VAR, 'run', 'partner.sock');
    const aside = `${sock}.aside-limits`;
    const got = [];
    fs.renameSync(sock, aside);
    try {
        for (const accept of [null, 'application/json', '*/*']) {
            const headers = { 'Content-Type': 'application/json' };
            if (accept)
                headers.Accept = accept;
            const post = await fetch(`${HALL}/partner-api/v1/applications`, { method: 'POST', headers, body: '{}' });
            got.push({ what: `POST Accept ${accept}`, status: post.status, type: post.headers.get('content-type'),
                text: await post.text() });
            const get = await fetch(`${HALL}/partner-api/v1/orders?id=1`, { headers: accept ? { Accept: accept } : {} });
            got.push({ what: `GET Accept ${accept}`, status: get.status, type: get.headers.get('content-type'),
                text: await get.text() });
        }
    } finally {
        fs.renameSync(aside, sock);
    }
    for (const g of got) {
        assert.equal(g.status, 503, `${g.what}: ${g.status} ${g.text.slice(0, 120)}`);
        assert.match(g.type || '', /^application\/json/, `${g.what}: ${g.type}`);
        assert.deepEqual(JSON.parse(g.text), { ok: false, message: '系统繁忙，请稍后再试' }, g.what);
    }
});
