'use strict';
/*
 * The staff's second factor (issue 26 §2, sql/073, modules/admin): the
 * password alone opens nothing but the code page; a TOTP code (RFC 6238,
 * computed here from the secret) or a recovery code makes the session a
 * console session; each code is accepted once, also when the same code is
 * sent in parallel; wrong codes count toward the account's lock; a member
 * without a factor enrols (QR code, secret, ten recovery codes shown once);
 * hall-staff totp-reset makes the next login enrol again.
 *
 * Each test uses accounts of its own (hall-staff add / totp-set) and sends
 * its codes from an address of its own (X-Forwarded-For, trusted from
 * 127.0.0.1 as in login_spray.test.js), so the client limit on wrong codes
 * counts only its own.  The shared helper's fixture shortcut (freshCode) is
 * not used here: the codes are the clock's.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Client } = require('./lib/client');
const { psql } = require('./lib/payflow');
const { totp, stepNow, makeStaff, hallStaffOut: hallStaff, DEMO } = require('./lib/staff');

const SKIP = !process.env.HALL_VAR;
const PW = 'Second2026factor';
const WRONG = '请输入验证器上的新验证码';
const CODE_WRONG = '动态验证码不正确或已使用，请输入验证器上的新验证码';
const CODE_LOCKED = '动态验证码错误次数过多，账号已暂时锁定，请稍后再试';

function uniq(prefix) {
    return `${prefix}${process.pid % 1000}${crypto.randomInt(100000, 999999)}`;
}

function address() {
    return `10.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}`;
}

const col = (login, c) => psql(`SELECT ${c} FROM staff WHERE login = '${login}'`);

/* the password step on a new client: the half session and the code page's token */
async function password(login, pw = PW) {
    const c = new Client();
    await c.get('/admin/login');
    const r = await c.post('/admin/login', { login, password: pw });
    assert.equal(r.status, 200, r.text);
    await c.get(r.body.redirect);
    c.next = r.body.redirect;
    return c;
}

function sendCode(c, code, ip) {
    return c.post('/admin/login/code', { code }, { headers: { 'X-Forwarded-For': ip } });
}

/* a code for a step this member has not used: now, or the next one when
 * now is taken (the test's own earlier login in the same 30 s) */
function codeAfter(login, secret) {
    const last = Number(col(login, 'totp_last_step'));
    const step = Math.max(stepNow(), last + 1);
    assert.ok(step <= stepNow() + 1, 'a step is left in the window');
    return totp(secret, step);
}

/* a code that is none of the three steps the hall accepts now */
function wrongCode(secret) {
    const now = stepNow();
    const near = new Set([-2, -1, 0, 1, 2].map((d) => totp(secret, now + d)));
    let s = now + 10;
    while (near.has(totp(secret, s)))
        s++;
    return totp(secret, s);
}

test('password_alone__no_console_page_no_staff_api_no_reports', { skip: SKIP }, async () => {
    const login = uniq('half');
    const secret = makeStaff(login, 'reviewer,finance,operator,report', PW);
    const c = await password(login);
    assert.match(c.next, /^\/admin\/login\/code\?next=/);
    assert.ok(c.jar.get('hall_staff'), 'the half session has its cookie');
    assert.equal(psql(`SELECT count(*) FROM staff_sessions s JOIN staff t ON t.id = s.staff_id
        WHERE t.login = '${login}' AND NOT s.second_factor`), '1');

    /* pages: back to the code page, never the console */
    for (const p of ['/admin', '/admin/review', '/admin/finance', '/admin/refunds', '/admin/outbox',
        '/admin/pki/production', '/admin/pki/certs', '/admin/seal']) {
        const r = await c.get(p);
        assert.equal(r.status, 303, `${p}: ${r.status}`);
        assert.equal(r.headers.get('location'), `/admin/login/code?next=${encodeURIComponent(p)}`);
    }
    /* the API and the reports: 401 */
    for (const p of ['/admin/review', '/admin/order?id=1', '/report/orders?group=status']) {
        const r = await c.get(p, 'application/json');
        assert.equal(r.status, 401, `${p}: ${r.status} ${r.text}`);
    }
    const approve = await c.post('/admin/order/approve', { id: 1 });
    assert.equal(approve.status, 401, approve.text);
    const refund = await c.post('/admin/outbox/retry', { id: 1 });
    assert.equal(refund.status, 401, refund.text);

    /* the code: the same browser is in */
    const r = await sendCode(c, totp(secret), address());
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, '/admin');
    assert.equal((await c.get('/admin')).status, 200);
    assert.equal((await c.get('/report/orders?group=status', 'application/json')).status, 200);
    assert.equal(psql(`SELECT count(*) FROM staff_sessions s JOIN staff t ON t.id = s.staff_id
        WHERE t.login = '${login}' AND s.second_factor`), '1');
    assert.equal(psql(`SELECT count(*) FROM staff_sessions s JOIN staff t ON t.id = s.staff_id
        WHERE t.login = '${login}' AND NOT s.second_factor`), '0', 'the half session is gone');
    assert.equal(psql(`SELECT detail->>'factor' FROM audit_log WHERE entity = 'staff' AND action = 'login'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}')`), 'totp');
});

