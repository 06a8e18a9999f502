'use strict';
/*
 * The reports (modules/report) through nginx: every report and group in
 * JSON and CSV over a small history written with SQL into April 2026 (a
 * range no other test writes into: Qingming, 4-6 April, is a holiday, so
 * working days are counted with the calendar), bad parameters answered 400
 * naming the parameter, and the report role required.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { Client } = require('./lib/client');
const { staffSignIn } = require('./lib/staff');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

async function staff(login, password) {
    const c = new Client();
    const r = await staffSignIn(c, login, password);
    assert.equal(r.status, 200, r.text);
    return c;
}

const RANGE = 'from=2026-04-01&to=2026-04-10';

/* a signed certificate of an order (the certificates table of 014_pki.sql) */
function certificate(orderId, issuedAt, years) {
    const serial = crypto.randomBytes(8).toString('hex').toUpperCase();
    psql(`INSERT INTO certificates (serial, order_id, ca, state, subject_cn, not_before, not_after,
        der, issued_at) VALUES ('${serial}', ${orderId}, 'ecc', 'issued', 'report test',
        ${issuedAt}, (${issuedAt})::timestamptz + interval '${years} years', '\\x00', ${issuedAt})`);
}
let reporter;

/* 12:00 China time: the same calendar day whatever the server's zone */
const at = (d) => `'2026-04-${d} 12:00:00+08'`;

before(async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const uid = psql(`INSERT INTO users (phone_enc, phone_idx)
        VALUES ('\\x00', decode(md5('report-${tag}'), 'hex')) RETURNING id`);
    const product = (p) => `(SELECT id FROM products WHERE partner_code = '${p}' ORDER BY id LIMIT 1)`;
    const order = (no, partner, status, created, extra = {}) => {
        const row = {
            order_no: `'RPT${tag}${no}'`, user_id: uid, partner_code: `'${partner}'`,
            business_type: "'new'", product_id: product(partner), cert_type: "'org'", years: 1,
            status: `'${status}'`, cert_fen: 35000, created_at: at(created), updated_at: at(created),
            ...extra,
        };
        return psql(`INSERT INTO orders (${Object.keys(row).join(', ')})
            VALUES (${Object.values(row).join(', ')}) RETURNING id`);
    };
    const pay = (id, n, fen, day) => psql(`INSERT INTO payments (order_id, attempt, method,
        amount_fen, status, out_trade_no, paid_at) VALUES (${id}, 1, 'wechat', ${fen}, 'paid',
        'RPT${tag}${n}-1', ${at(day)}) RETURNING id`);

    order('A', 'hunan', 'draft', '01');
    /* on time: submitted Friday 3rd, decided Tuesday 7th after the
     * Qingming holiday = 1 working day; later issued and delivered */
    const b = order('B', 'hunan', 'delivered', '01', {
        submitted_at: at('03'), review_due: "'2026-04-07'", decided_at: at('07'),
        issued_reached_at: at('08'),
    });
    /* paid on the 1st, refunded on the 2nd (a refund paid back then) */
    const c = order('C', 'hunan', 'refunded', '01', { updated_at: at('02') });
    /* late: submitted Thursday 2nd, due Friday 3rd, decided Wednesday 8th = 3 working days */
    const d = order('D', 'jieyang', 'rejected', '02', {
        cert_fen: 60000, submitted_at: at('02'), review_due: "'2026-04-03'", decided_at: at('08'),
    });
    pay(b, 'B', 35000, '01');
    const payC = pay(c, 'C', 35000, '01');
    psql(`INSERT INTO refunds (order_id, payment_id, kind, amount_fen, status, done_at)
        VALUES (${c}, ${payC}, 'request', 35000, 'done', ${at('02')})`);
    /* B's certificate, signed on the 8th */
    certificate(b, at('08'), 1);
    pay(d, 'D', 60000, '02');
    for (const result of ['failed', 'verified'])
        psql(`INSERT INTO finauth_attempts (order_id, memo_kind, code_hash, result, created_at)
            VALUES (${c}, 'code', decode(repeat('00', 32), 'hex'), '${result}', ${at('01')})`);
    reporter = await staff('report', 'Report2026demo');
});

