'use strict';
/*
 * The reports' daily roll-up (sql/024_report_rollup.sql): the answers are
 * the same whether a day is read live from the orders, payments, refunds,
 * micro-deposits and certificates or from the roll-up, and stay right when
 * rows of rolled-up days change (new orders, payments and refunds written
 * concurrently): every report and group is compared before and after a
 * refresh, and the totals with aggregates computed here straight from the
 * tables.  History in June 2026, a range no other test writes into.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFile, execFileSync } = require('node:child_process');
const { promisify } = require('node:util');
const { Client } = require('./lib/client');
const { staffSignIn } = require('./lib/staff');

const psqlCmd = () => {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return cmd;
};
function psql(sql) {
    const cmd = psqlCmd();
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}
async function psqlAsync(sql) {
    const cmd = psqlCmd();
    const r = await promisify(execFile)(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' });
    return r.stdout.trim();
}

const FROM = '2026-06-01', TO = '2026-06-10';
const RANGE = `from=${FROM}&to=${TO}`;
const at = (d) => `'2026-06-${d} 12:00:00+08'`;
const GROUPS = {
    orders: ['day', 'partner', 'business', 'status'],
    revenue: ['day', 'partner', 'business'],
    review: ['partner', 'business', 'day'],
    funnel: ['all', 'partner', 'business', 'day'],
    finauth: ['all', 'day', 'partner'],
    certs: ['all', 'partner', 'business'],
};

let reporter, tag, uid;
let seq = 0;

const product = (p) => `(SELECT id FROM products WHERE partner_code = '${p}' ORDER BY id LIMIT 1)`;
function orderSql(partner, status, created, extra = {}) {
    const row = {
        order_no: `'RLU${tag}${++seq}'`, user_id: uid, partner_code: `'${partner}'`,
        business_type: "'new'", product_id: product(partner), cert_type: "'org'", years: 1,
        status: `'${status}'`, cert_fen: 35000, created_at: at(created), updated_at: at(created),
        ...extra,
    };
    return `INSERT INTO orders (${Object.keys(row).join(', ')}) VALUES (${Object.values(row).join(', ')})
        RETURNING id`;
}
const paySql = (id, fen, day) => `INSERT INTO payments (order_id, attempt, method, amount_fen, status,
    out_trade_no, paid_at) VALUES (${id}, 1, 'wechat', ${fen}, 'paid', 'RLU${tag}${++seq}-1', ${at(day)})
    RETURNING id`;
const refundSql = (id, payId, fen, day) => `INSERT INTO refunds (order_id, payment_id, kind, amount_fen,
    status, done_at) VALUES (${id}, ${payId}, 'request', ${fen}, 'done', ${at(day)})`;
const finauthSql = (id, result, day) => `INSERT INTO finauth_attempts (order_id, memo_kind, code_hash,
    result, created_at) VALUES (${id}, 'code', decode(repeat('00', 32), 'hex'), '${result}', ${at(day)})`;
const certSql = (id, day) => `INSERT INTO certificates (serial, order_id, ca, state, subject_cn, not_before,
    not_after, der, issued_at) VALUES ('${crypto.randomBytes(8).toString('hex').toUpperCase()}', ${id},
    'ecc', 'issued', 'rollup test', ${at(day)}, (${at(day)})::timestamptz + interval '1 year', '\\x00',
    ${at(day)})`;

before(async () => {
    tag = crypto.randomBytes(4).toString('hex');
    uid = psql(`INSERT INTO users (phone_enc, phone_idx)
        VALUES ('\\x00', decode(md5('rollup-${tag}'), 'hex')) RETURNING id`);
    psql(orderSql('hunan', 'draft', '01'));
    const b = psql(orderSql('hunan', 'delivered', '01', {
        submitted_at: at('02'), review_due: "'2026-06-04'", decided_at: at('03'),
        issued_reached_at: at('04'),
    }));
    const c = psql(orderSql('jieyang', 'refunded', '02', { cert_fen: 60000 }));
    const d = psql(orderSql('jieyang', 'rejected', '03', {
        submitted_at: at('03'), review_due: "'2026-06-04'", decided_at: at('08'),
    }));
    psql(paySql(b, 35000, '01'));
    const pc = psql(paySql(c, 60000, '02'));
    psql(refundSql(c, pc, 60000, '05'));
    psql(paySql(d, 35000, '03'));
    psql(finauthSql(b, 'verified', '01'));
    psql(finauthSql(d, 'failed', '03'));
    psql(certSql(b, '04'));
    reporter = new Client();
    const r = await staffSignIn(reporter, 'report', 'Report2026demo');
    assert.equal(r.status, 200, r.text);
});

/* every report and group over the range, as JSON */
async function all() {
    const out = {};
    for (const [name, groups] of Object.entries(GROUPS))
        for (const g of groups) {
            const r = await reporter.getJSON(`/report/${name}?group=${g}&${RANGE}`);
            assert.equal(r.status, 200, JSON.stringify(r.body));
            out[`${name}/${g}`] = { rows: r.body.rows, totals: r.body.totals };
        }
    return out;
}

/* the totals computed from the tables themselves, the way the reports
 * read them before the roll-up */