test('wrong_code__refused_and_counted__right_code_then_clears_the_count', { skip: SKIP }, async () => {
    const login = uniq('wrong');
    const secret = makeStaff(login, 'reviewer', PW);
    const ip = address();
    const c = await password(login);
    const r = await sendCode(c, wrongCode(secret), ip);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.message, CODE_WRONG);
    assert.equal(r.body.errors ? r.body.errors[0].field : r.body.field, 'code');
    assert.equal(col(login, 'failed_logins'), '1');
    assert.equal((await c.get('/admin')).status, 303);
    /* not six digits, not a recovery code: wrong as well */
    const junk = await sendCode(c, 'abc', ip);
    assert.equal(junk.status, 400, junk.text);
    assert.equal(col(login, 'failed_logins'), '2');
    /* a correct password does not reset the count; the code does */
    const c2 = await password(login);
    assert.equal(col(login, 'failed_logins'), '2');
    const ok = await sendCode(c2, totp(secret), ip);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(col(login, 'failed_logins'), '0');
});

test('replayed_code__sequential__refused', { skip: SKIP }, async () => {
    const login = uniq('replay');
    const secret = makeStaff(login, 'reviewer', PW);
    const ip = address();
    const code = totp(secret);
    const a = await password(login);
    const first = await sendCode(a, code, ip);
    assert.equal(first.status, 200, first.text);
    const b = await password(login);
    const again = await sendCode(b, code, ip);
    assert.equal(again.status, 400, again.text);
    assert.ok(again.body.message.includes(WRONG), again.text);
    assert.equal((await b.get('/admin')).status, 303, 'no console with a replayed code');
    assert.equal(col(login, 'failed_logins'), '1', 'a replay counts as a wrong code');
    /* the step before (still inside the window) is refused too: older than the one used */
    const older = await sendCode(b, totp(secret, Number(col(login, 'totp_last_step')) - 1), ip);
    assert.equal(older.status, 400, older.text);
});

