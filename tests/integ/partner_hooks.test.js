'use strict';
/*
 * Status webhooks to a partner (issue 55, docs/partners.md "Status
 * webhooks"): a partner configured as data (partners.hook_url, hook_events,
 * hook_secret) hears every event of a bidder's journey — submitted, paid,
 * approved, certificate issued, shipped, revoked — once each, signed twice
 * (HMAC-SHA256 and a CMS by the hall's key "hook" under its CA), in the
 * order they happened, although its receiver failed for more than an hour
 * of the published schedule before it came back; the time is moved in the
 * database (outbox.next_attempt_at), never waited for.  An event that used
 * up its 14 tries is dead, listed in the staff console and sent again from
 * there; nothing personal goes beyond the contract.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { SANDBOX, HALL } = require('./lib/client');
const { psql, orgForm, unpaidOrder } = require('./lib/payflow');
const { inReview, approve, staffLogin } = require('./lib/payflow');
const { operator, staffRevoke, tmpdir, fetchPki } = require('./lib/pki');
const { SKIP, waitFor, newPhone, sendCode, Client } = require('./lib/hall');
const { applicant } = require('./lib/client');
const { toApply } = require('./lib/seal');
const crypto = require('node:crypto');
const { setPartnerSecret, addPartnerKey } = require('./lib/secrets');

const SECRET = 'test-only-jieyang-hook-secret-0123456789';
const SCHEDULE = [15, 30, 60, 120, 300, 600, 1200, 1800, 1800, 3600, 3600, 7200, 18000];

async function sb(p, body) {
    const r = await fetch(SANDBOX + p, body === undefined ? {} : {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return r.json();
}
const fault = (mode) => sb('/sandbox/faults', { service: 'partner', mode });
const received = async () => (await sb('/sandbox/partner/received?partner=jieyang')).received;

/* the partner's events of an order: id, event, job status, attempts, seconds to the next try */
function events(orderId) {
    return psql(`SELECT e.id, e.event, o.status, o.attempts,
                        round(extract(epoch FROM o.next_attempt_at - now()))::int, o.id
                 FROM partner_events e JOIN outbox o ON o.id = e.outbox_id
                 WHERE e.order_id = ${orderId} ORDER BY e.id`)
        .split('\n').filter(Boolean).map((l) => {
            const [id, event, status, attempts, wait, job] = l.split('|');
            return { id, event, status, attempts: Number(attempts), wait: Number(wait), job: Number(job) };
        });
}

before(async () => {
    if (SKIP)
        return;
    setPartnerSecret('jieyang', 'hook', SECRET);
    psql(`UPDATE partners SET hook_url = '${SANDBOX}/partner/hook/jieyang',
        hook_events = '{order.submitted,order.rejected,order.approved,order.paid,cert.issued,order.shipped,cert.revoked,seal.made}'
        WHERE code = 'jieyang'`);
    const dir = tmpdir();
    await fetchPki(dir);
    await sb('/sandbox/partner/config', { partner: 'jieyang', secret: SECRET, ca_file: `${dir}/root.crt`, clear: true });
});

after(async () => {
    if (SKIP)
        return;
    await fault('ok');
    psql(`UPDATE partners SET hook_url = NULL, hook_secret = NULL, hook_events = '{}' WHERE code = 'jieyang'`);
});

