'use strict';
/*
 * The review queue's search (modules/admin, 审核队列): by an order number,
 * that order alone when it waits for review; by part of the 主题, every
 * order of the queue whose 主题 holds it, with the count of the matches.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const { psql, reviewer } = require('./lib/pki');
const { unpaidOrder } = require('./lib/payflow');

test('review_queue__search_by_order_number_or_part_of_the_subject__the_matching_orders_in_review', async () => {
    const c = await applicant();
    const tag = String(Date.now() % 1e8);
    const ids = [];
    for (let i = 0; i < 2; i++) {
        const o = await unpaidOrder(c);
        psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 3,
            subject = '检索${tag}测试单位${i}' WHERE id = ${o.id}`);
        ids.push(o.id);
    }
    const nos = ids.map((id) => psql(`SELECT order_no FROM orders WHERE id = ${id}`));
    assert.match(nos[0], /^[A-Z][0-9]{14,}$/);
    const staff = await reviewer();
    const search = async (q) => {
        const r = await staff.getJSON(`/admin/review?q=${encodeURIComponent(q)}`);
        assert.equal(r.status, 200, r.text);
        return r.body;
    };

    const one = await search(nos[1]);
    assert.deepEqual(one.orders.map((o) => o.order_no), [nos[1]]);
    assert.equal(one.total, 1);
    assert.equal(one.pages, 1);

    const both = await search(`检索${tag}`);
    assert.deepEqual(both.orders.map((o) => o.order_no).sort(), [...nos].sort());
    assert.equal(both.total, 2);

    /* out of the queue, its number finds nothing */
    psql(`UPDATE orders SET status = 'accepted' WHERE id = ${ids[1]}`);
    const gone = await search(nos[1]);
    assert.deepEqual(gone.orders, []);
    assert.equal(gone.total, 0);
    assert.deepEqual((await search(`检索${tag}`)).orders.map((o) => o.order_no), [nos[0]]);
});
