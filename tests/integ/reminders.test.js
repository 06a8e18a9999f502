'use strict';
/*
 * Expiry reminders (core/biz/reminder.c, issue 24): hall-outbox's tick
 * sends an SMS 30 and 7 days before a certificate's notAfter, each exactly
 * once, to the holder (the account's phone) and the agent, with the link of
 * 证书更新; none for a certificate that was renewed, revoked or expired.
 * The certificates' ends are moved in the test database; the tick runs in
 * the outbox's two "other" workers every 5 s, and here in three
 * `hall-pkitool reminders` at the same moment besides.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { HALL, applicant, freshPhone } = require('./lib/client');
const { operator, psql, orgForm, staffRevoke } = require('./lib/pki');
const { unpaidOrder } = require('./lib/payflow');
const { smsMessages, waitFor, sleep } = require('./lib/hall');

async function issued(c, op) {
    const agent = freshPhone('137');
    const o = await unpaidOrder(c, { form: orgForm({ agent_mobile: agent }) });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${o.id}`);
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    return { id: o.id, serial, agent };
}

/* the certificate's end moved to `days` from now */
function endsIn(cert, days) {
    psql(`UPDATE certificates SET not_after = now() + interval '${days} days' WHERE serial = '${cert.serial}'`);
}

/* n ticks at the same moment, as n outbox workers would run them */
function ticks(n) {
    return Promise.all(Array.from({ length: n }, () => new Promise((ok, fail) => {
        const p = spawn(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'),
            ['-c', process.env.HALL_CONF, 'reminders'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        p.on('error', fail);
        p.on('close', (rc) => (rc === 0 ? ok(out) : fail(new Error(`hall-pkitool reminders: ${rc} ${out}`))));
    })));
}

const reminders = async (phone, serial) => (await smsMessages(phone))
    .filter((m) => m.text.includes(`序列号${serial}）将于`));

test('reminders__30_then_7_days_before_the_end__each_once_under_concurrent_ticks__with_the_renewal_link', async () => {
    const op = await operator();
    const c = await applicant();
    const cert = await issued(c, op);

    endsIn(cert, 29);
    await ticks(3);
    const ends = psql(`SELECT to_char(not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') FROM certificates
        WHERE serial = '${cert.serial}'`);
    const first = await waitFor('the 30-day reminder', async () => (await reminders(c.phone, cert.serial))[0]);
    assert.equal(first.text, `【深圳CA】您好，您申请的数字证书（深圳测试科技有限公司，序列号${cert.serial}）将于${ends}到期。`
        + `如需继续使用，请在证书到期前办理证书更新：${HALL}/renew/serial?project=jieyang&serial=${cert.serial}`
        + ' 。证书到期后将不能使用。');
    await waitFor('the agent\'s 30-day reminder', async () => (await reminders(cert.agent, cert.serial)).length > 0);
    /* more ticks, and the outbox's own (every 5 s in each of its two workers) */
    await ticks(3);
    await sleep(6000);
    assert.equal((await reminders(c.phone, cert.serial)).length, 1, 'the 30-day reminder once to the holder');
    assert.equal((await reminders(cert.agent, cert.serial)).length, 1, 'and once to the agent');
    assert.equal(psql(`SELECT string_agg(days::text, ',') FROM cert_reminders WHERE serial = '${cert.serial}'`), '30');

    /* 7 days before: the last one, once */
    endsIn(cert, 6);
    await ticks(3);
    await waitFor('the 7-day reminder', async () => (await reminders(c.phone, cert.serial)).length === 2);
    await ticks(2);
    await sleep(6000);
    assert.equal((await reminders(c.phone, cert.serial)).length, 2);
    assert.equal((await reminders(cert.agent, cert.serial)).length, 2);
    assert.equal(psql(`SELECT string_agg(days::text, ',' ORDER BY days) FROM cert_reminders
        WHERE serial = '${cert.serial}'`), '7,30');
});

test('reminders__a_certificate_found_within_7_days_gets_only_the_last_one', async () => {
    const op = await operator();
    const c = await applicant();
    const cert = await issued(c, op);
    endsIn(cert, 3);
    await ticks(2);
    await waitFor('the reminder', async () => (await reminders(c.phone, cert.serial)).length > 0);
    await sleep(6000);
    assert.equal((await reminders(c.phone, cert.serial)).length, 1);
    assert.equal(psql(`SELECT string_agg(days::text, ',') FROM cert_reminders WHERE serial = '${cert.serial}'`), '7');
});

test('reminders__none_for_a_renewed_revoked_or_expired_certificate', async () => {
    const op = await operator();
    const c = await applicant();
    const control = await issued(c, op);
    const renewed = await issued(c, op);
    const revoked = await issued(c, op);
    const expired = await issued(c, op);
    /* renewed: an order replacing it made its own live certificate */
    const successor = await issued(c, op);
    psql(`UPDATE orders SET business_type = 'renew', reissue_of = '${renewed.serial}' WHERE id = ${successor.id}`);
    const rv = await staffRevoke(revoked.serial, 'cessationOfOperation', op);
    assert.equal(rv.status, 200, rv.text);
    for (const k of [control, renewed, revoked])
        endsIn(k, 20);
    psql(`UPDATE certificates SET not_before = now() - interval '400 days', not_after = now() - interval '1 day'
        WHERE serial = '${expired.serial}'`);

    await ticks(2);
    await waitFor('the control\'s reminder', async () => (await reminders(c.phone, control.serial)).length > 0);
    await sleep(6000);
    for (const k of [renewed, revoked, expired]) {
        assert.equal((await reminders(c.phone, k.serial)).length, 0, `no reminder for ${k.serial}`);
        assert.equal((await reminders(k.agent, k.serial)).length, 0);
        assert.equal(psql(`SELECT count(*) FROM cert_reminders WHERE serial = '${k.serial}'`), '0');
    }
    /* the successor itself is not due (a year left) */
    assert.equal(psql(`SELECT count(*) FROM cert_reminders WHERE serial = '${successor.serial}'`), '0');
});