test('partner_hooks__journey_while_receiver_down_an_hour__each_event_once_signed_in_order', { skip: SKIP }, async () => {
    await fault('fail');
    const form = orgForm({ agent_name: '欧阳娜娜' });
    const ric = form.agent_ric;
    /* apply, pay, micro-deposit, 待审核; approved, issued, shipped, revoked */
    const o = await inReview(form);
    await approve(o.id);
    const op = await operator();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const ship = await op.post('/admin/pki/ship', { id: o.id });
    assert.equal(ship.status, 200, ship.text);
    const [serial, notBefore, notAfter] = psql(`SELECT serial || '|' ||
        to_char(not_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '|' ||
        to_char(not_after AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        FROM certificates WHERE order_id = ${o.id}`).split('|');
    const [waybill, carrier] = psql(`SELECT waybill_no || '|' || carrier FROM orders WHERE id = ${o.id}`).split('|');
    const rv = await staffRevoke(serial, 'keyCompromise');
    assert.equal(rv.status, 200, rv.text);

    const want = ['order.submitted', 'order.paid', 'order.approved', 'cert.issued', 'order.shipped', 'cert.revoked'];
    let ev = events(o.id);
    assert.deepEqual(ev.map((e) => e.event), want, 'one event per change, in the order they happened');

    /* the receiver fails: the first event is tried on the schedule, the
     * later ones of the order wait behind it; an hour and more passes
     * (8 tries: 15 s + 30 s + ... + 30 min) */
    await waitFor('the first try', () => events(o.id)[0].attempts >= 1, { timeoutMs: 30000 });
    for (let n = events(o.id)[0].attempts; ; n++) {
        await waitFor(`try ${n} of the first event`, () => events(o.id)[0].attempts >= n, { timeoutMs: 30000 });
        ev = events(o.id);
        assert.equal(ev[0].attempts, n, 'tried once per due time');
        assert.equal(ev[0].status, 'pending');
        assert.ok(ev[0].wait <= SCHEDULE[n - 1] && ev[0].wait > SCHEDULE[n - 1] - 60,
            `after try ${n} the next is ${SCHEDULE[n - 1]} s later (published schedule), not ${ev[0].wait}`);
        assert.ok(ev.slice(1).every((e) => e.attempts === 0), 'no later event of the order before the first');
        if (n >= 8)
            break;
        /* the schedule's wait, passed in the database (unless the worker's
         * own clock got there first: the first waits are short) */
        psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${ev[0].job} AND attempts = ${n}`);
    }
    const failed = (await received()).filter((r) => r.body && r.body.order.order_no === o.no);
    assert.equal(failed.length, 8);
    assert.ok(failed.every((r) => r.fault === 'fail' && r.event === 'order.submitted'));
    assert.ok(failed.every((r) => r.hmac_ok && r.cms_ok), 'every try signed');
    assert.equal(new Set(failed.map((r) => r.raw)).size, 1, 'every try sends the same body');
    assert.equal(new Set(failed.map((r) => r.nonce)).size, 8, 'a fresh nonce each try');

    /* the receiver is back: the next due try goes, and the rest follow at once */
    await fault('ok');
    psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${ev[0].job}`);
    await waitFor('every event delivered', () => events(o.id).every((e) => e.status === 'done'), { timeoutMs: 60000 });

    const got = (await received()).filter((r) => r.status === 200 && r.body.order.order_no === o.no);
    assert.deepEqual(got.map((r) => r.event), want, 'each event once, in order');
    assert.deepEqual(got.map((r) => r.body.event_id), events(o.id).map((e) => e.id), 'the stable event ids');
    assert.ok(got.every((r) => r.hmac_ok && r.cms_ok && r.fresh && !r.duplicate));
    assert.equal(got[0].raw, failed[0].raw, 'the body of the failed tries');
    const by = Object.fromEntries(got.map((r) => [r.event, r.body]));
    assert.deepEqual(by['cert.issued'].data, { serial, ca: 'ecc', not_before: notBefore, not_after: notAfter });
    assert.deepEqual(by['order.shipped'].data, { waybill_no: waybill, carrier });
    assert.equal(by['cert.revoked'].data.serial, serial);
    assert.equal(by['cert.revoked'].data.reason_code, 1);
    assert.equal(by['order.paid'].data.amount_fen, Number(psql(`SELECT amount_fen FROM orders WHERE id = ${o.id}`)));
    const first = got[0].body.order;
    assert.equal(first.unit.name, form.org_name);
    assert.equal(first.unit.uscc, form.org_id);
    assert.equal(first.agent.name, '欧***', 'the agent\'s name masked');
    assert.match(first.agent.mobile, /^1\d\d\*{4}\d{4}$/, 'the agent\'s phone masked');
    for (const r of got) {
        assert.ok(!r.raw.includes(ric), 'no ID number');
        assert.ok(!r.raw.includes(form.bank_account), 'no bank account');
        assert.ok(!r.raw.includes(form.agent_mobile), 'no phone in clear');
    }
});

