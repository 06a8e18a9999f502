'use strict';
/*
 * 免费体验 (modules/sign, POST /sign/try; docs/modules/sign.md) through
 * nginx: a PDF comes back stamped with the demo seal under the demo CA, and
 * poppler's pdfsig finds the signature valid and trusted with the demo root
 * (and untrusted with the hall's root: the demo CA is not the hall's, and
 * /pki/ never lists it); bad input names its field and counts nothing; one
 * client address gets sign_try_daily_max stamps a day, then 429.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client, HALL } = require('./lib/client');
const { psql } = require('./lib/pki');
const { makePdf, tryStamp, nssTrusting, pdfsig, tmpdir } = require('./lib/stamp');
const { fetchVia } = require('./lib/front');

const DEMO_ROOT = path.join(process.env.HALL_VAR || '', 'keys', 'demo', 'demo-root.crt');

/* a client address of its own (X-Forwarded-For through the trusted front, lib/front.js) */
let addrs = 0;
function addrClient() {
    const c = new Client();
    c.ip = `198.51.${100 + (process.pid % 100)}.${1 + (addrs++ % 250)}`;
    return c;
}

async function stampFrom(c, buf, fields = {}, opts = {}) {
    const page = await c.get('/sign/try');
    const csrf = page.text.match(/name="_csrf" value="([^"]+)"/)[1];
    const fd = new FormData();
    if (opts.token !== false)
        fd.append('_csrf', csrf);
    for (const [k, v] of Object.entries({ page: '1', x: '150', y: '240', ...fields }))
        fd.append(k, String(v));
    if (buf !== null)
        fd.append('file', new Blob([buf], { type: 'application/pdf' }), 'doc.pdf');
    const r = await fetchVia(`${HALL}/sign/try`, {
        method: 'POST', body: fd,
        headers: { Cookie: c.cookieHeader(), Accept: 'application/json', 'X-Forwarded-For': c.ip },
    });
    const body = Buffer.from(await r.arrayBuffer());
    const type = r.headers.get('content-type') || '';
    return { status: r.status, type, body, json: type.startsWith('application/json') ? JSON.parse(body) : null };
}

const counted = (ip) => psql(`SELECT coalesce(sum(n), 0) FROM sign_try_counts WHERE addr = 'ip:${ip}'`);

test('try__page__form_with_file_page_position__says_demo_not_legal', async () => {
    const c = new Client();
    const r = await c.get('/sign/try');
    assert.equal(r.status, 200);
    assert.match(r.text, /<form method="post" action="\/sign\/try" enctype="multipart\/form-data"/);
    for (const n of ['file', 'page', 'x', 'y'])
        assert.match(r.text, new RegExp(`name="${n}"`), n);
    assert.match(r.text, /体验专用·不具法律效力/);
    assert.match(r.text, /每天可体验 \d+ 次/);
});

test('try__pdf_stamped_with_demo_seal__pdfsig_valid_with_demo_root__not_the_halls', async () => {
    const c = addrClient();
    const pdf = makePdf({ pages: 2, text: 'free trial' });
    const r = await stampFrom(c, pdf, { page: 2, x: 100, y: 120 });
    assert.equal(r.status, 200, r.body.toString().slice(0, 500));
    assert.match(r.type, /^application\/pdf/);
    /* an incremental update: the input unchanged, the stamp after it */
    assert.ok(r.body.length > pdf.length);
    assert.ok(r.body.subarray(0, pdf.length).equals(pdf));
    const dir = tmpdir();
    const out = path.join(dir, 'stamped.pdf');
    fs.writeFileSync(out, r.body);
    /* trusted with the demo root ... */
    const demo = pdfsig(nssTrusting(DEMO_ROOT), out);
    assert.match(demo, /Signature is Valid/, demo);
    assert.match(demo, /Certificate is Trusted/, demo);
    assert.match(demo, /Total document signed/, demo);
    assert.match(demo, /免费体验签章人/, demo);
    assert.equal(spawnSync('qpdf', ['--check', out]).status, 0);
    /* ... not with the hall's own root */
    const root = path.join(dir, 'root.crt');
    fs.writeFileSync(root, await (await fetch(`${HALL}/pki/root.crt`)).text());
    const hall = pdfsig(nssTrusting(root), out);
    assert.match(hall, /Signature is Valid/, hall);
    assert.doesNotMatch(hall, /Certificate is Trusted/, hall);
    assert.equal(counted(c.ip), '1');
});

test('try__pki_index_never_lists_the_demo_root', async () => {
    const demoPem = fs.readFileSync(DEMO_ROOT, 'utf8').trim();
    const idx = await (await fetch(`${HALL}/pki/`, { headers: { Accept: 'application/json' } })).json();
    const urls = new Set(JSON.stringify(idx).match(/\/pki\/[a-z0-9-]+\.crt/g));
    assert.ok(urls.size >= 2, JSON.stringify(idx));
    for (const u of urls) {
        const pem = (await (await fetch(HALL + u)).text()).trim();
        assert.notEqual(pem, demoPem, u);
    }
    assert.equal((await fetch(`${HALL}/pki/demo-root.crt`)).status, 404);
});

test('try__bad_input__field_named__nothing_counted', async () => {
    const c = addrClient();
    const pdf = makePdf();
    let r = await stampFrom(c, null);
    assert.equal(r.status, 400);
    assert.equal(r.json.field, 'file');
    assert.match(r.json.message, /请选择要盖章的PDF文件/);
    r = await stampFrom(c, Buffer.from('\x89PNG\r\n\x1a\nnot a pdf at all'));
    assert.equal(r.status, 400);
    assert.equal(r.json.field, 'file');
    assert.match(r.json.message, /不是PDF/);
    r = await stampFrom(c, pdf, { page: '0' });
    assert.equal(r.status, 400);
    assert.equal(r.json.field, 'page');
    assert.match(r.json.message, /页码/);
    r = await stampFrom(c, pdf, { x: 'abc' });
    assert.equal(r.status, 400);
    assert.equal(r.json.field, 'x');
    r = await stampFrom(c, pdf, { page: 5 });
    assert.equal(r.status, 400, 'a page the PDF does not have');
    assert.equal(r.json.field, 'page');
    r = await stampFrom(c, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5 * 1024 * 1024)]));
    assert.equal(r.status, 413);
    assert.equal(r.json.field, 'file');
    assert.match(r.json.message, /不超过5MB/);
    /* far above the limit: refused before the body is read (nginx lets up
     * to 6 MB through), the token not asked */
    r = await stampFrom(c, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5.5 * 1024 * 1024)]));
    assert.equal(r.status, 413);
    assert.equal(r.json.field, 'file');
    /* the page's token is required */
    r = await stampFrom(c, pdf, {}, { token: false });
    assert.equal(r.status, 403);
    assert.equal(counted(c.ip), '0');
});

test('try__per_address_daily_limit__429_in_chinese__other_addresses_unaffected', async () => {
    const max = 10; /* sign_try_daily_max's default, the test hall's */
    const c = addrClient();
    const pdf = makePdf({ text: 'limit' });
    for (let i = 0; i < max; i++) {
        const r = await stampFrom(c, pdf);
        assert.equal(r.status, 200, `stamp ${i + 1}: ${r.body.toString().slice(0, 300)}`);
    }
    const over = await stampFrom(c, pdf);
    assert.equal(over.status, 429);
    assert.match(over.json.message, /今天的免费体验次数已用完（每个网络地址每天10次），请明天再试/);
    assert.equal(counted(c.ip), String(max));
    const other = await stampFrom(addrClient(), pdf);
    assert.equal(other.status, 200);
});