test('replayed_code__parallel__exactly_one_session', { skip: SKIP }, async () => {
    const login = uniq('par');
    const secret = makeStaff(login, 'reviewer', PW);
    const ip = address();
    const clients = [];
    for (let i = 0; i < 8; i++)
        clients.push(await password(login));
    const code = totp(secret);
    const rs = await Promise.all(clients.map((c) => sendCode(c, code, ip)));
    const statuses = rs.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.ok(statuses.every((s) => s === 200 || s === 400 || s === 429), statuses.join(','));
    const open = [];
    for (const c of clients)
        open.push((await c.get('/admin')).status);
    assert.equal(open.filter((s) => s === 200).length, 1, open.join(','));
    assert.equal(psql(`SELECT count(*) FROM staff_sessions s JOIN staff t ON t.id = s.staff_id
        WHERE t.login = '${login}' AND s.second_factor`), '1');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff' AND action = 'login'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}')`), '1');
});

test('enrolment__qr_and_secret__confirmed__ten_recovery_codes__one_works_once', { skip: SKIP }, async () => {
    const login = uniq('enrol');
    makeStaff(login, 'finance', PW, { enrol: false });
    const ip = address();
    const c = new Client();
    await c.get('/admin/login');
    const r = await c.post('/admin/login', { login, password: PW, next: '/admin/finance' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, '/admin/login/enrol?next=%2Fadmin%2Ffinance');
    /* no console before enrolment either */
    assert.equal((await c.get('/admin/finance')).status, 303);
    const page = await c.get(r.body.redirect);
    assert.equal(page.status, 200);
    assert.match(page.text, /<svg[^>]*aria-label="二维码"/);
    const shown = page.text.match(/id="enrol-secret">([A-Z2-7 ]+)</)[1].replace(/ /g, '');
    assert.equal(shown.length, 32, 'a 160-bit secret');
    const uri = page.text.match(/(otpauth:\/\/totp\/[^"<]+)/);
    assert.ok(uri === null || uri[1].includes(`secret=${shown}`));
    /* encrypted at rest: the secret is nowhere in the row's bytes */
    const enc = col(login, "encode(totp_pending_enc, 'hex')");
    assert.ok(enc.length > 0);
    assert.ok(!enc.includes(Buffer.from(shown).toString('hex')), 'the secret is not stored in the clear');
    /* a wrong code first: counted, still not enrolled */
    const bad = await c.post('/admin/login/enrol', { code: wrongCode(shown), next: '/admin/finance' },
        { headers: { 'X-Forwarded-For': ip } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(col(login, 'failed_logins'), '1');
    assert.equal(col(login, 'totp_secret_enc IS NULL'), 't');

    const ok = await c.post('/admin/login/enrol', { code: totp(shown), next: '/admin/finance' },
        { headers: { 'X-Forwarded-For': ip } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.redirect, '/admin/finance');
    const codes = ok.body.recovery_codes;
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const k of codes)
        assert.match(k, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
    assert.equal((await c.get('/admin/finance')).status, 200, 'enrolled and in');
    assert.equal(col(login, 'totp_secret_enc IS NOT NULL AND totp_pending_enc IS NULL'), 't');
    assert.equal(col(login, 'failed_logins'), '0');
    /* stored hashed: no code in the table */
    const hashes = psql(`SELECT string_agg(encode(code_hash, 'hex'), ' ') FROM staff_recovery_codes r
        JOIN staff t ON t.id = r.staff_id WHERE t.login = '${login}' AND r.used_at IS NULL`).split(' ');
    assert.equal(hashes.length, 10);
    for (const k of codes)
        assert.ok(hashes.every((h) => !h.includes(Buffer.from(k).toString('hex'))));

    /* a recovery code instead of the authenticator, typed in capitals: once */
    const d = await password(login);
    const rec = await sendCode(d, codes[3].toUpperCase(), ip);
    assert.equal(rec.status, 200, rec.text);
    assert.equal(rec.body.message, '已使用一个恢复码，还剩 9 个');
    assert.equal((await d.get('/admin/finance')).status, 200);
    const e = await password(login);
    const twice = await sendCode(e, codes[3], ip);
    assert.equal(twice.status, 400, twice.text);
    assert.equal((await e.get('/admin/finance')).status, 303);
    assert.equal(psql(`SELECT detail->>'factor' FROM audit_log WHERE entity = 'staff' AND action = 'login'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}') ORDER BY id DESC LIMIT 1`),
    'recovery');
    /* the enrolled secret's codes are the member's alone: hall-staff totp refuses */
    assert.throws(() => hallStaff(['totp', login]), /no secret set by totp-set/);
});

test('reset_by_hall_staff__sessions_end__next_login_enrols_again', { skip: SKIP }, async () => {
    const login = uniq('reset');
    const secret = makeStaff(login, 'operator', PW);
    const ip = address();
    const c = await password(login);
    assert.equal((await sendCode(c, totp(secret), ip)).status, 200);
    assert.equal((await c.get('/admin')).status, 200);

    const out = hallStaff(['totp-reset', login]);
    assert.match(out, /second factor and recovery codes removed/);
    assert.equal((await c.get('/admin')).status, 303, 'the session ended');
    assert.equal(psql(`SELECT actor || ' ' || from_state || ' ' || to_state FROM audit_log
        WHERE entity = 'staff' AND action = 'totp_reset'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}')`),
    'cli:hall-staff enrolled unenrolled');

    const d = new Client();
    await d.get('/admin/login');
    const r = await d.post('/admin/login', { login, password: PW });
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.redirect, /^\/admin\/login\/enrol\?/);
    /* the old secret opens nothing */
    await d.get('/admin/login/code');
    const old = await d.post('/admin/login/code', { code: codeAfter(login, secret) },
        { headers: { 'X-Forwarded-For': ip } });
    assert.match(old.body.redirect || '', /^\/admin\/login\/enrol/, old.text);
    assert.equal((await d.get('/admin')).status, 303);
    const page = await d.get('/admin/login/enrol');
    const fresh = page.text.match(/id="enrol-secret">([A-Z2-7 ]+)</)[1].replace(/ /g, '');
    assert.notEqual(fresh, secret);
    const ok = await d.post('/admin/login/enrol', { code: codeAfter(login, fresh) },
        { headers: { 'X-Forwarded-For': ip } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await d.get('/admin')).status, 200);
});