test('partner_hooks__rejected_with_reason__dead_after_14_tries__replayed_from_console', { skip: SKIP }, async () => {
    await fault('ok');
    const o = await inReview(orgForm());
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    await waitFor('the first events delivered', () => events(o.id).every((e) => e.status === 'done'), { timeoutMs: 30000 });
    await fault('fail');
    const r = await rv.post('/admin/order/reject', { id: o.id, reason: '营业执照扫描件不清晰' });
    assert.equal(r.status, 200, r.text);
    const rej = () => events(o.id).find((e) => e.event === 'order.rejected');
    await waitFor('the first try', () => rej().attempts >= 1, { timeoutMs: 30000 });
    /* the schedule's long end (the journey test walks tries 1-8): as if
     * n - 1 tries had failed, try n, then the published wait; the 14th is
     * the last */
    for (let n = 9; n <= 13; n++) {
        psql(`UPDATE outbox SET attempts = ${n - 1}, next_attempt_at = now() WHERE id = ${rej().job}`);
        await waitFor(`try ${n}`, () => rej().attempts >= n, { timeoutMs: 30000 });
        assert.equal(rej().status, 'pending');
        assert.ok(rej().wait <= SCHEDULE[n - 1] && rej().wait > SCHEDULE[n - 1] - 60,
            `after try ${n} the next is ${SCHEDULE[n - 1]} s later (published schedule), not ${rej().wait}`);
    }
    psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${rej().job}`);
    await waitFor('dead after the 14th try', () => rej().status === 'dead', { timeoutMs: 30000 });
    assert.equal(rej().attempts, 14);

    await fault('ok');
    const f = await staffLogin('finance', 'Finance2026demo');
    const list = await f.getJSON('/admin/outbox');
    const job = list.body.jobs.find((j) => Number(j.id) === rej().job);
    assert.ok(job, 'the dead event is listed in the console');
    assert.equal(job.kind, 'partner_hook');
    assert.match(job.last_error, /503/);
    assert.equal((await f.post('/admin/outbox/retry', { id: job.id })).status, 200);
    await waitFor('sent again', () => rej().status === 'done', { timeoutMs: 30000 });
    const got = (await received()).filter((x) => x.status === 200 && x.body.order.order_no === o.no &&
        x.event === 'order.rejected');
    assert.equal(got.length, 1);
    assert.equal(got[0].body.data.reason, '营业执照扫描件不清晰');
    assert.equal(got[0].body.event_id, rej().id);
});

test('partner_hooks__rejected_quoting_id_account_phone__masked_in_webhook_and_api', { skip: SKIP }, async () => {
    /* docs/partners.md: no ID number, no bank account, no phone leaves for
     * a partner; a reviewer's reason may quote all three */
    await fault('ok');
    const form = orgForm();
    const o = await inReview(form);
    await waitFor('the first events delivered', () => events(o.id).every((e) => e.status === 'done'), { timeoutMs: 30000 });
    /* numbers of the reviewer's own, not the form's (zx_pii_at_rest looks
     * for the form's values in the dump); the reason is kept encrypted, and
     * masked in audit_log, partner_events and orders.reject_reason */
    const quoted = { ric: '110101199003070035', account: '6217000010001234567', mobile: '13612345678' };
    const reason = `经办人身份证号${quoted.ric}与身份证复印件不符；对公账户${quoted.account}` +
        `（6222 0200 1234 5678 901）户名不符；请致电${quoted.mobile}或0755-83456789；` +
        '法人证号11010519491231002X；营业执照有效期至2026-11-27，共3页';
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    const r = await rv.post('/admin/order/reject', { id: o.id, reason });
    assert.equal(r.status, 200, r.text);
    const rej = () => events(o.id).find((e) => e.event === 'order.rejected');
    await waitFor('order.rejected delivered', () => rej() && rej().status === 'done', { timeoutMs: 30000 });
    const got = (await received()).filter((x) => x.status === 200 && x.body && x.body.order.order_no === o.no &&
        x.event === 'order.rejected');
    assert.equal(got.length, 1);
    const star = (s) => s.replace(/[0-9X]/g, '*');
    const want = `经办人身份证号${star(quoted.ric)}与身份证复印件不符；对公账户${star(quoted.account)}` +
        '（**** **** **** **** ***）户名不符；请致电***********或****-********；' +
        '法人证号******************；营业执照有效期至2026-11-27，共3页';
    assert.equal(got[0].body.data.reason, want);
    for (const secret of [quoted.ric, quoted.account, quoted.mobile, '11010519491231002X', '83456789'])
        assert.ok(!got[0].raw.includes(secret), `${secret} left for the partner`);
    /* the API's reject_reason: the same words, masked the same */
    const key = { id: `mask-${crypto.randomBytes(4).toString('hex')}`, secret: crypto.randomBytes(24).toString('hex') };
    addPartnerKey('jieyang', key.id, key.secret, '1 hour');
    const pq = `/partner-api/v1/orders?id=${o.id}`;
    const ts = Math.floor(Date.now() / 1000), nonce = crypto.randomBytes(12).toString('hex');
    const api = await fetch(HALL + pq, { headers: {
        'X-Hall-Key-Id': key.id, 'X-Hall-Timestamp': String(ts), 'X-Hall-Nonce': nonce,
        'X-Hall-Signature': crypto.createHmac('sha256', key.secret).update(`GET\n${pq}\n${ts}\n${nonce}\n`).digest('hex'),
    } });
    const text = await api.text();
    assert.equal(api.status, 200, text);
    assert.equal(JSON.parse(text).orders[0].reject_reason, want);
    assert.ok(!text.includes(quoted.ric) && !text.includes(quoted.account) && !text.includes(quoted.mobile));
    /* the applicant and the staff still read the reviewer's words (kept
     * encrypted; the clear column holds them masked, sql/154) */
    assert.equal(psql(`SELECT reject_reason FROM orders WHERE id = ${o.id}`), want);
    assert.ok((await o.c.get(`/center/order?id=${o.id}`)).text.includes(reason));
});

test('partner_hooks__receiver_times_out_then_answers_late__tried_again_delivered_once', { skip: SKIP }, async () => {
    await fault('ok');
    /* the receiver hangs once (the hall gives up after http_total_ms) */
    await sb('/sandbox/faults', { service: 'partner', mode: 'timeout', count: 1 });
    const o = await inReview(orgForm());
    const first = () => events(o.id)[0];
    await waitFor('the try that timed out', () => first().attempts >= 1, { timeoutMs: 60000 });
    assert.equal(psql(`SELECT last_error FROM outbox WHERE id = ${first().job}`), 'transport: timeout');
    /* then it answers, late but within the hall's patience */
    await sb('/sandbox/faults', { service: 'partner', mode: 'delay', delay_ms: 1500 });
    try {
        psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${first().job} AND status = 'pending'`);
        await waitFor('delivered', () => events(o.id).every((e) => e.status === 'done'), { timeoutMs: 60000 });
    } finally {
        await fault('ok');
    }
    const got = (await received()).filter((r) => r.body && r.body.order.order_no === o.no);
    assert.deepEqual(got.map((r) => [r.event, r.fault, r.status]).slice(0, 2),
        [['order.submitted', 'timeout', null], ['order.submitted', 'delay', 200]]);
    const ok = got.filter((r) => r.status === 200);
    assert.deepEqual(ok.map((r) => r.event), events(o.id).map((e) => e.event), 'each event acknowledged once, in order');
});

