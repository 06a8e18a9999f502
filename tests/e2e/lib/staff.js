'use strict';
/*
 * Staff sign-in in the browser, as a person does it: the password form at
 * /admin/login, then the code page, the 6-digit code typed (computed from
 * the member's TOTP secret: tests/integ/lib/staff.js); a member without a
 * factor (a test's own account) enrols instead.  check(name), when given,
 * runs after each page (a11y.check).
 */
const { HALL } = require('../../integ/lib/client');
const { freshCode, serial, rememberSecret } = require('../../integ/lib/staff');

async function staffSignInPage(page, login, password, { check } = {}) {
    await page.goto(`${HALL}/admin/login`);
    if (check)
        await check('staff login');
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL(/\/admin\/login\/(code|enrol)\?/),
        page.click('#admin-login button[type="submit"]')]);
    if (/\/admin\/login\/enrol\?/.test(page.url())) {
        /* a member without a factor (a test's own account): enrol, as a person would */
        if (check)
            await check('staff login: 绑定动态验证码');
        rememberSecret(login, (await page.textContent('#enrol-secret')).replace(/\s/g, ''));
        await page.fill('#enrol-code', freshCode(login));
        await Promise.all([page.waitForLoadState('load'), page.click('#enrol-submit')]);
        await page.locator('#recovery-codes').waitFor();
        if (check)
            await check('staff login: 恢复码');
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/admin/login')),
            page.click('#recovery-continue')]);
        return;
    }
    if (check)
        await check('staff login: 动态验证码');
    await serial(login, async () => {
        await page.fill('#code', freshCode(login));
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/admin/login')),
            page.click('#code-submit')]);
    });
}

module.exports = { staffSignInPage };
