'use strict';
/*
 * 在线盖章's 按关键字定位 (static/stamp/keyword.js, docs/modules/sign.md) in
 * headless Chromium: the LibreOffice export of tests/data/pdf (CJK fonts
 * embedded as subsets) as written and with its last page turned by 90
 * degrees; the keyword 盖章 found by pdf.js puts the page and the mm in the
 * form, the seal is stamped there, and pdftoppm shows it centred on the
 * keyword's box that poppler's pdftotext -bbox gives; the stamp is valid to
 * hall-stamp verify.  A keyword the document lacks is refused naming the
 * pages searched, and nothing is filled in.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, fetchPki } = require('../integ/lib/pki');
const { keywordBoxes, turned, redSeals, assertCentred } = require('../integ/lib/keyword');
const { launchChromium } = require('./lib/browser');
const { producedSeal, toolVerify } = require('./lib/stamp');

const SKIP = !process.env.HALL_URL;
const CONTRACT = path.join(__dirname, '..', 'data', 'pdf', 'libreoffice-contract.pdf');
let browser, holder, dir;

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    holder = await producedSeal();
    fs.writeFileSync(path.join(dir, 'seal.seseal'), holder.seal);
    fs.writeFileSync(path.join(dir, 'medium.p12'), holder.p12);
    assert.equal(spawnSync('qpdf', ['--rotate=+90:3', CONTRACT, path.join(dir, 'turned.pdf')]).status, 0);
    await fetchPki(dir);
});

after(async () => {
    if (browser)
        await browser.close();
});

async function openPage(input) {
    const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${HALL}/seal/stamp`);
    await page.locator('#stamp-pdf').setInputFiles(input);
    await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).waitFor();
    await page.locator('#stamp-seseal').setInputFiles(path.join(dir, 'seal.seseal'));
    await page.locator('#stamp-p12').setInputFiles(path.join(dir, 'medium.p12'));
    await page.locator('#stamp-pin').fill(holder.pin);
    return { context, page };
}

for (const [name, rot] of [['libreoffice-contract.pdf', 0], ['turned.pdf', 90]]) {
    test(`按关键字定位 on ${rot ? 'a page turned by 90 degrees' : 'a LibreOffice export'}: the last 盖章 found, the seal centred on it, valid`,
        { skip: SKIP }, async () => {
            const input = rot ? path.join(dir, name) : CONTRACT;
            const { context, page } = await openPage(input);
            await page.locator('#stamp-keyword').fill('盖章');
            await page.locator('#stamp-keyword-match').selectOption('last');
            await page.locator('#stamp-find').click();
            await page.waitForFunction(() => document.getElementById('stamp-x').value !== '');
            assert.equal(await page.locator('#stamp-page').inputValue(), '3');
            /* the last as shown: 乙方（盖章）on the unturned page; below the first when turned */
            const want = keywordBoxes(CONTRACT, 3, '盖章').map((p) => turned(p, rot))
                .sort((p, q) => p.y - q.y || p.x - q.x).pop();
            const x = Number(await page.locator('#stamp-x').inputValue());
            const y = Number(await page.locator('#stamp-y').inputValue());
            assert.ok(Math.abs(x - want.x) < 1.5 && Math.abs(y - want.y) < 1.5,
                `form ${x},${y} mm, keyword at ${want.x.toFixed(1)},${want.y.toFixed(1)} mm`);
            /* moved inwards, as the holder may, so the whole seal shows */
            const dx = rot ? -30 : 0, dy = rot ? 0 : 25;
            await page.locator('#stamp-x').fill((x + dx).toFixed(1));
            await page.locator('#stamp-y').fill((y + dy).toFixed(1));
            await page.locator('#stamp-go').click();
            await page.locator('#stamp-done').waitFor({ timeout: 60000 });
            const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
            const out = path.join(dir, `web-${name}`);
            fs.writeFileSync(out, fs.readFileSync(await dl.path()));
            await context.close();
            const seals = redSeals(dir, out, 3);
            assert.equal(seals.length, 1);
            assertCentred(seals[0], { x: want.x + dx, y: want.y + dy }, `在线盖章, /Rotate ${rot}`);
            const v = toolVerify(dir, fs.readFileSync(out), `web-${name}-v.pdf`);
            assert.equal(v.status, 0, v.stdout + v.stderr);
        });
}

test('按关键字定位: a keyword not in the document is refused naming the pages searched', { skip: SKIP }, async () => {
    const { context, page } = await openPage(CONTRACT);
    await page.locator('#stamp-keyword').fill('骑缝章处');
    await page.locator('#stamp-find').click();
    await page.locator('#err-keyword').filter({ hasText: '文档中没有关键字“骑缝章处”（已查找第1至3页，共3页）' }).waitFor();
    assert.equal(await page.locator('#stamp-x').inputValue(), '');
    await context.close();
});
