'use strict';
/*
 * A file and its row, the connection to PostgreSQL cut before, at and after
 * the row's commit (core/store/file.c, hall_file_discard): the hall removes
 * a file only when it knows its row did not commit; when the answer of the
 * commit was lost it keeps the file, and the orphan sweep (`hall-objstore
 * orphans`) decides later by the row.  So afterwards every row names a
 * readable object (its download answers 200 with the bytes sent), and what
 * the user sends again is accepted or finds what was stored:
 *
 *   - a material (POST /new/upload, one self-committing statement): cut
 *     before the server saw it, at its commit (run, never committed), after
 *     its commit (stored, answer lost);
 *   - a transfer voucher (POST /pay/transfer, a transaction): cut at a
 *     statement before COMMIT, at COMMIT (never committed), after COMMIT
 *     (stored, answer lost): sent again with its form's key, it finds the
 *     stored voucher (200) instead of 409 该业务单当前状态不能缴费;
 *   - a 机构个人章 holder's ID scan (POST /seal/upload: the same upload in
 *     the seal module), cut as a material;
 *   - a seal's cut-out picture (POST /seal/impression: kept in its row,
 *     bytea, in a transaction): cut as a voucher; its picture answers
 *     whenever its row was stored, and sent again it is taken.
 *
 * The modules run behind pgcut as in tests/integ/db_cut.test.js; with
 * HALL_TEST_STORE=s3 the objects are in the Swift bucket.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PgCut } = require('./lib/pgcut');
const { pgSocket, throughCut, restore, cutting } = require('./lib/cutmod');
const { atNewForm, psql, orgForm, unpaidOrder, upload, staffLogin } = require('./lib/payflow');
const { applicant, freshPhone } = require('./lib/client');
const { sealOrder, impressionScan, verifyHolder } = require('./lib/seal');
const { TOOL, objectExists, objectNames } = require('./lib/objstore');

const VAR = process.env.HALL_VAR;
const SKIP = !VAR || !process.env.HALL_CONF || !process.env.HALL_URL || !process.env.HALL_PSQL;

let cut;

before(async () => {
    if (SKIP)
        return;
    cut = await new PgCut(fs.mkdtempSync(path.join(VAR, 'tmp', 'pgcut-')), pgSocket()).start();
    await throughCut(cut, 'new');
    await throughCut(cut, 'pay');
    await throughCut(cut, 'seal');
});

after(async () => {
    if (SKIP)
        return;
    restore();
    await cut.stop();
});

/* a JPEG of its own bytes each time */
const jpeg = () => Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), crypto.randomBytes(3000)]);

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

/* the objects made while fn ran */
async function madeBy(fn) {
    const was = new Set(objectNames());
    const r = await fn();
    return [r, objectNames().filter((n) => !was.has(n))];
}

/* the sweep, listing the objects no row names (none younger than 0 s) */
function orphans(...args) {
    const r = spawnSync(TOOL, ['-c', process.env.HALL_CONF, 'orphans', '--older', '0', ...args],
        { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0]));
}