test('partner_hooks__seal_made__with_its_es_id_and_validity', { skip: SKIP }, async () => {
    await fault('ok');
    setPartnerSecret('hall', 'hook', SECRET);
    psql(`UPDATE partners SET hook_url = '${SANDBOX}/partner/hook/hall',
        hook_events = '{seal.made,cert.issued}' WHERE code = 'hall'`);
    try {
        const dir = tmpdir();
        await fetchPki(dir);
        await sb('/sandbox/partner/config', { partner: 'hall', secret: SECRET, ca_file: `${dir}/root.crt`, clear: true });
        /* an electronic seal order (电子签章申请, one 机构章), accepted, produced */
        const c = await applicant();
        const key = await toApply(c);
        const form = { ...orgForm(), app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000',
            app_email: 'zhaomin@example.com', org_count: '1', org_years: '2', org_style: 'auto', biz_count: '0',
            person_count: '0', project: 'hall', submit_key: key };
        delete form.years;
        const r = await c.post('/seal/apply', form);
        assert.equal(r.status, 200, r.text);
        const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
        assert.equal((await (await operator()).post('/admin/pki/issue', { id })).status, 200);
        await waitFor('delivered', () => events(id).length > 0 && events(id).every((e) => e.status === 'done'),
            { timeoutMs: 30000 });
        const no = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
        const got = (await sb('/sandbox/partner/received?partner=hall')).received
            .filter((x) => x.status === 200 && x.body.order.order_no === no);
        const seal = got.find((x) => x.event === 'seal.made');
        assert.ok(seal, `seal.made among ${got.map((x) => x.event)}`);
        const [esId, start, end] = psql(`SELECT es_id || '|' ||
            to_char(valid_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '|' ||
            to_char(valid_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM seseals WHERE order_id = ${id}`).split('|');
        assert.equal(seal.body.data.es_id, esId);
        assert.equal(seal.body.data.valid_start, start);
        assert.equal(seal.body.data.valid_end, end);
        assert.ok(seal.hmac_ok && seal.cms_ok);
        assert.equal(got.filter((x) => x.event === 'seal.made').length, 1, 'once');
    } finally {
        psql(`UPDATE partners SET hook_url = NULL, hook_secret = NULL, hook_events = '{}' WHERE code = 'hall'`);
    }
});

