'use strict';
/*
 * A medium left half-made (issue 64 §1; docs/internals/pki.md, "A medium
 * left initialising"; docs/operations.md, "Half-made media"): a producer
 * (hall-pkitool issue onto a USB key) killed after the CA signed
 * (HALL_PKI_FAULT=after_sign: the key born on the medium, its request
 * checked, the certificate signed, not yet written nor stored) leaves the
 * medium's row 'initialising'.  The hall never recorded the proof of
 * possession of that key (it is recorded with the store), so nothing is
 * issued for it: `hall-pkitool media-reconcile` -- and the next 制作证书 onto
 * a USB key, once the medium is older than the stated ten minutes -- wipes
 * the medium with its SO PIN, voids the certificate signed for it (listed
 * revoked), records it 'wiped' with an audit row, and the order is made
 * again onto a new medium.  Two reconcilers at once wipe each medium once.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { operator, acceptedByTransfer, tmpdir, psql } = require('./lib/pki');
const { p11, p11Skip: skip } = require('./lib/station');

const TOOL = () => path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool');

/* a station of USB keys, whatever the test hall's default */
function stationConf() {
    const conf = path.join(tmpdir(), 'hall.conf');
    fs.writeFileSync(conf, `${fs.readFileSync(process.env.HALL_CONF, 'utf8')}\nproduction_medium = pkcs11\n`);
    return conf;
}

function tool(conf, args, env = {}) {
    const r = spawnSync(TOOL(), ['-c', conf, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/* an accepted order whose producer died after signing: { id, medium, serial } */
async function killedProduction(conf) {
    const o = await acceptedByTransfer();
    const killed = tool(conf, ['issue', String(o.id)], { HALL_PKI_FAULT: 'after_sign' });
    assert.equal(killed.status, 70, killed.out);
    const medium = psql(`SELECT serial FROM media WHERE order_id = ${o.id} AND state = 'initialising'`);
    assert.match(medium, /^[0-9A-F]{16}$/, 'the medium left initialising');
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'intent'
        AND seal_item_id IS NULL`);
    assert.match(serial, /^[0-9A-F]{16}$/, 'its certificate signed, not stored');
    /* the key was born there: the medium holds its public half */
    assert.match(p11(['--token-label', medium, '--list-objects']).out, /Public Key Object; EC/);
    return { id: o.id, medium, serial };
}

/* the medium wiped: its row, the audit, nothing on it, the certificate void */
function assertWiped(k, actor) {
    assert.equal(psql(`SELECT state || '|' || (why LIKE 'reconciled:%') FROM media WHERE serial = '${k.medium}'`),
        'wiped|true');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'medium' AND entity_id = '${k.medium}'
        AND action = 'reconcile' AND from_state = 'initialising' AND to_state = 'wiped' AND actor = '${actor}'`), '1');
    const list = p11(['--token-label', k.medium, '--list-objects']);
    assert.equal(list.status, 0, list.out);
    assert.doesNotMatch(list.out, /Key Object|Certificate Object/, 'nothing left on the medium');
    /* the serial signed for it: never issued, listed revoked */
    assert.equal(psql(`SELECT state || '|' || (revoked_at IS NOT NULL) FROM certificates WHERE serial = '${k.serial}'`),
        'void|true');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE medium_serial = '${k.medium}'`), '0');
}

test('media_reconcile__producer_killed_after_signing__medium_wiped_nothing_issued_made_again', { skip }, async () => {
    const conf = stationConf();
    const k = await killedProduction(conf);
    /* younger than the stated ten minutes: a production may still be at work */
    const young = tool(conf, ['media-reconcile']);
    assert.equal(young.status, 0, young.out);
    assert.match(young.out, /^0 half-made medium\(s\) wiped/);
    assert.equal(psql(`SELECT state FROM media WHERE serial = '${k.medium}'`), 'initialising');

    const r = tool(conf, ['media-reconcile', '0']);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^1 half-made medium\(s\) wiped/);
    assertWiped(k, 'cli:hall-pkitool');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${k.id}`), 'accepted', 'the order waits for a new medium');
    /* the operator's 制作证书 page names it, and the order is in its queue */
    const page = await (await operator()).get('/admin/pki/production');
    assert.equal(page.status, 200);
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${k.id}`);
    assert.match(page.text, new RegExp(`id="halfmade-${k.medium}">介质 <strong>${k.medium}</strong>，申请单号 ${orderNo}，[^<]*：已擦除<`));
    assert.ok(page.text.includes(orderNo));

    /* made again: onto another medium, its key proven this time */
    const again = tool(conf, ['issue', String(k.id)]);
    assert.equal(again.status, 0, again.out);
    const [m2, pop] = psql(`SELECT medium_serial || '|' || (pop_checked_at IS NOT NULL) FROM certificates
        WHERE order_id = ${k.id} AND state = 'issued' AND seal_item_id IS NULL`).split('|');
    assert.match(m2, /^[0-9A-F]{16}$/);
    assert.notEqual(m2, k.medium);
    assert.equal(pop, 'true');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${k.id}`), 'issued');
});

test('media_reconcile__the_next_production_on_the_station_wipes_a_medium_left_ten_minutes', { skip }, async () => {
    const conf = stationConf();
    const k = await killedProduction(conf);
    psql(`UPDATE media SET updated_at = now() - interval '11 minutes' WHERE serial = '${k.medium}'`);
    /* the same order, produced again: the stale medium goes first */
    const again = tool(conf, ['issue', String(k.id)]);
    assert.equal(again.status, 0, again.out);
    assertWiped(k, 'pki:reconcile');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${k.id}`), 'issued');
});

test('media_reconcile__two_reconcilers_at_once_wipe_each_medium_once', { skip }, async () => {
    const conf = stationConf();
    const ks = [await killedProduction(conf), await killedProduction(conf), await killedProduction(conf)];
    const run = () => new Promise((resolve) => {
        const c = spawn(TOOL(), ['-c', conf, 'media-reconcile', '0'], { env: process.env });
        let out = '';
        let err = '';
        c.stdout.on('data', (b) => { out += b; });
        c.stderr.on('data', (b) => { err += b; });
        c.on('close', (status) => resolve({ status, out, err }));
    });
    const rs = await Promise.all([run(), run()]);
    for (const r of rs)
        assert.equal(r.status, 0, `${r.out}${r.err}`);
    const done = rs.map((r) => Number(r.out.match(/^(\d+) half-made medium\(s\) wiped$/m)[1]));
    assert.ok(done[0] + done[1] >= ks.length, `all wiped between them: ${done}`);
    for (const k of ks)
        assertWiped(k, 'cli:hall-pkitool');
    /* one void per signed serial, one reconcile per medium */
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'certificate' AND action = 'void'
        AND entity_id IN (${ks.map((k) => `'${k.serial}'`).join(',')})`), String(ks.length));
});