/* GET with the caller's cookie: status and bytes */
async function download(who, p) {
    const res = await fetch(who.base + p, { headers: { Cookie: who.cookieHeader() } });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/* each live row of the order's files: its object there, its download the
 * bytes its sha256 was taken of */
async function rowsReadable(who, orderId, url) {
    const rows = psql(`SELECT id || '|' || stored_name || '|' || encode(sha256, 'hex') FROM order_files
        WHERE order_id = ${orderId} AND removed_at IS NULL AND replaced_at IS NULL ORDER BY id`)
        .split('\n').filter(Boolean).map((l) => l.split('|'));
    for (const [id, name, sum] of rows) {
        assert.ok(objectExists(name), `file ${id}: its object ${name} is in the store`);
        const d = await download(who, url(id));
        assert.equal(d.status, 200, `file ${id}: download ${d.bytes.toString().slice(0, 200)}`);
        assert.equal(sha(d.bytes), sum, `file ${id}: the bytes that were sent`);
    }
    return rows;
}

/* an order at 上传资料 */
async function atUpload() {
    const c = await atNewForm();
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.equal((await c.post('/new/printed', { id })).status, 200);
    await c.get(`/new/upload?id=${id}`);
    return { c, id };
}

const materialUp = (c, id, data) =>
    c.postMultipart('/new/upload', { id, kind: 'application' }, { file: { name: 'application.jpg', data } });

for (const mode of ['before', 'at', 'after']) {
    test(`db_cut_files__material_cut_${mode}_commit__row_readable_retry_accepted`, { skip: SKIP, timeout: 60000 }, async () => {
        const { c, id } = await atUpload();
        const data = jpeg();
        cut.clear();
        const rule = { stmt: 'flow_file_upload', times: 1 };
        if (mode !== 'after')
            rule[mode] = true;
        const [r, made] = await madeBy(() => cutting(cut, [rule], () => materialUp(c, id, data)));
        assert.equal(cut.count('flow_file_upload'), 1);
        /* the hall cannot tell these apart: each is an unknown outcome */
        assert.equal(r.status, 503, r.text);
        assert.equal(r.body.outcome, 'unknown', r.text);
        const rows = await rowsReadable(c, id, (f) => `/new/file?id=${f}`);
        assert.equal(rows.length, mode === 'after' ? 1 : 0,
            mode === 'after' ? 'the row was committed' : 'no row was committed');
        assert.equal(made.length, 1, 'an unknown outcome keeps the object');
        if (mode === 'after')
            assert.equal(rows[0][1], made[0]);
        /* the sweep decides by the row */
        assert.equal(orphans().has(made[0]), mode !== 'after');

        /* the applicant sends it again: accepted, and what is stored reads back */
        await c.get(`/new/upload?id=${id}`);
        const again = await materialUp(c, id, data);
        assert.equal(again.status, 200, again.text);
        const now = await rowsReadable(c, id, (f) => `/new/file?id=${f}`);
        assert.equal(now.length, 1, 'one live file of the kind');
        assert.equal(now[0][0], String(again.body.file_id));
        orphans('--remove');
        await rowsReadable(c, id, (f) => `/new/file?id=${f}`);
    });
}

/* the voucher's form key, as the pay page gives it (a client's own when
 * the page gives none) */
async function payKey(c, id) {
    const page = await c.get(`/pay?id=${id}`);
    const m = page.text.match(/name="submit_key" value="([A-Za-z0-9_-]{16,64})"/);
    return m ? m[1] : crypto.randomBytes(24).toString('base64url');
}

const voucherUp = (c, id, key, bytes) =>
    upload(c, '/pay/transfer', { id, submit_key: key }, { name: '汇款凭证.jpg', bytes, type: 'image/jpeg' });

const RULES = {
    before: { stmt: 'pay_insert_transfer', before: true, times: 1 },
    at: { query: /^COMMIT$/i, at: true, times: 1 },
    after: { query: /^COMMIT$/i, times: 1 },
};

for (const mode of ['before', 'at', 'after']) {
    test(`db_cut_files__voucher_cut_${mode}_commit__row_readable_retry_finds_or_accepted`, { skip: SKIP, timeout: 60000 }, async () => {
        const c = await applicant();
        const { id } = await unpaidOrder(c);
        const key = await payKey(c, id);
        const bytes = jpeg();
        const finance = await staffLogin('finance', 'Finance2026demo');
        cut.clear();
        const [r, made] = await madeBy(() => cutting(cut, [RULES[mode]], () => voucherUp(c, id, key, bytes)));
        assert.equal(cut.count(), 1, 'one cut');
        assert.equal(r.status, 503, r.text);
        const rows = await rowsReadable(finance, id, (f) => `/admin/file?id=${f}`);
        const stored = mode === 'after';
        assert.equal(rows.length, stored ? 1 : 0);
        if (mode === 'before') {
            assert.equal(r.body.outcome, undefined, 'nothing was committed, and the hall knows it');
        } else {
            assert.equal(r.body.outcome, 'unknown', r.text);
            assert.equal(r.body.submit_key, key, 'the answer gives the key back');
        }
        if (mode === 'before') {
            /* S3: removed by the worker's discard thread, a moment later */
            for (let i = 0; i < 50 && made.some(objectExists); i++)
                await new Promise((ok) => setTimeout(ok, 200));
            assert.ok(!made.some(objectExists), 'known not committed: the object removed');
        } else {
            assert.equal(made.length, 1, 'outcome unknown: the object kept');
        }
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), stored ? 'transfer_review' : 'unpaid');
        if (mode === 'at')
            assert.ok(orphans().has(made[0]), 'no row names it: the sweep lists it');

        /* sent again with its key: the stored voucher found, or accepted */
        const again = await voucherUp(c, id, key, bytes);
        assert.equal(again.status, 200, again.text);
        assert.equal(again.body.redirect, `/pay?id=${id}`);
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'transfer_review');
        assert.equal(psql(`SELECT count(*) || '|' || string_agg(status, ',') FROM payments
            WHERE order_id = ${id} AND method = 'transfer'`), '1|pending', 'one transfer payment');
        const now = await rowsReadable(finance, id, (f) => `/admin/file?id=${f}`);
        assert.equal(now.length, 1, 'one live voucher');
        if (stored)
            assert.equal(now[0][1], made[0], 'the voucher stored before, not a second one');
        /* another key is still refused: the order is paid for */
        const other = await voucherUp(c, id, crypto.randomBytes(24).toString('base64url'), jpeg());
        assert.equal(other.status, 409, other.text);
        orphans('--remove');
        await rowsReadable(finance, id, (f) => `/admin/file?id=${f}`);
    });
}

