'use strict';
/*
 * What Lighthouse asks of every page (SEO, performance; bench/lighthouse):
 * a meta description on each page, applicants' and staff's; the pages, the
 * JSON answers, the stylesheet and scripts sent gzipped by the default
 * front (nginx/hall.conf.in), not only by the TLS one; the stylesheet and
 * scripts the pages link (?v=, the hash of the static files) cached for a
 * year, so that a second page of a visit fetches none of them again.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Client, applicant } = require('./lib/client');

const SKIP = !process.env.HALL_URL;

function descriptions(html) {
    return [...html.matchAll(/<meta name="description" content="([^"]*)">/g)].map((m) => m[1]);
}

test('every page has one meta description, naming the page', { skip: SKIP }, async () => {
    const anon = new Client();
    const c = await applicant();
    const pages = [[anon, '/'], [anon, '/login'], [anon, '/register'], [anon, '/faq'], [anon, '/hunan/'],
        [anon, '/seal/verify'], [anon, '/admin/login'], [c, '/center/orders'], [c, '/center/certs'],
        [c, '/account/profile']];
    for (const [who, p] of pages) {
        const r = await who.get(p);
        assert.equal(r.status, 200, p);
        const d = descriptions(r.text);
        assert.equal(d.length, 1, `${p}: one meta description`);
        const title = r.text.match(/<title>([^<]*?)(?: - [^<]*)?<\/title>/)[1];
        assert.ok(d[0].startsWith(title), `${p}: ${d[0]} begins with the page's title ${title}`);
        assert.ok(d[0].length >= 50 && d[0].length <= 160, `${p}: ${d[0].length} characters`);
    }
});

/* a raw GET (fetch would decode it and hide nothing, but say less) */
function get(url, headers) {
    return new Promise((resolve, reject) => {
        http.get(url, { headers }, (res) => {
            const chunks = [];
            res.on('data', (b) => chunks.push(b));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
    });
}

test('the stylesheet and scripts are sent gzipped to a client that accepts it', { skip: SKIP }, async () => {
    const zlib = require('node:zlib');
    for (const f of ['hall.css', 'hall.js', 'new.js']) {
        const plain = await get(`${process.env.HALL_URL}/static/${f}`, {});
        assert.equal(plain.status, 200, f);
        assert.equal(plain.headers['content-encoding'], undefined, `${f}: plain when not asked`);
        const z = await get(`${process.env.HALL_URL}/static/${f}`, { 'Accept-Encoding': 'gzip' });
        assert.equal(z.status, 200, f);
        assert.equal(z.headers['content-encoding'], 'gzip', f);
        assert.match(z.headers.vary || '', /Accept-Encoding/, f);
        assert.ok(z.body.length < plain.body.length / 2, `${f}: ${z.body.length} of ${plain.body.length} bytes`);
        assert.deepEqual(zlib.gunzipSync(z.body), plain.body, f);
    }
});

/* a raw GET with the applicant's cookies */
function getAs(c, p, headers) {
    return get(`${process.env.HALL_URL}${p}`, { Cookie: c.cookieHeader(), ...headers });
}

test('the pages and JSON answers are sent gzipped to a client that accepts it, plain otherwise', { skip: SKIP }, async () => {
    const zlib = require('node:zlib');
    const anon = new Client();
    const c = await applicant();
    await c.get('/new?project=jieyang');
    assert.equal((await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' })).status, 200);
    const answers = [[anon, '/', 'text/html'], [anon, '/login', 'text/html'], [anon, '/hunan/', 'text/html'],
        [anon, '/sign/verify', 'text/html'], [anon, '/admin/login', 'text/html'], [c, '/center/orders', 'text/html'],
        [c, '/center/certs', 'text/html'], [c, '/new', 'text/html'], [c, '/new/apply?project=jieyang', 'text/html'],
        [c, '/new/divisions?parent=440000', 'application/json'], [c, '/new/divisions', 'application/json']];
    let sent = 0;
    let whole = 0;
    for (const [who, p, type] of answers) {
        const plain = await getAs(who, p, { Accept: type });
        assert.equal(plain.status, 200, p);
        assert.ok(plain.headers['content-type'].startsWith(type), `${p}: ${plain.headers['content-type']}`);
        assert.equal(plain.headers['content-encoding'], undefined, `${p}: plain when not asked`);
        const z = await getAs(who, p, { Accept: type, 'Accept-Encoding': 'gzip, deflate, br' });
        assert.equal(z.status, 200, p);
        assert.equal(z.headers['content-encoding'], 'gzip', `${p} (${type}) gzipped`);
        assert.match(z.headers.vary || '', /Accept-Encoding/, p);
        const text = zlib.gunzipSync(z.body).toString('utf8');
        assert.ok(z.body.length < text.length, `${p}: ${z.body.length} of ${text.length} bytes`);
        sent += z.body.length;
        whole += text.length;
        if (type === 'text/html')
            assert.match(text, /<\/html>\s*$/, `${p}: the whole page`);
        else
            JSON.parse(text);
    }
    /* a page of 1-3 KB goes in about half; the 录入信息 form's 31 KB in 7 */
    assert.ok(sent < whole / 2, `${sent} of ${whole} bytes`);
});

test('the stylesheet and scripts a page links are cached a year; a file without ?v= an hour', { skip: SKIP }, async () => {
    const anon = new Client();
    const c = await applicant();
    const urls = new Set();
    for (const [who, p] of [[anon, '/login'], [c, '/new'], [anon, '/admin/login'], [anon, '/seal/stamp']]) {
        const r = await who.get(p);
        assert.equal(r.status, 200, p);
        for (const m of r.text.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g))
            urls.add(m[1]);
    }
    assert.ok(urls.size >= 4, [...urls].join(' '));
    for (const u of urls) {
        assert.match(u, /\?v=[0-9a-f]{12}$/, `${u}: every static file a page links carries the hash`);
        const r = await get(`${process.env.HALL_URL}${u}`, { 'Accept-Encoding': 'gzip' });
        assert.equal(r.status, 200, u);
        assert.equal(r.headers['cache-control'], 'max-age=31536000', u);
        assert.ok(r.headers['content-security-policy'], `${u}: the security headers stay`);
    }
    const bare = await get(`${process.env.HALL_URL}/static/hall.css`, {});
    assert.equal(bare.headers['cache-control'], 'max-age=3600', 'without ?v=, an hour');
});
