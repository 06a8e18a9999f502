'use strict';
/*
 * 盖章 as a visitor sees it, in headless Chromium through nginx: the
 * 电子签章 product page's four entries (seed 001) lead to their pages; a
 * PDF stamped with a hall seal by hall-stamp, uploaded on the 签名验证
 * page, shows 有效 and the seal's picture; 免费体验 in the browser gives
 * back a stamped PDF that the 签名验证 page calls 体验印章.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('../integ/lib/client');
const { launchChromium } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { makePdf, hallSeals, stampWith, tmpdir } = require('../integ/lib/stamp');

test('product_page__five_entries__each_leads_to_its_page', async () => {
    const browser = await launchChromium();
    try {
        const page = await browser.newPage();
        await page.goto(`${HALL}/seal/product`);
        const entries = await page.$$eval('#seal-entries a', (as) => as.map((a) => a.textContent.trim()));
        assert.deepEqual(entries, ['立即购买', '使用指引(签章已办理成功)', '在线盖章(签章已办理成功)', '免费体验',
            '深圳CA驱动和盖章工具下载']);
        for (const [id, h1] of [['#seal-usage', '电子签章使用指引'], ['#seal-stamp', '在线盖章'], ['#seal-try', '免费体验'],
            ['#seal-tools', '驱动和盖章工具下载']]) {
            await page.goto(`${HALL}/seal/product`);
            await Promise.all([page.waitForNavigation(), page.click(id)]);
            assert.equal((await page.textContent('h1')).trim(), h1, id);
            await a11y.check(page, h1);
        }
        /* the header's 签名验证 is the PDFs' */
        await Promise.all([page.waitForNavigation(), page.click('#nav-verify')]);
        assert.equal(new URL(page.url()).pathname, '/sign/verify');
        assert.equal((await page.textContent('h1')).trim(), '签名验证');
        await a11y.check(page, '签名验证');
        /* 使用指引: the tool, 在线盖章 and 签名验证 */
        await page.goto(`${HALL}/seal/usage`);
        for (const href of ['/sign/tools', '/seal/stamp', '/sign/verify'])
            assert.ok(await page.$(`#seal-usage-steps a[href="${href}"]`), href);
    } finally {
        await browser.close();
    }
});

test('verify_page__hall_stamped_pdf_uploaded__有效_and_the_seal_picture', async () => {
    const seals = await hallSeals();
    const dir = tmpdir();
    const file = path.join(dir, '合同.pdf');
    fs.writeFileSync(file, stampWith(makePdf({ text: 'browser verify' }), seals.org, seals.pin));
    const browser = await launchChromium();
    try {
        const page = await browser.newPage();
        await page.goto(`${HALL}/sign/verify`);
        await page.setInputFiles('#file', file);
        await Promise.all([page.waitForNavigation(), page.click('#sign-verify-submit')]);
        assert.equal((await page.textContent('#stamp-1-state')).trim(), '有效');
        assert.match(await page.textContent('#stamp-1'), new RegExp(seals.org.esId));
        const img = await page.$('#stamp-1-picture');
        assert.ok(img, 'the seal picture is shown');
        const w = await img.evaluate((el) => el.complete && el.naturalWidth);
        assert.ok(w > 0, 'the picture decoded');
        assert.match(await page.textContent('#sign-summary'), /共 1 个签章，1 个有效/);
        await a11y.check(page, '签名验证, a result');
    } finally {
        await browser.close();
    }
});

test('try_page__stamped_pdf_downloaded__verify_page_says_体验印章', async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'doc.pdf');
    fs.writeFileSync(file, makePdf({ pages: 1, text: 'browser trial' }));
    const browser = await launchChromium();
    try {
        const ctx = await browser.newContext({ acceptDownloads: true });
        const page = await ctx.newPage();
        await page.goto(`${HALL}/sign/try`);
        await page.setInputFiles('#file', file);
        await page.fill('#x', '60');
        await page.fill('#y', '60');
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#sign-try-submit')]);
        const out = path.join(dir, 'stamped.pdf');
        await download.saveAs(out);
        const stamped = fs.readFileSync(out);
        assert.equal(stamped.subarray(0, 5).toString(), '%PDF-');
        assert.ok(stamped.length > fs.statSync(file).size);
        await page.goto(`${HALL}/sign/verify`);
        await page.setInputFiles('#file', out);
        await Promise.all([page.waitForNavigation(), page.click('#sign-verify-submit')]);
        assert.equal((await page.textContent('#stamp-1-state')).trim(), '体验印章');
        assert.match(await page.textContent('#stamp-1'), /免费体验印章：仅供体验，不具法律效力/);
    } finally {
        await browser.close();
    }
});
