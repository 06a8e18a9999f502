'use strict';
/*
 * Objects without a row (core/store/file.c, hall_file_orphans;
 * `hall-objstore orphans`), with whichever driver the test hall runs
 * (HALL_TEST_STORE: local, or s3 on a one-node Swift): an object no row of
 * order_files names, older than the window, is listed and, with --remove,
 * deleted; an object a row names is never listed, however old; a young
 * one is listed only with a window smaller than its age.  The local
 * driver's objects are made old with utime; S3 cannot backdate
 * LastModified, so there the window is 0.  A material that a later upload
 * replaced, or one removed, is retired: no row keeps its object (the
 * replaced transfer voucher does: finance's record).
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { atNewForm, psql, orgForm } = require('./lib/payflow');
const { S3, TOOL, objectExists, objectPut, objectRemove } = require('./lib/objstore');

const SKIP = !process.env.HALL_VAR || !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(4000, 9)]);

function orphans(...args) {
    const conf = process.env.HALL_CONF || path.join(process.env.HALL_VAR, 'hall.conf');
    const r = spawnSync(TOOL, ['-c', conf, 'orphans', ...args], { encoding: 'utf8' });
    if (r.error)
        throw r.error;
    const listed = new Map();
    for (const line of r.stdout.split('\n').filter(Boolean)) {
        const [name, age, size, what] = line.split(' ');
        listed.set(name, { age: Number(age), size: Number(size), what });
    }
    return { status: r.status, stderr: r.stderr, listed };
}

/* the objects this file put (clear bytes, not the hall's encrypted
 * format): those the tests leave (young ones) go at the end, so that the
 * store holds only what the hall wrote (tests/integ/zx_pii_at_rest) */
const made = [];
after(() => {
    for (const name of made)
        if (objectExists(name))
            objectRemove(name);
});

/* an object under a fresh name of the hall's kind, no row naming it */
function strayObject(bytes) {
    const name = crypto.randomBytes(24).toString('base64url');
    made.push(name);
    objectPut(name, bytes);
    return name;
}

/* local: the object's mtime set seconds back */
function age(name, seconds) {
    const t = new Date(Date.now() - seconds * 1000);
    fs.utimesSync(path.join(process.env.HALL_VAR, 'uploads', name), t, t);
}

/* a material uploaded through the hall: its object has a row */
async function storedWithRow() {
    const c = await atNewForm();
    let r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.equal((await c.post('/new/printed', { id })).status, 200);
    await c.get(`/new/upload?id=${id}`);
    r = await c.postMultipart('/new/upload', { id, kind: 'application' },
        { file: { name: 'application.jpg', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    return psql(`SELECT stored_name FROM order_files WHERE id = ${r.body.file_id}`);
}

test('orphans: an old object without a row is listed, then removed; one with a row never', { skip: SKIP || S3, timeout: 60000 }, async () => {
    const withRow = await storedWithRow();
    const stray = strayObject(Buffer.alloc(777, 1));
    age(withRow, 7200);
    age(stray, 7200);

    let r = orphans();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.listed.has(stray), 'the object without a row is listed');
    assert.ok(r.listed.get(stray).age >= 7200 && r.listed.get(stray).size === 777);
    assert.ok(!r.listed.has(withRow), 'the object its row names is not');
    assert.ok(objectExists(stray), 'listing removes nothing');

    r = orphans('--remove');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.listed.get(stray).what, 'removed');
    assert.ok(!objectExists(stray), 'the object without a row is gone');
    assert.ok(objectExists(withRow), 'the object its row names stays');
    assert.match(r.stderr, /removed, 0 not removed/);
    assert.ok(!orphans().listed.has(stray), 'a second run finds it no more');
});

test('orphans: a young object without a row is listed only with a smaller window', { skip: SKIP, timeout: 60000 }, async () => {
    const stray = strayObject(Buffer.alloc(555, 2));
    if (!S3)
        age(stray, 600);

    let r = orphans('--remove'); /* the default window, an hour */
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.listed.has(stray), 'younger than the window: not listed');
    assert.ok(objectExists(stray), 'younger than the window: never removed');
    if (!S3) {
        r = orphans('--older', '900', '--remove');
        assert.ok(!r.listed.has(stray), 'ten minutes old, a fifteen-minute window: not listed');
        assert.ok(objectExists(stray));
        r = orphans('--older', '300');
        assert.ok(r.listed.has(stray), 'ten minutes old, a five-minute window: listed');
    }
    r = orphans('--older', '0');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.listed.has(stray), 'a window of 0: listed');
    assert.equal(r.listed.get(stray).size, 555);
    assert.ok(objectExists(stray), 'listed, not removed');
});

