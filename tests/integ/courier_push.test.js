'use strict';
/*
 * The carrier's route push as SF publishes it (docs/operations.md, "The
 * providers' rules"): SF sets no window on a push's timestamp and sends a
 * push again until it is acknowledged, so a push that comes back hours
 * later with its first timestamp is taken; the order's state keeps it from
 * moving twice, under parallel copies too.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { push } = require('./lib/courier');
const { operator, acceptedByTransfer, psql } = require('./lib/pki');

async function shipped() {
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    assert.equal((await op.post('/admin/pki/ship', { id: o.id })).status, 200);
    const [waybill, carrier] = psql(`SELECT waybill_no || '|' || carrier FROM orders WHERE id = ${o.id}`).split('|');
    return { o, waybill, carrier };
}

test('courier_push__resent_hours_later_with_its_first_timestamp__delivered_once', async () => {
    const { o, waybill, carrier } = await shipped();
    const first = Date.now() - 3 * 3600e3;
    const bj = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
    const rs = await Promise.all(Array.from({ length: 4 }, () =>
        push(carrier, waybill, { timestamp: first, acceptTime: bj(first - 60e3) })));
    for (const r of rs) {
        assert.equal(r.status, 200, r.text);
        assert.equal(JSON.parse(r.text).return_code, '0000');
    }
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'delivered');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${o.id}'
        AND to_state = 'delivered'`), '1');
    /* a day later, the same push once more: acknowledged, nothing moves */
    const again = await push(carrier, waybill, { timestamp: Date.now() - 26 * 3600e3 });
    assert.equal(again.status, 200, again.text);
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${o.id}'
        AND to_state = 'delivered'`), '1');
});

test('courier_push__old_timestamp_with_a_wrong_digest__refused_nothing_moves', async () => {
    const { o, waybill, carrier } = await shipped();
    const r = await push(carrier, waybill, { timestamp: Date.now() - 3600e3, digest: 'AAAAAAAAAAAAAAAAAAAAAA==' });
    assert.equal(r.status, 401, r.text);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'shipped');
});
