'use strict';
/*
 * 我的业务单's total (共N条) and pages while orders come in: the total is a
 * count kept by triggers (sql/029_order_counts.sql) and read with the
 * session and page 1 in one statement (modules/center/center.c,
 * orders_first).  Applications submitted in parallel, a bulk INSERT from
 * another connection and list reads all at once: every answer's rows and
 * total come from one snapshot, and the final total is the number of rows.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { applicant, Client } = require('./lib/client');
const { psql, orgForm } = require('./lib/payflow');

const run = promisify(execFile);

/* psql from another process, not waited for here: a second writer */
function psqlAsync(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    return run(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' });
}

function consistent(r, what) {
    assert.equal(r.status, 200, what);
    const { total, pages, orders } = r.body;
    assert.equal(orders.length, Math.min(20, total), `${what}: rows of page 1 against 共${total}条`);
    assert.equal(pages, Math.max(1, Math.ceil(total / 20)), `${what}: pages`);
}

test('center_orders__orders_added_concurrently__total_and_pages_stay_right', async () => {
    const c = await applicant();
    const other = await applicant();
    assert.equal((await c.get('/new?project=jieyang')).status, 200);
    assert.equal((await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' }))
        .status, 200);
    const empty = await c.getJSON('/center/orders');
    assert.deepEqual([empty.body.total, empty.body.pages, empty.body.orders.length], [0, 1, 0]);
    const first = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(first.status, 200, first.text);
    const firstId = first.body.redirect.match(/id=(\d+)/)[1];
    const uid = psql(`SELECT user_id FROM orders WHERE id = ${firstId}`);

    /* 10 submits, 25 rows from another connection, 12 reads: all at once */
    const applies = Array.from({ length: 10 }, (_, i) =>
        c.post('/new/apply', { project: 'jieyang',
            ...orgForm({ org_name: `并发${i}公司`, bank_account_name: `并发${i}公司` }) }));
    const bulk = psqlAsync(`INSERT INTO orders (order_no, user_id, partner_code, business_type,
            product_id, cert_type, years, subject, cert_fen, created_at)
        SELECT 'C' || ${uid} || '-' || g, ${uid}, 'jieyang', 'new', product_id, 'org', 1,
               '批量' || g, 60000, now() - make_interval(days => g)
          FROM orders, generate_series(1, 25) g WHERE id = ${firstId}`);
    const reads = Array.from({ length: 12 }, () => c.getJSON('/center/orders'));
    const [done, , seen] = await Promise.all([Promise.all(applies), bulk, Promise.all(reads)]);
    for (const r of done)
        assert.equal(r.status, 200, r.text);
    seen.forEach((r, i) => {
        consistent(r, `read ${i}`);
        assert.ok(r.body.total >= 1 && r.body.total <= 36, String(r.body.total));
    });

    const rows = Number(psql(`SELECT count(*) FROM orders WHERE user_id = ${uid}`));
    assert.equal(rows, 36);
    const p1 = await c.getJSON('/center/orders');
    consistent(p1, 'after');
    assert.equal(p1.body.total, 36);
    assert.equal(p1.body.pages, 2);
    /* newest first: the last submit is on top, the bulk rows (days old) last */
    assert.match(p1.body.orders[0].subject, /并发\d公司/);
    const p2 = await c.getJSON('/center/orders?page=2');
    assert.equal(p2.body.total, 36);
    assert.equal(p2.body.orders.length, 16);
    assert.equal(p2.body.orders[0].seq, 21);
    const html = await c.get('/center/orders');
    assert.match(html.text, /共36条，第1\/2页/);

    /* orders removed in bulk (by hand, as bench/run does) count too */
    psql(`DELETE FROM orders WHERE user_id = ${uid} AND order_no LIKE 'C%'
            AND created_at < now() - interval '20 days 12 hours'`);
    const left = await c.getJSON('/center/orders');
    assert.equal(left.body.total, 31);
    assert.equal(left.body.pages, 2);

    /* someone else's orders are not counted, and an anonymous visitor sees none */
    const o = await other.getJSON('/center/orders');
    assert.deepEqual([o.body.total, o.body.orders.length], [0, 0]);
    const anon = new Client();
    assert.equal((await anon.getJSON('/center/orders')).status, 401);
    const page = await anon.get('/center/orders');
    assert.equal(page.status, 303);
    assert.match(page.headers.get('location'), /^\/login\?next=%2Fcenter%2Forders$/);
});

test('center_orders__expired_session__sent_to_login', async () => {
    const c = await applicant();
    assert.equal((await c.getJSON('/center/orders')).status, 200);
    /* the session row is gone (logged out elsewhere, or expired) */
    const token = c.jar.get('hall_sid');
    psql(`UPDATE sessions SET idle_expires = now() - interval '1 second'
            WHERE token_hash = sha256(convert_to('${token}', 'UTF8'))`);
    const r = await c.get('/center/orders');
    assert.equal(r.status, 303);
    assert.match(r.headers.get('location'), /^\/login\?next=/);
    assert.equal((await c.getJSON('/center/orders')).status, 401);
});