test('orphans --older 0 --remove: every object without a row goes, every object a row names stays', { skip: SKIP, timeout: 60000 }, async () => {
    const withRow = await storedWithRow();
    const strays = [strayObject(Buffer.alloc(100, 3)), strayObject(Buffer.alloc(200, 4))];

    const r = orphans('--older', '0', '--remove');
    assert.equal(r.status, 0, r.stderr);
    for (const s of strays) {
        assert.equal(r.listed.get(s)?.what, 'removed', `${s} removed`);
        assert.ok(!objectExists(s));
    }
    assert.ok(!r.listed.has(withRow));
    assert.ok(objectExists(withRow), 'the object its row names stays');
    const names = psql(`SELECT stored_name FROM order_files WHERE removed_at IS NULL
        AND (replaced_at IS NULL OR kind = 'transfer_voucher')`).split('\n').filter(Boolean);
    for (const n of names)
        assert.ok(!r.listed.has(n), `${n} has a live row: never listed`);
});

/* issue 63 §7: a material replaced by a write whose answer was lost keeps a
 * row marked replaced (not removed), and its object was never deleted: the
 * sweep removes it and marks the row removed; a replaced transfer voucher,
 * finance's record, stays */
test('orphans: a replaced material left behind is removed, its row marked; a replaced voucher stays', { skip: SKIP || S3, timeout: 60000 }, async () => {
    const material = await storedWithRow();
    const voucher = await storedWithRow();
    /* as the lost answer leaves them: the rows retired, the objects there */
    psql(`UPDATE order_files SET replaced_at = now() - interval '2 hours' WHERE stored_name = '${material}'`);
    psql(`UPDATE order_files SET replaced_at = now() - interval '2 hours', kind = 'transfer_voucher'
        WHERE stored_name = '${voucher}'`);
    age(material, 7200);
    age(voucher, 7200);

    const r = orphans('--remove');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.listed.get(material)?.what, 'removed', 'the replaced material goes');
    assert.ok(!objectExists(material));
    assert.equal(psql(`SELECT removed_at IS NOT NULL FROM order_files WHERE stored_name = '${material}'`), 't',
        'its row says 已删除');
    assert.ok(!r.listed.has(voucher), 'a replaced voucher is kept');
    assert.ok(objectExists(voucher));
});

test('orphans: a bad --older is refused with the usage', { skip: SKIP }, () => {
    const r = orphans('--older', 'soon');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--older/);
});

/* hall-outbox's tick (tools/outbox/hall_outbox.c objstore_tick): the period
 * made over by moving its claim in hall_ticks back; the outbox tries to
 * claim every 30 s.  Local only: S3 cannot backdate an object, and the
 * window (objstore_orphan_age_s) is at least 60 s */
test('hall-outbox sweeps by itself: an old object without a row goes, a young one and one with a row stay', { skip: SKIP || S3, timeout: 120000 }, async () => {
    const withRow = await storedWithRow();
    const old = strayObject(Buffer.alloc(300, 5));
    const young = strayObject(Buffer.alloc(300, 6));
    age(withRow, 7200);
    age(old, 7200);
    psql(`INSERT INTO hall_ticks (name, last_at) VALUES ('objstore_sweep', now() - interval '1 day')
          ON CONFLICT (name) DO UPDATE SET last_at = now() - interval '1 day'`);
    for (let i = 0; i < 100 && objectExists(old); i++)
        await new Promise((ok) => setTimeout(ok, 1000));
    assert.ok(!objectExists(old), 'the old object without a row was swept');
    assert.ok(objectExists(young), 'the young one stays');
    assert.ok(objectExists(withRow), 'the one its row names stays');
    const at = psql(`SELECT last_at > now() - interval '1 hour' FROM hall_ticks WHERE name = 'objstore_sweep'`);
    assert.equal(at, 't', 'the sweep claimed its period');
});