test('partner_hooks__webhooks_turned_off_with_events_pending__tried_on_schedule_not_a_crash', { skip: SKIP }, async () => {
    /* an event waits at a receiver that fails; then the partner's webhooks
     * are switched off (hook_url NULL, as docs/partners.md allows): its due try is a failed try on the schedule, named, and the
     * event stays for the console, instead of a worker that dies on it */
    await fault('fail');
    const o = await unpaidOrder(await applicant(), { form: orgForm() });
    const first = () => events(o.id)[0];
    await waitFor('the first try', () => first() && first().attempts >= 1, { timeoutMs: 30000 });
    try {
        psql(`UPDATE partners SET hook_url = NULL WHERE code = 'jieyang'`);
        psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${first().job}`);
        await waitFor('the try without a URL', () => first().attempts >= 2, { timeoutMs: 30000 });
        assert.equal(first().status, 'pending');
        assert.equal(first().wait > 0 && first().wait <= SCHEDULE[1], true, 'the schedule\'s wait after try 2');
        assert.equal(psql(`SELECT last_error FROM outbox WHERE id = ${first().job}`), 'partner: no hook_url');
    } finally {
        /* the secret stayed, encrypted (hook_secret_enc): the URL back is enough */
        psql(`UPDATE partners SET hook_url = '${SANDBOX}/partner/hook/jieyang' WHERE code = 'jieyang'`);
        await fault('ok');
    }
    /* switched on again: the event goes on its next try */
    psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${first().job}`);
    await waitFor('delivered', () => events(o.id).every((e) => e.status === 'done'), { timeoutMs: 30000 });
});

