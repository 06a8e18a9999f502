'use strict';
/*
 * Password spraying (issue 22 §7): one client trying one password on many
 * accounts never reached any account's own lock, so 30 accounts x 1 wrong
 * password all answered 400.  Now a client that failed on 10 distinct
 * phones within 10 minutes gets 429 for every password login, counted
 * exactly under parallel attempts; its owners are not locked out (another
 * address logs in, an SMS code still works from the same one, and a user
 * mistyping their own password is left to the account's own lock).
 * Staff passwords (/admin/login) have the same limit on distinct logins,
 * counted apart: before it, twenty wrong passwords on twenty logins from
 * one address all answered 400.
 *
 * Each test is its own client: nginx takes the client address from
 * X-Forwarded-For when the request comes from the test hall's trusted
 * front (lib/front.js, real_ip), as behind the hall's own load balancer.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL, applicant, freshPhone, latestCode } = require('./lib/client');
const { psql } = require('./lib/payflow');
const { setCookies } = require('./lib/cookies');
const { fetchVia } = require('./lib/front');

const SKIP = !process.env.HALL_VAR;

function address() {
    return `10.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}`;
}

/* a browser at address ip: the login page's token and cookie, then a post */
async function attempt(ip, path, fields) {
    const page = await fetchVia(`${HALL}/login`, { headers: { 'X-Forwarded-For': ip } });
    const cookie = setCookies(page).map((c) => c.split(';')[0]).join('; ');
    const token = (await page.text()).match(/<meta name="csrf-token" content="([^"]+)"/)[1];
    const res = await fetchVia(`${HALL}${path}`, {
        method: 'POST',
        headers: { 'X-Forwarded-For': ip, Cookie: cookie, 'X-CSRF-Token': token, Accept: 'application/json',
            'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
        redirect: 'manual',
    });
    return { status: res.status, body: JSON.parse(await res.text()) };
}

test('spraying__ten_phones_then_refused__owner_elsewhere_and_by_sms_still_in', { skip: SKIP }, async () => {
    const owner = await applicant(); /* password Passw0rd123 */
    const ip = address();
    for (let i = 0; i < 10; i++) {
        const phone = i === 0 ? owner.phone : freshPhone('158');
        const r = await attempt(ip, '/login', { phone, password: 'Spring2026!x' });
        assert.equal(r.status, 400, `attempt ${i}: ${JSON.stringify(r.body)}`);
    }
    /* the 11th phone, even with the right password: refused */
    const r = await attempt(ip, '/login', { phone: owner.phone, password: 'Passw0rd123' });
    assert.equal(r.status, 429, JSON.stringify(r.body));
    assert.equal(r.body.field, 'password');
    assert.match(r.body.message, /登录失败次数过多，请10分钟后再试，或使用短信验证码登录/);
    /* the owner from another address: in */
    const elsewhere = await attempt(address(), '/login', { phone: owner.phone, password: 'Passw0rd123' });
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
    /* from the same address by SMS code: in */
    const before = (await latestCode(owner.phone)).id;
    /* the registration's code is a minute old by now (the per-phone resend wait) */
    psql("UPDATE sms_codes SET created_at = created_at - interval '2 minutes' WHERE created_at > now() - interval '2 minutes'");
    const s = await attempt(ip, '/sms/send', { phone: owner.phone, purpose: 'login' });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const { code } = await latestCode(owner.phone, before);
    const sms = await attempt(ip, '/login/sms', { phone: owner.phone, code });
    assert.equal(sms.status, 200, JSON.stringify(sms.body));
    /* only keyed indexes are kept, never a number */
    assert.equal(psql(`SELECT count(*) FROM login_client_failures WHERE client = '${ip}'`), '10');
    assert.equal(psql(`SELECT count(*) FROM login_client_failures WHERE encode(phone_idx, 'escape') LIKE '%${owner.phone}%'`), '0');
});