function direct() {
    const range = (col) => `${col} >= '${FROM}'::date AND ${col} < '${TO}'::date + 1`;
    const [orders, paid, fen, delivered] = psql(`SELECT count(*) || '|' || count(*) FILTER (WHERE reached & 2 <> 0)
        || '|' || coalesce(sum(amount_fen) FILTER (WHERE reached & 2 <> 0), 0)
        || '|' || count(*) FILTER (WHERE reached & 16 <> 0) FROM orders WHERE ${range('created_at')}`)
        .split('|').map(Number);
    const [gross, refund] = psql(`SELECT coalesce(sum(fen) FILTER (WHERE fen > 0), 0) || '|'
        || coalesce(-sum(fen) FILTER (WHERE fen < 0), 0) FROM report_money WHERE ${range('at')}`)
        .split('|').map(Number);
    const [attempts, failed] = psql(`SELECT count(*) || '|' || count(*) FILTER (WHERE result = 'failed')
        FROM finauth_attempts WHERE ${range('created_at')}`).split('|').map(Number);
    const decided = Number(psql(`SELECT count(*) FROM orders WHERE ${range('decided_at')}
        AND review_due IS NOT NULL`));
    const issued = Number(psql(`SELECT count(*) FROM report_certificates WHERE ${range('issued_at')}`));
    return { orders, paid, fen, delivered, gross, refund, attempts, failed, decided, issued };
}

function totals(a) {
    return {
        orders: a['orders/day'].totals.orders, paid: a['orders/status'].totals.paid,
        fen: a['orders/partner'].totals.paid_amount_fen, delivered: a['funnel/all'].totals.delivered,
        gross: a['revenue/day'].totals.gross_fen, refund: a['revenue/partner'].totals.refund_fen,
        attempts: a['finauth/all'].totals.attempts, failed: a['finauth/partner'].totals.failed,
        decided: a['review/day'].totals.decided, issued: a['certs/all'].totals.issued,
    };
}

/* the refresh hall-outbox runs; -1 while the worker's own one holds the lock */
async function refresh() {
    for (let i = 0; i < 100; i++) {
        if (Number(psql('SELECT report_rollup_refresh()')) >= 0)
            return;
        await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.fail('the roll-up refresh never got its lock');
}

/* the range is wholly rolled up: before upto, no dirty day, rows stored */
function assertRolledUp() {
    assert.equal(psql(`SELECT upto > '${TO}' FROM report_rollup_state`), 't');
    assert.equal(psql(`SELECT count(*) FROM report_dirty WHERE day BETWEEN '${FROM}' AND '${TO}'`), '0');
    assert.ok(Number(psql(`SELECT count(*) FROM report_roll_orders WHERE day BETWEEN '${FROM}' AND '${TO}'`)) > 0);
}

test('report_rollup__same_answers_live_and_rolled_up__after_concurrent_orders_payments_refunds', async () => {
    /* the days just written are dirty (or rolled up by the worker since):
     * either way the answers are the tables' own figures */
    const live = await all();
    assert.deepEqual(totals(live), direct());
    assert.deepEqual(totals(live), {
        orders: 4, paid: 3, fen: 130000, delivered: 1, gross: 130000, refund: 60000,
        attempts: 2, failed: 1, decided: 2, issued: 1,
    });

    await refresh();
    assertRolledUp();
    assert.deepEqual(await all(), live, 'the roll-up answers exactly what the live read did');

    /* rows of rolled-up days change, written concurrently */
    const e = psql(orderSql('hunan', 'review', '06', { submitted_at: at('06') }));
    const b = psql(`SELECT id FROM orders WHERE order_no LIKE 'RLU${tag}%' AND status = 'delivered'`);
    const payB = psql(`SELECT id FROM payments WHERE order_id = ${b}`);
    await Promise.all([
        psqlAsync(orderSql('jieyang', 'finauth_ok', '02')).then((id) => psqlAsync(paySql(id, 35000, '07'))),
        psqlAsync(orderSql('hunan', 'draft', '09')),
        psqlAsync(paySql(e, 35000, '06')).then(() =>
            /* approved (the trigger stamps now()), then dated back to the 7th */
            psqlAsync(`UPDATE orders SET status = 'accepted' WHERE id = ${e};
                UPDATE orders SET decided_at = ${at('07')}, review_due = '2026-06-08' WHERE id = ${e}`)),
        psqlAsync(refundSql(b, payB, 35000, '08')),
        psqlAsync(finauthSql(e, 'failed', '06')),
        psqlAsync(`UPDATE finauth_attempts SET result = 'locked'
            WHERE order_id = ${b} AND result = 'verified'`),
    ]);
    const changed = await all();
    assert.deepEqual(totals(changed), direct());
    assert.deepEqual(totals(changed), {
        orders: 7, paid: 5, fen: 200000, delivered: 1, gross: 200000, refund: 95000,
        attempts: 3, failed: 2, decided: 3, issued: 1,
    });
    assert.equal(changed['finauth/all'].totals.locked, 1);
    assert.equal(changed['orders/day'].rows.find((r) => r.key === '2026-06-09').orders, 1);

    await refresh();
    assertRolledUp();
    assert.deepEqual(await all(), changed, 'the refreshed roll-up answers what the live read did');
});
