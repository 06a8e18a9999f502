'use strict';
/*
 * 我的证书 over years of orders (modules/center): an agent whose orders
 * produced more certificates than a page holds sees every one of them,
 * page after page, newest order first, each once.  The list used to stop
 * at its 500th row without a word.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const { psql } = require('./lib/pki');
const { unpaidOrder } = require('./lib/payflow');

const CERTS = 520;

test('mycerts__more_certificates_than_a_page__every_one_listed_once_over_the_pages', async () => {
    const c = await applicant();
    const o = await unpaidOrder(c);
    const tag = `P${Date.now() % 1e9}`;
    /* CERTS - 1 more orders of the same applicant, each with its certificate,
     * delivered: none waits in the operators' 邮寄 queue of later tests */
    psql(`INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type, years,
            status, step, subject, cert_fen, shipping_fen, submitted_at, review_due, reached, created_at,
            updated_at)
          SELECT '${tag}' || g, user_id, partner_code, business_type, product_id, cert_type, years, 'delivered',
            step, subject, cert_fen, shipping_fen, now(), current_date, order_reached_bits('delivered'),
            now() - g * interval '1 hour', now()
            FROM orders, generate_series(1, ${CERTS - 1}) g WHERE id = ${o.id}`);
    psql(`UPDATE orders SET status = 'delivered', reached = order_reached_bits('delivered') WHERE id = ${o.id}`);
    psql(`INSERT INTO certificates (serial, order_id, ca, state, subject_cn, not_before, not_after, der,
            issued_at)
          SELECT upper(lpad(to_hex(id), 16, '0')), id, 'ecc', 'issued', subject, now(),
            now() + interval '1 year', '\\x00', now()
            FROM orders WHERE user_id = (SELECT user_id FROM orders WHERE id = ${o.id})`);
    const want = psql(`SELECT string_agg(c.serial, ',' ORDER BY c.order_id DESC) FROM certificates c
        JOIN orders x ON x.id = c.order_id WHERE x.user_id = (SELECT user_id FROM orders WHERE id = ${o.id})`)
        .split(',');
    assert.equal(want.length, CERTS);

    const seen = [];
    let page = 1;
    for (;;) {
        const r = await c.getJSON(`/center/certs?page=${page}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.page, page);
        assert.ok(r.body.certs.length <= 100, `page ${page}: ${r.body.certs.length} rows`);
        seen.push(...r.body.certs.map((x) => x.serial));
        if (!r.body.next_page)
            break;
        assert.equal(r.body.next_page, page + 1);
        page++;
        assert.ok(page < 20, 'the pages end');
    }
    assert.deepEqual(seen, want, 'every certificate once, newest order first');

    /* the HTML page links to the next one; a page past the end is empty, a bad one refused */
    const html = await c.get('/center/certs?page=2');
    assert.equal(html.status, 200);
    assert.match(html.text, /href="[^"]*\/center\/certs\?page=3">下一页/);
    assert.match(html.text, /href="[^"]*\/center\/certs\?page=1">上一页/);
    const past = await c.getJSON('/center/certs?page=99');
    assert.equal(past.status, 200);
    assert.deepEqual(past.body.certs, []);
    const bad = await c.getJSON('/center/certs?page=0');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.field, 'page');
});
