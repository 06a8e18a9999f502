'use strict';
/*
 * Beijing time on the pages an applicant prints and reads (docs/operations.md,
 * "Time zone"), in headless Chromium: an order made at 16:30 UTC (the test
 * hall's server is in UTC) shows 00:30 of the next day as its 申请日期 on the
 * printed form and as 创建时间 on the order page.  axe checks both pages.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { applicant, HALL } = require('../integ/lib/client');
const { psql, orgForm, unpaidOrder } = require('../integ/lib/payflow');
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

test('an order made at 16:30 UTC: printed and shown on the Beijing date, 00:30', { skip: SKIP }, async () => {
    const c = await applicant();
    const o = await unpaidOrder(c, { form: orgForm() });
    /* a day of 2022 no other test writes into */
    const utcMs = Date.UTC(2022, crypto.randomInt(0, 12), crypto.randomInt(1, 28), 16, 30);
    const utcDay = new Date(utcMs).toISOString().slice(0, 10);
    const bjDay = new Date(utcMs + 8 * 3600000).toISOString().slice(0, 10);
    psql(`UPDATE orders SET created_at = '${utcDay} 16:30:00+00' WHERE id = ${o.id}`);

    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    await signIn(context, c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/new/print?id=${o.id}`);
        await page.locator('text=授权委托及单位声明').waitFor();
        const line = await page.locator('p.right', { hasText: '申请日期' }).textContent();
        assert.ok(line.includes(`申请日期：${bjDay} 00:30`), line);
        await a11y.check(page, '打印申请表');

        await page.goto(`${HALL}/center/order?id=${o.id}`);
        const created = await page.locator('dt', { hasText: '创建时间' }).locator('xpath=following-sibling::dd[1]')
            .textContent();
        assert.equal(created.trim(), `${bjDay} 00:30`);
        await a11y.check(page, '业务单详情');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});
