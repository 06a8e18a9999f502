'use strict';
/*
 * Password spraying (issue 22 §7): one client trying one password on many
 * accounts never reached any account's own lock, so 30 accounts x 1 wrong
 * password all answered 400.  Now a client that failed on 10 distinct
 * phones within 10 minutes gets 429 for every password login, counted
 * exactly under parallel attempts; its owners are not locked out (another
 * address logs in, an SMS code still works from the same one, and a user
 * mistyping their own password is left to the account's own lock).
 *
 * Each test is its own client: nginx takes the client address from
 * X-Forwarded-For when the request comes from 127.0.0.1 (real_ip), as it
 * would behind the hall's own load balancer.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL, applicant, freshPhone, latestCode } = require('./lib/client');
const { psql } = require('./lib/payflow');
const { setCookies } = require('./lib/cookies');

const SKIP = !process.env.HALL_VAR;

function address() {
    return `10.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}.${crypto.randomInt(1, 255)}`;
}

/* a browser at address ip: the login page's token and cookie, then a post */
async function attempt(ip, path, fields) {
    const page = await fetch(`${HALL}/login`, { headers: { 'X-Forwarded-For': ip } });
    const cookie = setCookies(page).map((c) => c.split(';')[0]).join('; ');
    const token = (await page.text()).match(/<meta name="csrf-token" content="([^"]+)"/)[1];
    const res = await fetch(`${HALL}${path}`, {
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
