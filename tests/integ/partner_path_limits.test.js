'use strict';
/*
 * The public routes' limits hold under a partner's path too.  The
 * channel's pages link 签名验证 and 免费体验 under it (/hunan/sign/verify,
 * issue 63 §1), and nginx's location of the partner entries took every
 * /<partner>/... path with the server's 3 MiB body limit and no rate:
 * /hunan/tsa, /hunan/sign/evidence and /hunan/partner-api/... answered as
 * the unprefixed routes without their per-address guards.
 * Each is checked here as public_limits.test.js checks the unprefixed
 * route, from loopback addresses of its own (127.0.0.1 is exempt).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { fetchFrom } = require('./lib/front');

const SKIP = !process.env.HALL_VAR;

/* n requests to p from addr, 10 at a time: their statuses, types, bodies */
async function flood(addr, p, n, init) {
    const out = [];
    for (let i = 0; i < n; i += 10) {
        const batch = [];
        for (let k = i; k < Math.min(n, i + 10); k++)
            batch.push(fetchFrom(addr, HALL + p, typeof init === 'function' ? init() : init).then(async (r) => ({
                status: r.status, type: r.headers.get('content-type') || '', body: Buffer.from(await r.arrayBuffer()),
            })));
        out.push(...await Promise.all(batch));
    }
    return out;
}

const limitedJson = (rs, what) => {
    const limited = rs.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, `${what}: statuses ${rs.map((r) => r.status)}`);
    for (const r of limited) {
        assert.match(r.type, /^application\/json/);
        assert.equal(JSON.parse(r.body).message, '请求过于频繁，请稍后再试');
    }
    return rs.filter((r) => r.status !== 429);
};

/* a POST of n bytes announced by Content-Length, answered before it is all sent */
function bigPost(p, n, accept = 'application/json') {
    const u = new URL(HALL + p);
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
            headers: { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': n,
                Accept: accept },
        }, (res) => {
            const parts = [];
            res.on('data', (d) => parts.push(d));
            res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(parts).toString() }));
        });
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

test('partner_path__sign_verify__over_20_mib_the_json_413__a_flood_429', { skip: SKIP }, async () => {
    const r = await bigPost('/hunan/sign/verify', 50 * 1024 * 1024);
    assert.equal(r.status, 413);
    assert.deepEqual(JSON.parse(r.text), { ok: false, field: 'file', message: 'PDF文件过大：签名验证的文件不超过20MB' });
    /* a browser's form gets the page again, the partner's, with the message */
    const page = await bigPost('/hunan/sign/verify', 50 * 1024 * 1024, 'text/html,application/xhtml+xml');
    assert.equal(page.status, 413);
    assert.match(page.text, /PDF文件过大/);
    assert.match(page.text, /href="\/hunan\/sign\/verify"|action="\/hunan\/sign\/verify"/, 'the partner\'s page');
    const notPdf = () => {
        const fd = new FormData();
        fd.append('file', new Blob([Buffer.from('not a pdf')]), 'a.pdf');
        return { method: 'POST', body: fd, headers: { Accept: 'application/json' } };
    };
    for (const x of limitedJson(await flood('127.0.0.21', '/hunan/sign/verify', 40, notPdf),
        '40 quick 签名验证 under /hunan/ from one address'))
        assert.equal(x.status, 400);
});

test('partner_path__sign_try__over_5_mib_the_json_413', { skip: SKIP }, async () => {
    const r = await bigPost('/szjsgws/sign/try', 8 * 1024 * 1024);
    assert.equal(r.status, 413);
    assert.deepEqual(JSON.parse(r.text), { ok: false, field: 'file', message: 'PDF文件过大：免费体验的文件不超过5MB' });
});

test('partner_path__tsa_flood__429_with_the_der_rejection', { skip: SKIP }, async () => {
    const rs = await flood('127.0.0.22', '/hunan/tsa', 160, {
        method: 'POST', body: Buffer.from('garbage'), headers: { 'Content-Type': 'application/timestamp-query' },
    });
    const limited = rs.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, 'a flood of timestamp queries under /hunan/ is limited');
    const der = fs.readFileSync(path.join(__dirname, '..', '..', 'static', 'tsa-systemfailure.der'));
    for (const r of limited)
        assert.ok(r.body.equals(der), 'the DER rejection (systemFailure), not a page');
});

test('partner_path__evidence_flood__429_json', { skip: SKIP }, async () => {
    const rest = limitedJson(await flood('127.0.0.23', '/szjsgws/sign/evidence?serial=x', 160,
        { headers: { Accept: 'application/json' } }), '160 quick evidence calls under /szjsgws/');
    for (const r of rest)
        assert.equal(JSON.parse(r.body).field, 'serial');
});

test('partner_path__partner_api_flood_under_a_partner_path__429_before_the_hall', { skip: SKIP }, async () => {
    /* nginx's guard per address (20 a second, a burst of 60) under the
     * partner's prefix too: 150 quick calls cannot all reach the hall */
    const key = `flood-${process.pid}-prefixed`;
    const rest = limitedJson(await flood('127.0.0.24', '/hunan/partner-api/v1/orders?id=1', 150,
        { headers: { 'X-Hall-Key-Id': key, Accept: 'application/json' } }), '150 quick calls under /hunan/');
    for (const r of rest)
        assert.equal(r.status, 401);
});
