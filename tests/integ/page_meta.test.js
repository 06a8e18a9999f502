'use strict';
/*
 * What Lighthouse asks of every page (SEO, performance): a meta description
 * on each page, applicants' and staff's, and the stylesheet and scripts
 * sent gzipped by the default front (nginx/hall.conf.in), not only by the
 * TLS one.
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
