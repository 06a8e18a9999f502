'use strict';
/*
 * Where a holder meets the 证书助手 and the medium (issue 64 §3 "the hall's
 * pages tell the holder when a step needs the 证书助手 and show the exact
 * command", §5 "what a lost medium or a forgotten PIN means"), in headless
 * Chromium through nginx, axe on every page:
 *  - the 操作提示 of 证书变更 names the 证书助手 for a USB key with the
 *    command as /change/assist shows it, and the browser's new key for a
 *    file made there; 证书更新's the browser's way (no PIN by SMS);
 *    介质遗失补办's a new USB key (never the lost one) or a new key in the
 *    browser; 证书介质与密钥 a lost browser file;
 *
 * Before: 证书变更's notice said only that a new medium is mailed, 证书更新's
 * that the PIN comes by SMS, and 补办's nothing of a browser file.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { HALL } = require('../integ/lib/client');
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

async function newPage(c) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    if (c)
        await signIn(ctx, c);
    const page = await ctx.newPage();
    a11y.track(page);
    return { ctx, page };
}

const text = async (page, sel) => (await page.locator(sel).innerText()).replace(/\s+/g, ' ');

test('notices__变更_更新_补办__the_证书助手_command_for_a_USB_key__the_browser_way_for_a_file', { skip: SKIP }, async () => {
    const { ctx, page } = await newPage(null);
    try {
        await page.goto(`${HALL}/change/notice`);
        assert.match(await text(page, '#change-usbkey'),
            /USB Key[^]*用证书助手在线变更[^]*\/change\/assist\?id=业务单号[^]*在同一个USB Key中生成新密钥[^]*确认后原证书才作废/);
        assert.equal((await page.locator('#change-usbkey code').innerText()).trim(),
            'hall-assist change --module 驱动库 --token 介质序列号 --ticket 变更码 --hall 网上营业厅网址',
            'the command as /change/assist shows its form');
        assert.match(await text(page, '#change-browser'),
            /浏览器中生成密钥[^]*不用证书助手[^]*生成密钥并下载证书[^]*新的密钥[^]*原证书即被吊销/);
        await a11y.check(page, '证书变更 操作提示');

        await page.goto(`${HALL}/renew/notice`);
        assert.match(await text(page, '#renew-usbkey code'), /^hall-assist renew --module 驱动库 --token 介质序列号 --ticket 更新码/);
        assert.match(await text(page, '#renew-browser'),
            /浏览器中生成密钥[^]*不用证书助手[^]*新的密钥[^]*不发送PIN码短信/);
        assert.doesNotMatch(await text(page, '#renew-notice'), /浏览器生成密钥的在您的浏览器中生成，营业厅不持有私钥；证书PIN码以短信发送/,
            'a file made in the browser gets no PIN by SMS');
        await a11y.check(page, '证书更新 操作提示');

        await page.goto(`${HALL}/reissue/notice`);
        assert.match(await text(page, '#reissue-usbkey'),
            /USB Key[^]*不能在原USB Key上办理，也不用证书助手[^]*新的USB Key[^]*新的密钥对[^]*原证书吊销/);
        assert.match(await text(page, '#reissue-browser'),
            /浏览器中生成密钥[^]*不邮寄USB Key[^]*生成密钥并下载证书[^]*新的密钥[^]*原证书吊销/);
        assert.match(await text(page, '#medium-notice #medium-lost'),
            /浏览器生成的证书文件遗失或损坏的，同样办理补办[^]*浏览器中重新生成新的密钥/);
        await a11y.check(page, '介质遗失补办 操作提示');
    } finally {
        await ctx.close();
    }
});