test('spraying__twenty_parallel_attempts__exactly_ten_counted_the_rest_refused', { skip: SKIP }, async () => {
    const ip = address();
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
        attempt(ip, '/login', { phone: freshPhone('159'), password: 'Summer2026!x' })));
    const codes = answers.map((a) => a.status).sort();
    assert.deepEqual(codes, [...Array(10).fill(400), ...Array(10).fill(429)], JSON.stringify(codes));
    assert.equal(psql(`SELECT count(*) FROM login_client_failures WHERE client = '${ip}'`), '10');
});

test('own_password_mistyped__not_spraying__the_account_lock_alone_applies', { skip: SKIP }, async () => {
    const owner = await applicant();
    const ip = address();
    for (let i = 0; i < 3; i++)
        assert.equal((await attempt(ip, '/login', { phone: owner.phone, password: 'Wrong0000x' })).status, 400);
    const ok = await attempt(ip, '/login', { phone: owner.phone, password: 'Passw0rd123' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

/* ---- staff passwords (modules/admin): the same limit, its own count ------- */

const { Client } = require('./lib/client');
const { addStaff } = require('./lib/staff');

function staffLogin(prefix) {
    return `${prefix}${process.pid % 1000}${crypto.randomInt(100000, 999999)}`;
}

/* a staff login form's client, then its post from address ip */
async function staffAttempt(ip, login, password) {
    const c = new Client();
    await c.get('/admin/login');
    return c.post('/admin/login', { login, password }, { headers: { 'X-Forwarded-For': ip } });
}

test('staff_spraying__twenty_parallel_wrong_passwords_on_twenty_logins__ten_counted_then_429', { skip: SKIP }, async () => {
    const PW = 'Spray2026staffpw';
    /* twelve real accounts and eight unknown logins: each tried once */
    const real = Array.from({ length: 12 }, () => staffLogin('spr'));
    for (const login of real)
        addStaff(login, 'report', PW);
    const logins = [...real, ...Array.from({ length: 8 }, () => staffLogin('nobody'))];
    const ip = address();
    const rs = await Promise.all(logins.map((login) => staffAttempt(ip, login, 'Autumn2026!x')));
    const statuses = rs.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 400).length, 10, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 10, statuses.join(','));
    for (const r of rs.filter((x) => x.status === 429)) {
        assert.equal(r.body.field, 'password');
        assert.equal(r.body.message, '本机登录失败次数过多，请10分钟后再试');
    }
    /* a refused try changed nothing: only the ten answered 400 count on their account */
    real.forEach((login, i) => assert.equal(psql(`SELECT failed_logins FROM staff WHERE login = '${login}'`),
        statuses[i] === 400 ? '1' : '0', login));
    assert.equal(psql(`SELECT count(*) FROM login_client_failures WHERE client = 'staff-pw:${ip}'`), '10');
    /* the right password from that address: refused too */
    const right = await staffAttempt(ip, real[0], PW);
    assert.equal(right.status, 429, right.text);
    assert.ok(!right.body.redirect);
    /* the member from another address: on to the second factor */
    const elsewhere = await staffAttempt(address(), real[0], PW);
    assert.equal(elsewhere.status, 200, elsewhere.text);
    assert.match(elsewhere.body.redirect, /^\/admin\/login\/(code|enrol)\?next=/);
});

test('staff_own_password_mistyped__one_login__the_account_lock_alone_applies', { skip: SKIP }, async () => {
    const PW = 'Mistype2026staffpw';
    const login = staffLogin('own');
    addStaff(login, 'report', PW);
    const ip = address();
    for (let i = 0; i < 4; i++)
        assert.equal((await staffAttempt(ip, login, `Wrong${i}000x`)).status, 400);
    const ok = await staffAttempt(ip, login, PW);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(psql(`SELECT count(*) FROM login_client_failures WHERE client = 'staff-pw:${ip}'`), '1');
});