/* a seal order with one 机构个人章, its holder's phone verified, at 上传资料 */
async function sealAtUpload() {
    const c = await applicant();
    const mobile = freshPhone('135');
    const so = await sealOrder(c, {
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0',
        person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
        person_1_style: 'auto', person_1_mobile: mobile,
    });
    assert.equal((await c.post('/seal/printed', { id: so.id })).status, 200);
    await verifyHolder(c, so.id, 1, mobile);
    assert.equal((await c.get(`/seal/upload?id=${so.id}`)).status, 200);
    return { c, id: so.id };
}

const scanUp = (c, id, data) =>
    c.postMultipart('/seal/upload', { id, kind: 'holder_id_1' }, { file: { name: 'holder.jpg', data } });

for (const mode of ['before', 'at', 'after']) {
    test(`db_cut_files__seal_holder_scan_cut_${mode}_commit__row_readable_retry_accepted`, { skip: SKIP, timeout: 90000 }, async () => {
        const { c, id } = await sealAtUpload();
        const data = jpeg();
        cut.clear();
        const rule = { stmt: 'flow_file_upload', times: 1 };
        if (mode !== 'after')
            rule[mode] = true;
        const [r, made] = await madeBy(() => cutting(cut, [rule], () => scanUp(c, id, data)));
        assert.equal(cut.count('flow_file_upload'), 1);
        assert.equal(r.status, 503, r.text);
        assert.equal(r.body.outcome, 'unknown', r.text);
        const rows = await rowsReadable(c, id, (f) => `/seal/file?id=${f}`);
        assert.equal(rows.length, mode === 'after' ? 1 : 0);
        assert.equal(made.length, 1, 'an unknown outcome keeps the object');
        assert.equal(orphans().has(made[0]), mode !== 'after');

        await c.get(`/seal/upload?id=${id}`);
        const again = await scanUp(c, id, data);
        assert.equal(again.status, 200, again.text);
        const now = await rowsReadable(c, id, (f) => `/seal/file?id=${f}`);
        assert.equal(now.length, 1);
        assert.equal(psql(`SELECT kind FROM order_files WHERE id = ${now[0][0]}`), 'holder_id_1');
    });
}

const IMPRESSION_RULES = {
    before: { stmt: 'seal_item_image', before: true, times: 1 },
    at: { query: /^COMMIT$/i, at: true, times: 1 },
    after: { query: /^COMMIT$/i, times: 1 },
};

for (const mode of ['before', 'at', 'after']) {
    test(`db_cut_files__seal_picture_cut_${mode}_commit__picture_answers_retry_taken`, { skip: SKIP, timeout: 90000 }, async () => {
        const c = await applicant();
        const so = await sealOrder(c, {
            org_count: '1', org_years: '1', org_style: 'auto',
            biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'cutout', person_count: '0',
        });
        const item = so.items['org_business:1'];
        await c.get(`/seal/attachment?id=${so.id}`);
        const send = () => upload(c, '/seal/impression', { id: item },
            { bytes: impressionScan(), name: 'seal.png', type: 'image/png' }, { field: 'impression' });
        cut.clear();
        const r = await cutting(cut, [IMPRESSION_RULES[mode]], send);
        assert.equal(cut.count(), 1, 'one cut');
        assert.equal(r.status, 503, r.text);
        assert.equal(r.body.outcome, mode === 'before' ? undefined : 'unknown', r.text);
        const picture = async () => {
            const sum = psql(`SELECT encode(sha256(image_png), 'hex') FROM seal_items WHERE id = ${item}`);
            if (sum === '')
                return null;
            const d = await download(c, `/seal/image?id=${item}`);
            assert.equal(d.status, 200, 'a stored picture answers');
            assert.equal(sha(d.bytes), sum, 'the picture stored');
            return sum;
        };
        assert.equal(await picture() !== null, mode === 'after', 'stored only when committed');
        const again = await send();
        assert.equal(again.status, 200, again.text);
        assert.ok(await picture() !== null, 'sent again: stored');
        assert.equal((await c.post('/seal/impression/confirm', { id: item })).status, 200);
    });
}

test('db_cut_files__voucher_key_malformed__400_naming_the_field_nothing_stored', { skip: SKIP }, async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    for (const key of ['short', 'a key with spaces in it', 'x'.repeat(65), '中文中文中文中文中文中文中文中文']) {
        const [r, made] = await madeBy(() => voucherUp(c, id, key, jpeg()));
        assert.equal(r.status, 400, `${key}: ${r.text}`);
        assert.equal(r.body.field, 'submit_key', key);
        assert.match(r.body.message, /表单标识/, key);
        assert.deepEqual(made, [], `${key}: no object`);
    }
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '0');
    assert.equal(psql(`SELECT count(*) FROM order_files WHERE order_id = ${id}`), '0');
});
