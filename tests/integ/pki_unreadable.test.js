'use strict';
/*
 * A stored value the hall cannot read is its own mistake, not a busy store:
 * an order's form that no longer decrypts answers 500 (logged), not a 503
 * asking to try again, and changes nothing (docs/internals/request.md §5).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SANDBOX } = require('./lib/client');
const { operator, acceptedByTransfer, psql } = require('./lib/pki');

test('ship__order_form_unreadable__500_not_busy__nothing_booked_order_still_issued', async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    /* a stored form that no longer decrypts (its last byte changed) is the
     * hall's own mistake: 500, not a 503 that asks to try again */
    const saved = psql(`SELECT encode(form_enc, 'hex') FROM orders WHERE id = ${o.id}`);
    psql(`UPDATE orders SET form_enc = overlay(form_enc PLACING
        decode(lpad(to_hex(get_byte(form_enc, length(form_enc) - 1) # 255), 2, '0'), 'hex')
        FROM length(form_enc) FOR 1) WHERE id = ${o.id}`);
    try {
        const s = await op.post('/admin/pki/ship', { id: o.id });
        assert.equal(s.status, 500, s.text);
        assert.equal(psql(`SELECT status || '|' || coalesce(waybill_no, '') FROM orders WHERE id = ${o.id}`),
            'issued|');
        const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
        const wb = await (await fetch(`${SANDBOX}/sandbox/courier/waybills?order_no=${no}`)).json();
        assert.deepEqual(wb.waybills, [], 'no parcel booked');
        /* the applicant's order page reads the same form: 500 too */
        assert.equal((await o.c.get(`/center/order?id=${o.id}`)).status, 500);
    } finally {
        psql(`UPDATE orders SET form_enc = decode('${saved}', 'hex') WHERE id = ${o.id}`);
    }
    assert.equal((await op.post('/admin/pki/ship', { id: o.id })).status, 200, 'shipped once readable');
});