test('lockout__five_wrong_codes_lock__then_neither_code_nor_password', { skip: SKIP }, async () => {
    const login = uniq('lock');
    const secret = makeStaff(login, 'reviewer', PW);
    const ip = address();
    const c = await password(login);
    const statuses = [];
    let last;
    for (let i = 0; i < 5; i++) {
        last = await sendCode(c, wrongCode(secret), ip);
        statuses.push(last.status);
    }
    assert.deepEqual(statuses, [400, 400, 400, 400, 429]);
    assert.equal(last.body.message, CODE_LOCKED);
    assert.equal(col(login, 'locked_until > now()'), 't');
    const right = await sendCode(c, totp(secret), ip);
    assert.equal(right.status, 429, right.text);
    assert.equal((await c.get('/admin')).status, 303);
    const p = new Client();
    await p.get('/admin/login');
    const again = await p.post('/admin/login', { login, password: PW });
    assert.equal(again.status, 429, again.text);
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff' AND action = 'locked'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}')`), '1');
});

test('lockout__twenty_parallel_wrong_codes__exactly_five_counted_one_lock', { skip: SKIP }, async () => {
    const login = uniq('plock');
    const secret = makeStaff(login, 'reviewer', PW);
    const ip = address();
    const clients = [];
    for (let i = 0; i < 20; i++)
        clients.push(await password(login));
    const wrong = wrongCode(secret);
    const rs = await Promise.all(clients.map((c) => sendCode(c, wrong, ip)));
    const statuses = rs.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 400).length, 4, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 16, statuses.join(','));
    assert.equal(col(login, 'failed_logins'), '5');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff' AND action = 'locked'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}')`), '1');
    const right = await sendCode(clients[0], totp(secret), ip);
    assert.equal(right.status, 429, right.text);
});

test('one_client_wrong_codes_on_ten_members__refused_for_the_eleventh', { skip: SKIP }, async () => {
    const ip = address();
    const members = [];
    for (let i = 0; i < 11; i++) {
        const login = uniq(`cl${i}x`);
        members.push({ login, secret: makeStaff(login, 'report', PW) });
    }
    for (const m of members.slice(0, 10)) {
        const c = await password(m.login);
        const r = await sendCode(c, wrongCode(m.secret), ip);
        assert.equal(r.status, 400, r.text);
    }
    const c = await password(members[10].login);
    const r = await sendCode(c, totp(members[10].secret), ip);
    assert.equal(r.status, 429, r.text);
    assert.equal(r.body.message, '本机动态验证码错误次数过多，请稍后再试');
    /* the member is not locked: from another address the code works */
    const ok = await sendCode(c, totp(members[10].secret), address());
    assert.equal(ok.status, 200, ok.text);
});

test('half_session__malformed_codes__clear_400s_nothing_opened', { skip: SKIP }, async () => {
    const login = uniq('bad');
    makeStaff(login, 'reviewer', PW);
    const ip = address();
    const c = await password(login);
    for (const code of ['', 'x'.repeat(33), '１２３４５６', '12 34', '%00', '<script>']) {
        const r = await sendCode(c, code, ip);
        assert.equal(r.status, 400, `${JSON.stringify(code)}: ${r.text}`);
        assert.equal(r.body.field, 'code');
    }
    const e = await c.post('/admin/login/enrol', { code: '123456' }, { headers: { 'X-Forwarded-For': ip } });
    assert.ok(e.status === 400 || e.status === 429 || e.body.redirect, e.text);
    assert.equal((await c.get('/admin')).status, 303);
});

test('demo_accounts__hall_staff_totp_prints_the_code_of_the_known_secret', { skip: SKIP }, () => {
    /* a step the hall has not accepted yet: now, or the next one */
    const before = stepNow();
    const out = hallStaff(['totp', 'reviewer']).trim();
    const after = stepNow();
    const codes = [];
    for (let s = before; s <= after + 1; s++)
        codes.push(totp(DEMO.reviewer.secret, s));
    assert.ok(codes.includes(out), out);
    assert.match(hallStaff(['list']), /reviewer\s+reviewer\s+t\s+yes/);
});

test('test_helper__staffLogin_of_a_member_without_a_factor__enrols_then_logs_in_with_codes', { skip: SKIP }, async () => {
    const { staffLogin } = require('./lib/payflow');
    const login = uniq('helper');
    hallStaff(['add', login, 'finance', '-'], `${PW}\n`);
    const a = await staffLogin(login, PW);
    assert.equal((await a.get('/admin/finance')).status, 200);
    assert.equal(col(login, 'totp_secret_enc IS NOT NULL'), 't');
    const b = await staffLogin(login, PW);
    assert.equal((await b.get('/admin/finance')).status, 200);
});

test('admin_log__no_transaction_left_open_no_handler_error', { skip: SKIP }, () => {
    const fs = require('node:fs');
    const path = require('node:path');
    const log = fs.readFileSync(path.join(process.env.HALL_VAR, 'log', 'admin.log'), 'utf8');
    assert.ok(!/transaction left open|handler gave no answer/.test(log),
        log.split('\n').filter((l) => /level=err/.test(l)).slice(0, 5).join('\n'));
});