async function report(name, query) {
    const r = await reporter.getJSON(`/report/${name}?${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ok, true);
    return r.body;
}

const byKey = (body) => Object.fromEntries(body.rows.map((r) => [r.key, r]));

test('report_orders__each_group__counts_and_paid_amount', async () => {
    let b = await report('orders', `group=partner&${RANGE}`);
    assert.equal(b.group, 'partner');
    assert.equal(b.from, '2026-04-01');
    assert.equal(b.to, '2026-04-10');
    let rows = byKey(b);
    assert.deepEqual(Object.keys(rows).sort(), ['hunan', 'jieyang']);
    assert.match(rows.hunan.label, /湖南/);
    assert.deepEqual([rows.hunan.orders, rows.hunan.submitted, rows.hunan.paid, rows.hunan.paid_amount_fen],
        [3, 2, 2, 70000]);
    assert.deepEqual([rows.jieyang.orders, rows.jieyang.paid_amount_fen], [1, 60000]);
    assert.deepEqual([b.totals.orders, b.totals.paid, b.totals.paid_amount_fen], [4, 3, 130000]);

    rows = byKey(await report('orders', `group=day&${RANGE}`));
    assert.deepEqual(Object.keys(rows), ['2026-04-01', '2026-04-02']);
    assert.equal(rows['2026-04-01'].orders, 3);
    assert.equal(rows['2026-04-02'].orders, 1);

    rows = byKey(await report('orders', `group=business&${RANGE}`));
    assert.equal(rows.new.label, '证书新办');
    assert.equal(rows.new.orders, 4);

    rows = byKey(await report('orders', `group=status&${RANGE}`));
    assert.deepEqual(Object.keys(rows).sort(), ['delivered', 'draft', 'refunded', 'rejected']);
    assert.equal(rows.rejected.label, '审核驳回');
    assert.equal(rows.refunded.label, '已退费');
});

test('report_revenue__refund_subtracted_on_its_day_and_partner', async () => {
    let rows = byKey(await report('revenue', `group=day&${RANGE}`));
    assert.deepEqual(rows['2026-04-01'], { key: '2026-04-01', label: '2026-04-01', gross_fen: 70000, refund_fen: 0, net_fen: 70000 });
    assert.deepEqual([rows['2026-04-02'].gross_fen, rows['2026-04-02'].refund_fen, rows['2026-04-02'].net_fen],
        [60000, 35000, 25000]);
    const b = await report('revenue', `group=partner&${RANGE}`);
    rows = byKey(b);
    assert.deepEqual([rows.hunan.gross_fen, rows.hunan.refund_fen, rows.hunan.net_fen], [70000, 35000, 35000]);
    assert.equal(rows.jieyang.net_fen, 60000);
    assert.equal(b.totals.net_fen, 95000);
    rows = byKey(await report('revenue', `group=business&${RANGE}`));
    assert.equal(rows.new.net_fen, 95000);
    /* the refund happened on the 2nd: a range of the 1st alone has none */
    rows = byKey(await report('revenue', 'group=partner&from=2026-04-01&to=2026-04-01'));
    assert.equal(rows.hunan.refund_fen, 0);
    assert.equal(rows.hunan.net_fen, 70000);
});

test('report_review__working_days_with_the_holiday_calendar_and_on_time_share', async () => {
    const b = await report('review', `group=partner&${RANGE}`);
    const rows = byKey(b);
    assert.deepEqual([rows.hunan.decided, rows.hunan.on_time, rows.hunan.overdue], [1, 1, 0]);
    assert.equal(rows.hunan.on_time_pct, '100.0');
    /* Friday 3rd -> Tuesday 7th over Qingming (4th-6th): one working day */
    assert.equal(rows.hunan.avg_workdays, '1.0');
    assert.deepEqual([rows.jieyang.decided, rows.jieyang.on_time, rows.jieyang.overdue], [1, 0, 1]);
    assert.equal(rows.jieyang.on_time_pct, '0.0');
    assert.equal(rows.jieyang.avg_workdays, '3.0');
    assert.equal(b.totals.on_time_pct, '50.0');
    assert.equal(b.totals.avg_workdays, '2.0');
    const day = byKey(await report('review', `group=day&${RANGE}`));
    assert.deepEqual(Object.keys(day), ['2026-04-07', '2026-04-08']);
    const biz = byKey(await report('review', `group=business&${RANGE}`));
    assert.equal(biz.new.decided, 2);
});

test('report_funnel__every_stage_by_status_names_including_issued_and_delivered', async () => {
    const b = await report('funnel', RANGE);
    assert.equal(b.group, 'all');
    assert.equal(b.rows.length, 1);
    const r = b.rows[0];
    assert.deepEqual([r.started, r.submitted, r.paid, r.approved, r.issued, r.delivered], [4, 3, 3, 1, 1, 1]);
    assert.equal(r.paid_pct, '75.0');
    assert.equal(r.approved_pct, '25.0');
    const rows = byKey(await report('funnel', `group=partner&${RANGE}`));
    assert.equal(rows.hunan.started, 3);
    assert.equal(rows.jieyang.approved, 0);
    assert.equal(byKey(await report('funnel', `group=day&${RANGE}`))['2026-04-01'].started, 3);
    assert.equal(byKey(await report('funnel', `group=business&${RANGE}`)).new.delivered, 1);
});

test('report_finauth__failure_rate_of_transfers', async () => {
    const b = await report('finauth', RANGE);
    const r = b.rows[0];
    assert.deepEqual([r.attempts, r.transferred, r.failed, r.verified, r.locked], [2, 2, 1, 1, 0]);
    assert.equal(r.failure_pct, '50.0');
    assert.equal(byKey(await report('finauth', `group=partner&${RANGE}`)).hunan.failed, 1);
    assert.equal(byKey(await report('finauth', `group=day&${RANGE}`))['2026-04-01'].attempts, 2);
});

test('report_certs__issued_in_range_and_expiring_soon', async () => {
    const b = await report('certs', RANGE);
    assert.equal(b.rows[0].issued, 1);
    assert.equal(byKey(await report('certs', `group=partner&${RANGE}`)).hunan.issued, 1);
    const before = (await report('certs', RANGE)).rows[0];
    /* a one-year certificate issued 345 days ago expires within 30 days */
    const uid = psql("SELECT user_id FROM orders WHERE order_no LIKE 'RPT%' LIMIT 1");
    const e = psql(`INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
        years, status, cert_fen, created_at, issued_reached_at)
        VALUES ('RPTE${crypto.randomBytes(4).toString('hex')}', ${uid}, 'hunan', 'new',
        (SELECT id FROM products WHERE partner_code = 'hunan' ORDER BY id LIMIT 1), 'org', 1,
        'issued', 35000, '2025-03-15', now() - interval '345 days') RETURNING id`);
    certificate(e, "now() - interval '345 days'", 1);
    const after = (await report('certs', RANGE)).rows[0];
    assert.equal(after.expiring_30 - before.expiring_30, 1);
    assert.equal(after.expiring_60 - before.expiring_60, 1);
    assert.equal(after.expiring_90 - before.expiring_90, 1);
    assert.equal(after.issued, before.issued);
    /* by business: the one certificate issued in range is 证书新办's, and
     * the expiring one counts there too (other tests' replacing orders may
     * have certificates expiring soon: rows of their own) */
    const biz = byKey(await report('certs', `group=business&${RANGE}`));
    assert.equal(biz.new.issued, 1);
    assert.ok(biz.new.expiring_30 >= 1, JSON.stringify(biz.new));
});

test('report_csv__bom_disposition_chinese_header_and_totals', async () => {
    const res = await fetch(`${reporter.base}/report/revenue?group=partner&${RANGE}&format=csv`, {
        headers: { Cookie: reporter.cookieHeader() },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv; charset=utf-8/);
    assert.match(res.headers.get('content-disposition'),
        /^attachment; filename="report-revenue-partner-2026-04-01-2026-04-10\.csv"$/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    assert.equal(lines[0], '合作方,收款（分）,退费（分）,净收入（分）');
    assert.ok(lines.some((l) => /^湖南[^,]*,70000,35000,35000$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('合计,130000,35000,95000'), lines.join('\n'));
    for (const [name, group] of [['orders', 'day'], ['orders', 'status'], ['review', 'partner'],
        ['funnel', 'all'], ['finauth', 'day'], ['certs', 'all']]) {
        const r = await fetch(`${reporter.base}/report/${name}?group=${group}&${RANGE}&format=csv`, {
            headers: { Cookie: reporter.cookieHeader() },
        });
        assert.equal(r.status, 200, `${name} ${group}`);
        const t = await r.text();
        assert.ok(t.split('\r\n').length >= 3, `${name} ${group}: header and rows`);
    }
});

test('report_bad_parameters__400_naming_the_parameter', async () => {
    const cases = [
        ['orders?group=week', 'group'],
        ['revenue?group=status', 'group'],
        ['orders?format=xml', 'format'],
        ['orders?from=2026-02-30', 'from'],
        ['orders?from=2026-4-1', 'from'],
        ['orders?to=yesterday', 'to'],
        ['orders?from=2026-04-10&to=2026-04-01', 'from'],
        ['orders?from=2001-01-01&to=2026-01-01', 'from'],
    ];
    for (const [q, field] of cases) {
        const r = await reporter.getJSON(`/report/${q}`);
        assert.equal(r.status, 400, q);
        assert.equal(r.body.field, field, q);
        assert.ok(r.body.message.includes(field), `${q}: ${r.body.message}`);
    }
    assert.equal((await reporter.getJSON('/report/nosuch')).status, 404);
});

test('report_role__report_only_others_403_anonymous_401_partner_path_404', async () => {
    const reviewer = await staff('reviewer', 'Reviewer2026demo');
    assert.equal((await reviewer.getJSON(`/report/orders?${RANGE}`)).status, 403);
    assert.equal((await reviewer.get('/report/')).status, 403);
    const anon = new Client();
    assert.equal((await anon.getJSON(`/report/orders?${RANGE}`)).status, 401);
    const page = await anon.get('/report/');
    assert.equal(page.status, 303);
    assert.match(page.headers.get('location'), /^\/admin\/login\?next=%2Freport%2F/);
    /* an applicant's session opens nothing here */
    assert.equal((await reporter.getJSON(`/hunan/report/orders?${RANGE}`)).status, 404);
});

test('report_page__tables_with_svg_bars_and_csv_links', async () => {
    const r = await reporter.get(`/report/?${RANGE}&group_revenue=partner`);
    assert.equal(r.status, 200);
    for (const name of ['orders', 'revenue', 'review', 'funnel', 'finauth', 'certs'])
        assert.match(r.text, new RegExp(`id="table-${name}"`));
    assert.match(r.text, /<svg class="bar"[^>]*><rect x="0" y="0" width="160"/);
    assert.match(r.text, /href="\/report\/revenue\?group=partner&amp;from=2026-04-01&amp;to=2026-04-10&amp;format=csv"/);
    const home = await reporter.get('/admin');
    assert.match(home.text, /href="\/report\/"/);
});
