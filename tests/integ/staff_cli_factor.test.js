'use strict';
/*
 * hall-staff's acting administrator proves who they are as the console's
 * sign-in does (docs/operations.md "Staff accounts"): the password (stdin's
 * first line) and then the current TOTP code or a recovery code (the next
 * line).  The password alone does nothing; a step's code is accepted once,
 * here or at /admin/login/code; wrong codes count towards the account's lock
 * with wrong passwords, at the same threshold; the accepted factor is
 * audited (cli_auth).  Each test acts as an administrator of its own, made
 * by the demo administrators, so the demo accounts are never locked.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Client } = require('./lib/client');
const { psql } = require('./lib/payflow');
const { totp, stepNow, makeStaff, hallStaff } = require('./lib/staff');

const SKIP = !process.env.HALL_VAR;
const PW = 'Acting2026admin';
const NEW_PW = 'Newcomer2026pw';

function uniq(prefix) {
    return `${prefix}${process.pid % 1000}${crypto.randomInt(100000, 999999)}`;
}

const col = (login, c) => psql(`SELECT ${c} FROM staff WHERE login = '${login}'`);
const requests = (login) => psql(`SELECT count(*) FROM staff_requests WHERE subject = '${login}'`);
const audits = (login, action) => psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff'
    AND action = '${action}' AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}')`);

/* a code that is none of the three steps accepted now */
function wrongCode(secret) {
    const now = stepNow();
    const near = new Set([-2, -1, 0, 1, 2].map((d) => totp(secret, now + d)));
    let s = now + 10;
    while (near.has(totp(secret, s)))
        s++;
    return totp(secret, s);
}

/* an administrator of the test's own, with a known secret */
function actingAdmin() {
    const login = uniq('act');
    return { login, secret: makeStaff(login, 'admin', PW) };
}

const ask = (actor, subject, input) =>
    hallStaff(['add', subject, 'reviewer', NEW_PW, 'as', actor, '测试'], input);

test('cli_actor__password_alone__refused__nothing_asked', { skip: SKIP }, () => {
    const a = actingAdmin();
    const subject = uniq('nf');
    const r = ask(a.login, subject, `${PW}\n`);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /no TOTP code of act\w+ on stdin/);
    assert.equal(requests(subject), '0', 'no request without the second factor');
    assert.equal(audits(a.login, 'cli_auth'), '0');
});

test('cli_actor__code_accepted_once__audited__the_console_refuses_the_same_step', { skip: SKIP }, async () => {
    const a = actingAdmin();
    const step = stepNow();
    const code = totp(a.secret, step);
    const subject = uniq('ok');
    const r = ask(a.login, subject, `${PW}\n${code.slice(0, 3)} ${code.slice(3)}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^request \d+ pending: staff_add/m);
    assert.equal(requests(subject), '1');
    assert.ok(Number(col(a.login, 'totp_last_step')) >= step, 'the step is recorded');
    assert.equal(psql(`SELECT actor || '|' || (detail->>'factor') || '|' || (detail->>'command')
        FROM audit_log WHERE entity = 'staff' AND action = 'cli_auth'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${a.login}')`), 'cli:hall-staff|totp|add');

    /* the same code again: refused, counted, nothing asked */
    const again = uniq('re');
    const replay = ask(a.login, again, `${PW}\n${code}\n`);
    assert.equal(replay.status, 1, replay.stdout);
    assert.match(replay.stderr, /wrong or used TOTP code/);
    assert.equal(requests(again), '0');
    assert.equal(col(a.login, 'failed_logins'), '1');
    /* ... and at the console: one rule for both */
    const c = new Client();
    await c.get('/admin/login');
    const p = await c.post('/admin/login', { login: a.login, password: PW });
    assert.equal(p.status, 200, p.text);
    await c.get(p.body.redirect);
    const ip = `10.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}`;
    const web = await c.post('/admin/login/code', { code }, { headers: { 'X-Forwarded-For': ip } });
    assert.equal(web.status, 400, web.text);
    assert.equal(col(a.login, 'failed_logins'), '2');
});

test('cli_actor__wrong_codes_lock_at_the_console_threshold__then_not_even_the_right_code', { skip: SKIP }, async () => {
    const a = actingAdmin();
    const max = 5; /* login_max_failures: the test hall's default */
    for (let i = 1; i <= max; i++) {
        const r = ask(a.login, uniq('wc'), `${PW}\n${wrongCode(a.secret)}\n`);
        assert.equal(r.status, 1);
        assert.match(r.stderr, i < max ? /wrong or used TOTP code of/ : /the account is locked now/);
        assert.equal(col(a.login, 'failed_logins'), String(i));
    }
    assert.equal(col(a.login, 'locked_until > now()'), 't');
    assert.equal(audits(a.login, 'locked'), '1');
    const subject = uniq('lk');
    const right = ask(a.login, subject, `${PW}\n${totp(a.secret)}\n`);
    assert.equal(right.status, 1);
    assert.match(right.stderr, /is locked/);
    assert.equal(requests(subject), '0');
    /* locked for the console too */
    const c = new Client();
    await c.get('/admin/login');
    assert.equal((await c.post('/admin/login', { login: a.login, password: PW })).status, 429);
});

test('cli_actor__wrong_password_and_codes_one_count__right_factor_clears_it', { skip: SKIP }, () => {
    const a = actingAdmin();
    assert.equal(ask(a.login, uniq('wp'), 'NotThePassword1\n').status, 1);
    assert.equal(ask(a.login, uniq('wp'), `${PW}\n${wrongCode(a.secret)}\n`).status, 1);
    assert.equal(col(a.login, 'failed_logins'), '2');
    /* the password alone does not clear the count: only the second factor */
    assert.equal(ask(a.login, uniq('wp'), `${PW}\n`).status, 1);
    assert.equal(col(a.login, 'failed_logins'), '2');
    const r = ask(a.login, uniq('wp'), `${PW}\n${totp(a.secret)}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(col(a.login, 'failed_logins'), '0');
});

test('cli_actor__recovery_code_once__member_without_factor_told_to_enrol', { skip: SKIP }, async () => {
    const login = uniq('rc');
    makeStaff(login, 'admin', PW, { enrol: false });
    const none = ask(login, uniq('ne'), `${PW}\n123456\n`);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no second factor yet: sign in once at \/admin\/login/);
    /* enrolled at the console (tests/integ/lib/staff.js): its ten recovery codes */
    const c = new Client();
    await c.get('/admin/login');
    const p = await c.post('/admin/login', { login, password: PW });
    const page = await c.get(p.body.redirect);
    const secret = page.text.match(/id="enrol-secret">([A-Z2-7 ]+)</)[1].replace(/ /g, '');
    const e = await c.post('/admin/login/enrol', { code: totp(secret) });
    assert.equal(e.status, 200, e.text);
    const rec = e.body.recovery_codes[0];
    const subject = uniq('rk');
    const r = ask(login, subject, `${PW}\n${rec.toUpperCase()}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /a recovery code of rc\w+ used; 9 left/);
    assert.equal(psql(`SELECT detail->>'factor' FROM audit_log WHERE entity = 'staff' AND action = 'cli_auth'
        AND entity_id = (SELECT id::text FROM staff WHERE login = '${login}')`), 'recovery');
    const twice = ask(login, uniq('rk'), `${PW}\n${rec}\n`);
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /wrong or used TOTP code/);
});
