'use strict';
/*
 * The seeds' pages in headless Chromium (issue 22 §6): the header menu of
 * seed 004 leads to 常见问题 and 大客户专区; the personal center's own menu,
 * 清空 that empties the order filter, and the form's 上一步 and hints.
 * axe checks every page visited.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { HALL, applicant } = require('../integ/lib/client');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const SKIP = !process.env.HALL_URL;
let browser;

before(async () => {
    if (!SKIP)
        browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

test('seed 004 menu: FAQ, 大客户专区, the center menu, 清空, 上一步', { skip: SKIP }, async () => {
    const c = await applicant();
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    await signIn(context, c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/`);
        await a11y.check(page, '首页');
        const masked = `${c.phone.slice(0, 3)}****${c.phone.slice(7)}`;
        assert.equal(await page.textContent('#nav-who'), `欢迎您！${masked}`);
        const labels = await page.locator('header nav a, header nav button').allTextContents();
        assert.deepEqual(labels.map((s) => s.trim()), ['业务办理', '产品方案', '大客户专区', '签名验证', '常见问题', '个人中心', '退出']);

        await Promise.all([page.waitForURL(`${HALL}/faq`), page.click('#nav-faq')]);
        assert.equal(await page.textContent('h1'), '常见问题');
        assert.match(await page.textContent('#hotline'), /400-112-3838/);
        await a11y.check(page, '常见问题');

        await Promise.all([page.waitForURL(`${HALL}/partners`), page.click('#nav-channels')]);
        assert.match(await page.textContent('#channel-list'), /湖南省公共资源交易服务平台/);
        await a11y.check(page, '大客户专区');

        await Promise.all([page.waitForURL(`${HALL}/center/orders`), page.click('#nav-orders')]);
        await page.fill('input[name="order_no"]', 'N2099');
        await page.selectOption('select[name="business"]', 'new');
        await a11y.check(page, '我的业务单');
        await Promise.all([page.waitForURL(/order_no=N2099/), page.click('#filters button[type="submit"]')]);
        await a11y.check(page, '我的业务单（筛选）');
        await Promise.all([page.waitForURL(`${HALL}/center/orders`), page.click('#filters-clear')]);
        assert.equal(await page.inputValue('input[name="order_no"]'), '');
        assert.equal(await page.inputValue('select[name="business"]'), '');
        await Promise.all([page.waitForURL(`${HALL}/center/finauth`), page.click('#menu-online')]);
        await a11y.check(page, '我的业务单-在线认证');

        /* 录入信息 on Hunan's hall: the seeds' hints, and 上一步 back to 选择应用 */
        await page.goto(`${HALL}/hunan/new?project=hunan`);
        await a11y.check(page, '阅读协议（湖南）');
        await page.check('input[name="agree1"]');
        if (await page.locator('input[name="agree2"]').count())
            await page.check('input[name="agree2"]');
        await Promise.all([page.waitForURL(/\/hunan\/new\/apply/), page.click('#agree button[type="submit"]')]);
        assert.match(await page.textContent('#agent_mobile-hint'), /请填写实名手机号码/);
        assert.match(await page.textContent('#tender-hint'), /以招标文件为准/);
        await a11y.check(page, '录入信息（湖南）');
        await Promise.all([page.waitForURL(`${HALL}/hunan/new?project=hunan`), page.click('#apply-back')]);
        await a11y.check(page, '阅读协议（湖南，上一步）');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});

/* seed 001 (issue 40 §6): the seal form's 快递费付款方式 matches the address by
 * itself, 寄付 where 京东 delivers (寄付默认是京东快递) and 到付 elsewhere; its
 * 上一步 goes back to the 签章办理流程指引 */
test('seed 001 seal form: 寄付 chosen by the address, 上一步', { skip: SKIP }, async () => {
    const c = await applicant();
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    await signIn(context, c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/seal?project=hall`);
        await a11y.check(page, '阅读协议 · 电子签章');
        await page.check('input[name="agree1"]');
        await page.check('input[name="agree2"]');
        await Promise.all([page.waitForURL(/\/seal\/guide\?project=hall$/), page.click('#agree button[type="submit"]')]);
        await Promise.all([page.waitForURL(/\/seal\/apply\?project=hall$/), page.click('#seal-guide-ok')]);
        const prepaid = page.locator('input[name="shipping"][value="prepaid"]');
        const collect = page.locator('input[name="shipping"][value="collect"]');
        assert.equal(await collect.isChecked(), true, 'before an address: 到付');
        /* 广东: 京东寄付 13 元, chosen */
        await page.selectOption('select[name="mail_province"]', '440000');
        await page.locator('#prepaid-text', { hasText: '京东快递寄付' }).waitFor();
        await page.waitForFunction(() => document.querySelector('input[name="shipping"][value="prepaid"]').checked);
        assert.equal(await collect.isChecked(), false);
        await a11y.check(page, '录入信息 · 电子签章（寄付）');
        /* 西藏: only 到付 */
        await page.selectOption('select[name="mail_province"]', '540000');
        await page.locator('#prepaid-text', { hasText: '该地址不支持寄付' }).waitFor();
        assert.equal(await prepaid.isChecked(), false);
        assert.equal(await prepaid.isDisabled(), true);
        assert.equal(await collect.isChecked(), true);
        /* back to 广东: 寄付 again */
        await page.selectOption('select[name="mail_province"]', '440000');
        await page.waitForFunction(() => document.querySelector('input[name="shipping"][value="prepaid"]').checked);
        /* 上一步 */
        assert.equal(await page.textContent('#apply-back'), '上一步');
        await Promise.all([page.waitForURL(`${HALL}/seal/guide?project=hall`), page.click('#apply-back')]);
        await a11y.check(page, '签章办理流程指引（上一步）');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});
