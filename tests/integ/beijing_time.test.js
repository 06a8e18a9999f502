'use strict';
/*
 * Beijing time everywhere (docs/operations.md, "Time zone"): the test hall's
 * server is in UTC (script/test: TZ=UTC for the programs, timezone = 'UTC'
 * in the cluster's postgresql.conf), and the hall shows, prints and counts
 * Beijing dates by itself.
 *
 * 1. An order created at 16:30 UTC, 00:30 of the next day in Beijing: the
 *    printed 申请日期, the order page, the order list's dates and its filter, the
 *    orders report's day and a certificate's validity on the operator's page
 *    all say the Beijing date and time.
 * 2. What counts from "now" (the review due date, 今日到期, the order
 *    number's date, the reports' today) with the server's zone moved for the
 *    test to one whose calendar is on another date than Beijing's at this
 *    moment (UTC-12 or UTC+14; ALTER SYSTEM and a reload reach the sessions
 *    already open, as a changed postgresql.conf would).
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Client, applicant } = require('./lib/client');
const { psql, orgForm, unpaidOrder, inReview, staffLogin } = require('./lib/payflow');
const { staffSignIn } = require('./lib/staff');

const SKIP = process.env.HALL_PSQL && process.env.HALL_VAR ? false : 'needs script/test';

/* psql as the cluster's superuser (ALTER SYSTEM) */
function psqlSuper(sql) {
    const bin = (process.env.HALL_PSQL || 'psql').split(/\s+/)[0];
    return execFileSync(bin, ['-h', path.join(process.env.HALL_VAR, 'run', 'pg'), '-U', 'postgres',
        '-d', 'hall', '-X', '-q', '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

const DAY_MS = 86400000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
/* the Beijing date of a moment (UTC+8, no daylight saving) */
const beijingDay = (ms) => isoDay(ms + 8 * 3600000);

async function staff(login, password) {
    const c = new Client();
    const r = await staffSignIn(c, login, password);
    assert.equal(r.status, 200, r.text);
    return c;
}

test('beijing_time__order_made_at_1630_utc__pages_print_list_report_and_certificate_say_the_next_day',
    { skip: SKIP }, async () => {
        assert.equal(psql('SHOW timezone'), 'UTC', 'the test cluster is in UTC');
        /* a day of 2021 no other test writes into, at 16:30 UTC */
        const utcMs = Date.UTC(2021, crypto.randomInt(0, 12), crypto.randomInt(1, 28), 16, 30);
        const utcDay = isoDay(utcMs);
        const bjDay = beijingDay(utcMs);
        assert.notEqual(utcDay, bjDay);

        const c = await applicant();
        const o = await unpaidOrder(c, { form: orgForm() });
        psql(`UPDATE orders SET created_at = '${utcDay} 16:30:00+00' WHERE id = ${o.id}`);
        const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);

        const print = await c.get(`/new/print?id=${o.id}`);
        assert.equal(print.status, 200);
        assert.ok(print.text.includes(`申请日期：${bjDay} 00:30`),
            `the printed form's 申请日期 is ${bjDay} 00:30: ${print.text.match(/申请日期：[^<]*/)}`);

        const page = await c.get(`/center/order?id=${o.id}`);
        assert.equal(page.status, 200);
        assert.match(page.text, new RegExp(`<dt>创建时间</dt><dd>${bjDay} 00:30</dd>`));

        /* the list's 创建日期 is the Beijing day, on the first page (one
         * statement, the day sent as days since 2000-01-01) as on a filtered one */
        const first = await c.getJSON('/center/orders?page=1');
        assert.equal(first.status, 200, JSON.stringify(first.body));
        const row = first.body.orders.find((r) => r.id === String(o.id));
        assert.ok(row, 'the order is on the first page');
        assert.equal(row.created, bjDay, 'the first page says the Beijing day');
        const listed = await c.getJSON(`/center/orders?order_no=${no}`);
        assert.equal(listed.body.orders[0].created, bjDay, 'a filtered page says it too');

        /* the list's date filter takes Beijing days */
        const on = await c.get(`/center/orders?from=${bjDay}&to=${bjDay}`);
        assert.equal(on.status, 200);
        assert.ok(on.text.includes(no), `listed under ${bjDay}`);
        const before = await c.get(`/center/orders?from=${utcDay}&to=${utcDay}`);
        assert.equal(before.status, 200);
        assert.ok(!before.text.includes(no), `not listed under ${utcDay}`);

        /* the orders report counts it on the Beijing day */
        const reporter = await staff('report', 'Report2026demo');
        const rep = await reporter.getJSON(`/report/orders?group=day&from=${utcDay}&to=${bjDay}`);
        assert.equal(rep.status, 200, rep.text);
        const days = Object.fromEntries(rep.body.rows.map((r) => [r.key, r.orders]));
        assert.deepEqual(days, { [bjDay]: 1 }, 'one order, on the Beijing day');

        /* a certificate valid from that moment, revoked a day later at 16:45 UTC */
        const serial = crypto.randomBytes(8).toString('hex').toUpperCase();
        psql(`INSERT INTO certificates (serial, order_id, ca, state, subject_cn, not_before,
            not_after, revoke_reason, revoked_at, revoked_by) VALUES ('${serial}', ${o.id}, 'ecc',
            'revoked', 'beijing time', '${utcDay} 16:30:00+00', '${utcDay} 16:30:00+00'::timestamptz
            + interval '1 year', 5, '${utcDay} 16:45:00+00'::timestamptz + interval '1 day', 'test')`);
        const op = await staff('operator', 'Operator2026demo');
        const cert = await op.getJSON(`/admin/pki/certs?serial=${serial}`);
        assert.equal(cert.status, 200, cert.text);
        const nextYear = `${Number(bjDay.slice(0, 4)) + 1}${bjDay.slice(4)}`;
        const dayAfter = beijingDay(utcMs + DAY_MS);
        assert.equal(cert.body.cert.not_before, `${bjDay} 00:30:00`);
        assert.equal(cert.body.cert.not_after, `${nextYear} 00:30:00`);
        assert.equal(cert.body.cert.revoked_at, `${dayAfter} 00:45:00`);
    });

let zoneMoved = false;
after(() => {
    if (zoneMoved) {
        psqlSuper('ALTER SYSTEM RESET timezone');
        psqlSuper('SELECT pg_reload_conf()');
    }
});

test('beijing_time__server_zone_on_another_date__due_date_due_today_order_number_and_report_today_are_beijing',
    { skip: SKIP }, async () => {
        const nowMs = Date.now();
        /* UTC-12 is on the day before Beijing's until 20:00 Beijing, UTC+14
         * on the day after from 18:00 (POSIX names: the sign is reversed) */
        const bjHour = new Date(nowMs + 8 * 3600000).getUTCHours();
        const zone = bjHour < 19 ? 'Etc/GMT+12' : 'Etc/GMT-14';
        psqlSuper(`ALTER SYSTEM SET timezone = '${zone}'`);
        zoneMoved = true;
        psqlSuper('SELECT pg_reload_conf()');
        /* a session started after the reload has it; the sessions already
         * open were signalled before it and take it at their next statement */
        for (let i = 0; i < 100 && psql('SHOW timezone') !== zone; i++)
            await new Promise((ok) => setTimeout(ok, 50));
        assert.equal(psql('SHOW timezone'), zone);
        const today = () => psql(`SELECT beijing_day(now())`);
        const bjToday = today();
        assert.notEqual(psql('SELECT current_date'), bjToday,
            'the server is on another date than Beijing');

        const o = await inReview(orgForm());
        const bjAfter = today();
        const days = new Set([bjToday, bjAfter]); /* the test may cross Beijing's midnight */

        /* the order number carries the Beijing date */
        const noDay = o.no.slice(1, 9);
        assert.ok([...days].some((d) => d.replace(/-/g, '') === noDay),
            `order number ${o.no} carries the Beijing date ${bjToday}`);

        /* the review is due so many working days after the Beijing date */
        const due = psql(`SELECT review_due FROM orders WHERE id = ${o.id}`);
        const want = [...days].map((d) => psql(`SELECT add_workdays('${d}'::date, p.review_sla_days)
            FROM orders o JOIN partners p ON p.code = o.partner_code WHERE o.id = ${o.id}`));
        assert.ok(want.includes(due), `review due ${due}, counted from Beijing's ${bjToday}: ${want}`);

        /* due on Beijing's today: the reviewer sees 今日到期, not 已超期 */
        psql(`UPDATE orders SET review_due = beijing_day(now()) WHERE id = ${o.id}`);
        const reviewer = await staffLogin('reviewer', 'Reviewer2026demo');
        const queue = await reviewer.get('/admin/review');
        assert.equal(queue.status, 200);
        const row = queue.text.match(new RegExp(`<tr[^>]*data-id="${o.id}"[^>]*>([\\s\\S]*?)</tr>`));
        assert.ok(row, 'the order is in the review queue');
        assert.ok(row[1].includes('今日到期') && !row[1].includes('已超期'), row[1]);

        /* the applicant's daily count is on the Beijing day (sql/031) */
        const capDay = psql(`SELECT d.day FROM user_daily d JOIN orders o ON o.user_id = d.user_id
            WHERE o.id = ${o.id}`);
        assert.ok(days.has(capDay), `daily cap day ${capDay}`);

        /* the orders report's default range ends on Beijing's today and
         * counts today's orders there */
        const reporter = await staff('report', 'Report2026demo');
        const rep = await reporter.getJSON('/report/orders?group=day');
        assert.equal(rep.status, 200, rep.text);
        assert.ok(days.has(rep.body.to), `the range ends on ${rep.body.to}`);
        const row2 = rep.body.rows.find((r) => days.has(r.key));
        assert.ok(row2 && row2.orders >= 1, `today's orders on Beijing's day: ${JSON.stringify(rep.body.rows)}`);
        assert.ok(!rep.body.rows.some((r) => r.key > rep.body.to), 'no day after Beijing\'s today');
    });
