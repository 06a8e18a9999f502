'use strict';
/*
 * Staff sign-in in the browser, as a person does it: the password form at
 * /admin/login, then the code page, the 6-digit code typed (computed from
 * the member's TOTP secret: tests/integ/lib/staff.js).  check(name), when
 * given, runs after each of the two pages (a11y.check).
 */
const { HALL } = require('../../integ/lib/client');
const { freshCode, serial } = require('../../integ/lib/staff');

async function staffSignInPage(page, login, password, { check } = {}) {
    await page.goto(`${HALL}/admin/login`);
    if (check)
        await check('staff login');
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL(/\/admin\/login\/code\?/),
        page.click('#admin-login button[type="submit"]')]);
    if (check)
        await check('staff login: 动态验证码');
    await serial(login, async () => {
        await page.fill('#code', freshCode(login));
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/admin/login')),
            page.click('#code-submit')]);
    });
}

module.exports = { staffSignInPage };