test('partner_hooks__hook_url_at_a_private_address__refused_unless_allowed', { skip: SKIP }, async () => {
    /* hook_url is data: pointed at the hall's own network (loopback other
     * than the sandbox's 127.0.0.1, which the test hall allows in
     * partner_hook_allow_private; the cloud metadata address) it is
     * refused at each try, after DNS, and named for the console */
    await fault('ok');
    const port = new URL(SANDBOX).port;
    const refusedWhy = 'hook_url reaches a private address (partner_hook_allow_private)';
    psql(`UPDATE partners SET hook_url = 'http://127.0.0.2:${port}/partner/hook/jieyang' WHERE code = 'jieyang'`);
    let o;
    try {
        o = await unpaidOrder(await applicant(), { form: orgForm() });
        const first = () => events(o.id)[0];
        await waitFor('the first try', () => first() && first().attempts >= 1, { timeoutMs: 30000 });
        assert.equal(first().status, 'pending');
        assert.equal(psql(`SELECT last_error FROM outbox WHERE id = ${first().job}`), refusedWhy);
        psql(`UPDATE partners SET hook_url = 'http://169.254.169.254/latest/meta-data/' WHERE code = 'jieyang';
            UPDATE outbox SET next_attempt_at = now() WHERE id = ${first().job}`);
        await waitFor('the second try', () => first().attempts >= 2, { timeoutMs: 30000 });
        assert.equal(psql(`SELECT last_error FROM outbox WHERE id = ${first().job}`), refusedWhy);
        const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
        assert.ok(!(await received()).some((r) => r.body && r.body.order.order_no === no), 'nothing reached a receiver');
    } finally {
        psql(`UPDATE partners SET hook_url = '${SANDBOX}/partner/hook/jieyang' WHERE code = 'jieyang'`);
    }
    /* the allowed address: delivered on the next try */
    psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${events(o.id)[0].job}`);
    await waitFor('delivered', () => events(o.id).every((e) => e.status === 'done'), { timeoutMs: 30000 });
});

test('partner_hooks__a_receiver_that_hangs_delays_no_sms', { skip: SKIP }, async () => {
    /* the partner's receiver hangs: its event's first try waits there (the
     * hall gives up after http_total_ms), in the partner's own lane; an SMS
     * code asked for meanwhile arrives before that try has given up */
    await sb('/sandbox/faults', { service: 'partner', mode: 'timeout' });
    let o;
    try {
        o = await unpaidOrder(await applicant(), { form: orgForm() });
        const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
        await waitFor('the POST hanging at the receiver', async () => (await received())
            .some((r) => r.body && r.body.order.order_no === no && r.fault === 'timeout'), { timeoutMs: 30000 });
        const anon = new Client();
        await anon.page('/login');
        await sendCode(anon, newPhone('149'), 'login', { tokenPage: '/login' });
        const first = events(o.id)[0];
        assert.equal(first.status, 'pending');
        assert.equal(first.attempts, 0, 'the SMS went while the webhook\'s first try still hung');
    } finally {
        await fault('ok');
    }
    psql(`UPDATE outbox SET next_attempt_at = now() WHERE id = ${events(o.id)[0].job} AND status = 'pending'`);
    await waitFor('delivered once the receiver answers', () => events(o.id).every((e) => e.status === 'done'),
        { timeoutMs: 60000 });
});

test('partner_hooks__agent_in_clear_when_the_contract_says_so__never_the_id_number', { skip: SKIP }, async () => {
    await fault('ok');
    psql(`UPDATE partners SET hook_clear_agent = true WHERE code = 'jieyang'`);
    try {
        const form = orgForm({ agent_name: '欧阳娜娜', agent_mobile: newPhone('137') });
        const o = await unpaidOrder(await applicant(), { form });
        const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
        const got = await waitFor('the event received', async () => (await received())
            .find((r) => r.status === 200 && r.body.order.order_no === no), { timeoutMs: 30000 });
        assert.deepEqual(got.body.order.agent, { name: '欧阳娜娜', mobile: form.agent_mobile });
        assert.ok(!got.raw.includes(form.agent_ric), 'no ID number');
        assert.ok(!got.raw.includes(form.bank_account), 'no bank account');
        assert.ok(got.hmac_ok && got.cms_ok);
    } finally {
        psql(`UPDATE partners SET hook_clear_agent = false WHERE code = 'jieyang'`);
    }
});
