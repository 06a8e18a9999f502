'use strict';
/*
 * The staff's second factor in a browser (issue 26 §2): a new member logs in
 * with the password, is led to 绑定动态验证码 (the QR code, the secret in
 * text), types a wrong code (the page again, the error said), then the
 * right one (computed from the secret the page shows) and sees the ten
 * recovery codes once; a later login shows 动态验证码, refuses a wrong code
 * in place and takes a recovery code.  axe on every page (a11y.assertAllChecked).
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL } = require('../integ/lib/client');
const { totp, makeStaff, stepNow } = require('../integ/lib/staff');
const a11y = require('./lib/a11y');
const { launchChromium } = require('./lib/browser');

const SKIP = !process.env.HALL_URL;
const PW = 'Browser2026enrol';
let browser;

before(async () => {
    if (!SKIP)
        browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

async function newPage(problems) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 500)
            problems.push(`${r.status()} ${r.url()}`);
    });
    return page;
}

async function password(page, login) {
    await page.goto(`${HALL}/admin/login?next=%2Fadmin%2Ffinance`);
    await a11y.check(page, 'staff login');
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', PW);
    await page.click('#admin-login button[type="submit"]');
}

test('enrolment_page__qr_secret_wrong_then_right_code__recovery_codes__later_login_with_one',
    { skip: SKIP, timeout: 120000 }, async () => {
        const problems = [];
        const login = `e2e${process.pid % 1000}${crypto.randomInt(10000, 99999)}`;
        makeStaff(login, 'finance', PW, { enrol: false });
        const page = await newPage(problems);

        await password(page, login);
        await page.waitForURL(/\/admin\/login\/enrol\?next=%2Fadmin%2Ffinance$/);
        await page.locator('#enrol-qr svg').waitFor();
        await a11y.check(page, '绑定动态验证码');
        const secret = (await page.textContent('#enrol-secret')).replace(/\s/g, '');
        assert.match(secret, /^[A-Z2-7]{32}$/);
        assert.match(await page.getAttribute('#enrol-link', 'href'),
            new RegExp(`^otpauth://totp/.*secret=${secret}&issuer=`));
        /* the console is not open yet */
        const early = await page.context().request.get(`${HALL}/admin/finance`,
            { headers: { Accept: 'application/json' }, maxRedirects: 0 });
        assert.equal(early.status(), 401);

        /* a wrong code: the same page, the message, the same secret */
        const wrong = totp(secret, stepNow() + 20);
        await page.fill('#enrol-code', wrong);
        await Promise.all([page.waitForLoadState('load'), page.click('#enrol-submit')]);
        await page.locator('#enrol-error').waitFor();
        assert.match(await page.textContent('#enrol-error'), /动态验证码不正确/);
        assert.equal((await page.textContent('#enrol-secret')).replace(/\s/g, ''), secret);
        await a11y.check(page, '绑定动态验证码: wrong code');

        /* the right one: the recovery codes, once */
        await page.fill('#enrol-code', totp(secret));
        await Promise.all([page.waitForLoadState('load'), page.click('#enrol-submit')]);
        await page.locator('#recovery-codes').waitFor();
        const codes = (await page.locator('#recovery-codes code').allTextContents()).map((s) => s.trim());
        assert.equal(codes.length, 10);
        for (const k of codes)
            assert.match(k, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
        await a11y.check(page, '恢复码');
        await Promise.all([page.waitForURL(`${HALL}/admin/finance`), page.click('#recovery-continue')]);
        await a11y.check(page, 'finance queue after enrolment');
        a11y.assertAllChecked(page);

        /* later, another browser: the code page, a wrong code, then a recovery code */
        const later = await newPage(problems);
        await password(later, login);
        await later.waitForURL(/\/admin\/login\/code\?next=%2Fadmin%2Ffinance$/);
        await a11y.check(later, '动态验证码');
        await later.fill('#code', totp(secret, stepNow() + 20));
        await later.click('#code-submit');
        await later.locator('#admin-code .err[data-for="code"]', { hasText: '动态验证码不正确' }).waitFor();
        await a11y.check(later, '动态验证码: wrong code');
        await later.fill('#code', codes[0]);
        await Promise.all([later.waitForURL(`${HALL}/admin/finance`), later.click('#code-submit')]);
        await a11y.check(later, 'finance queue after a recovery code');
        a11y.assertAllChecked(later);
        assert.deepEqual(problems, []);
    });

test('test_helper__staffSignInPage_of_a_member_without_a_factor__enrols_in_the_browser',
    { skip: SKIP, timeout: 60000 }, async () => {
        const { staffSignInPage } = require('./lib/staff');
        const problems = [];
        const login = `e2h${process.pid % 1000}${crypto.randomInt(10000, 99999)}`;
        makeStaff(login, 'reviewer', PW, { enrol: false });
        const page = await newPage(problems);
        await staffSignInPage(page, login, PW, { check: (name) => a11y.check(page, name) });
        assert.equal(page.url(), `${HALL}/admin`);
        await a11y.check(page, 'console after enrolment');
        a11y.assertAllChecked(page);
        /* and again, with the code this time */
        const again = await newPage(problems);
        await staffSignInPage(again, login, PW, { check: (name) => a11y.check(again, name) });
        assert.equal(again.url(), `${HALL}/admin`);
        await a11y.check(again, 'console');
        a11y.assertAllChecked(again);
        assert.deepEqual(problems, []);
    });
