'use strict';
/*
 * One user journey in headless Chromium through nginx: register with an SMS
 * code, land logged in, log out, log in by password, see the masked phone
 * in the profile.  A screenshot of each step goes to tests/e2e/artifacts/.
 */

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
    SKIP, HALL_URL, newPhone, maskPhone, smsMessages, waitForSms, codeOf,
} = require('../integ/lib/hall');
const a11y = require('./lib/a11y');
const { launchChromium } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');

let browser;

before(async () => {
    if (SKIP)
        return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

test('register, log out, log in by password, see the masked phone', { skip: SKIP }, async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, locale: 'zh-CN' });
    const page = await context.newPage();
    a11y.track(page);
    /* what a user would not see but must not happen: script errors, CSP refusals */
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
        /* a 4xx answer is logged by Chromium; the form shows those (step 2) */
        if (m.type() === 'error' && !/status of 4\d\d/.test(m.text()))
            problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
        if (r.status() >= 500)
            problems.push(`${r.status()} for ${r.url()}`);
    });
    const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    const phone = newPhone('177');
    const password = 'Browser2024';

    try {
        /* 1. the registration page, phone typed, 获取验证码 */
        await page.goto(`${HALL_URL}/register`);
        assert.equal(await page.locator('h1').textContent(), '注册');
        await a11y.check(page, '注册');
        const form = page.locator('form#register');
        await form.locator('input[name="phone"]').fill(phone);
        const before = (await smsMessages(phone)).length;
        const smsButton = form.locator('button[data-sms="register"]');
        await smsButton.click();
        /* the button counts down instead of sending again */
        await page.waitForFunction(() => /秒后重新获取/.test(
            document.querySelector('button[data-sms="register"]').textContent));
        assert.equal(await smsButton.isDisabled(), true);
        assert.equal(await form.locator('[data-ok]').textContent(), '验证码已发送，5分钟内有效');
        const code = codeOf(await waitForSms(phone, before));
        await shot('01-code-sent');

        /* 2. a mismatched confirmation is shown under its field, nothing else happens */
        await form.locator('input[name="code"]').fill(code);
        await form.locator('input[name="password"]').fill(password);
        await form.locator('input[name="password2"]').fill(password + 'x');
        await form.locator('button[type="submit"]').click();
        const err2 = form.locator('.err[data-for="password2"]');
        await err2.filter({ hasText: '两次输入的密码不一致' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/register');
        await a11y.check(page, '注册 with a field error');
        await shot('02-password-mismatch');

        /* 3. corrected: registered and logged in on the home page */
        await form.locator('input[name="password2"]').fill(password);
        await Promise.all([
            page.waitForURL(`${HALL_URL}/`),
            form.locator('button[type="submit"]').click(),
        ]);
        await page.locator('#welcome').waitFor();
        assert.equal(await page.locator('#logout').isVisible(), true);
        assert.equal(await page.locator('#nav-login').count(), 0);
        await a11y.check(page, 'home, logged in');
        await shot('03-registered');

        /* 4. log out: back to the home page as a visitor */
        await Promise.all([
            page.waitForURL(`${HALL_URL}/`),
            page.locator('#logout').click(),
        ]);
        await page.locator('#nav-login').waitFor();
        assert.equal(await page.locator('#welcome').count(), 0);
        await a11y.check(page, 'home, logged out');
        await shot('04-logged-out');

        /* 5. log in by password from the login page */
        await page.locator('#nav-login').click();
        await page.waitForURL(`${HALL_URL}/login`);
        await a11y.check(page, '登录');
        const login = page.locator('form#login-password');
        await login.locator('input[name="phone"]').fill(phone);
        await login.locator('input[name="password"]').fill(password);
        await shot('05-login');
        await Promise.all([
            page.waitForURL(`${HALL_URL}/`),
            login.locator('button[type="submit"]').click(),
        ]);
        await page.locator('#welcome').waitFor();

        /* 6. the header greets the masked phone (seed 004: 欢迎您！138****1234);
         * 个人中心's own menu leads to the profile, which shows it masked */
        assert.equal(await page.locator('#nav-who').textContent(), `欢迎您！${maskPhone(phone)}`);
        await Promise.all([
            page.waitForURL(`${HALL_URL}/center/orders`),
            page.getByRole('link', { name: '个人中心', exact: true }).click(),
        ]);
        await a11y.check(page, '我的业务单');
        await page.getByRole('link', { name: '个人资料', exact: true }).click();
        await page.waitForURL(`${HALL_URL}/account/profile`);
        assert.equal(await page.locator('#phone-masked').textContent(), maskPhone(phone));
        assert.ok(!(await page.content()).includes(phone), 'the full number is nowhere on the page');
        await a11y.check(page, '个人资料');
        await shot('06-profile');

        assert.deepEqual(problems, []);
        a11y.assertAllChecked(page);
    } catch (e) {
        await shot('failed').catch(() => {});
        throw e;
    } finally {
        await context.close();
    }
});
