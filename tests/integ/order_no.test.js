'use strict';
/*
 * An order number is the business's letter, the day in Beijing and the
 * serial of order_no_seq, which never restarts (sql/104_order_no_serial.sql).
 * Past the millionth order the serial keeps all its digits: applicants
 * applying at once each get their order saved under a number of its own.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { atNewForm, psql, orgForm } = require('./lib/payflow');

const SKIP = !process.env.HALL_VAR;

test('order_no__past_the_millionth_order__every_apply_saved_under_its_own_number', { skip: SKIP }, async () => {
    const clients = await Promise.all([atNewForm(), atNewForm(), atNewForm(), atNewForm()]);
    const before = psql(`SELECT last_value FROM order_no_seq`);
    psql(`SELECT setval('order_no_seq', 999997)`);
    let answers;
    try {
        /* twelve orders: serials 999998 to 1000009, four applicants at once */
        answers = [];
        for (let round = 0; round < 3; round++)
            answers.push(...await Promise.all(clients.map((c) =>
                c.post('/new/apply', { project: 'jieyang', ...orgForm() }))));
    } finally {
        /* the numbers given here have seven digits: later six-digit ones cannot meet them */
        psql(`SELECT setval('order_no_seq', ${before})`);
    }
    for (const r of answers)
        assert.equal(r.status, 200, r.text);
    const ids = answers.map((r) => r.body.redirect.match(/id=(\d+)/)[1]);
    const nos = psql(`SELECT order_no FROM orders WHERE id IN (${ids.join(',')}) ORDER BY id`).split('\n');
    assert.equal(nos.length, 12);
    assert.equal(new Set(nos).size, 12, nos.join(' '));
    const serials = nos.map((n) => n.match(/^N\d{8}(\d+)$/)[1]).sort();
    assert.deepEqual(serials, ['1000000', '1000001', '1000002', '1000003', '1000004', '1000005',
        '1000006', '1000007', '1000008', '1000009', '999998', '999999']);
});
