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
 *
 * Then the files Microsoft Word saved as PDF (tests/data/pdf/corpus/
 * README.md names their sources): Word 2016's DengXian subset, and a
 * contract's signature block a PDF editor cropped (its /CropBox a small part
 * of its A4 /MediaBox; 中国饮料有限公司 in a font whose ToUnicode map is
 * written with begincidrange).  The keyword pdf.js finds fills the form
 * with mm from the media box's corner, as --x and --y are measured; the
 * seal shows centred on the keyword where a viewer shows it (pdftoppm
 * -cropbox), 有效 at POST /sign/verify, and pdfsig accepts the file.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, fetchPki } = require('../integ/lib/pki');
const { keywordBoxes, turned, pageBoxes, asShown, redSeals, assertCentred } = require('../integ/lib/keyword');
const { launchChromium } = require('./lib/browser');
const { producedSeal, toolVerify, hallVerify } = require('./lib/stamp');

const SKIP = !process.env.HALL_URL;
const CONTRACT = path.join(__dirname, '..', 'data', 'pdf', 'libreoffice-contract.pdf');
const CORPUS = path.join(__dirname, '..', 'data', 'pdf', 'corpus');
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
    const nss = `sql:${path.join(dir, 'nss')}`;
    fs.mkdirSync(path.join(dir, 'nss'));
    assert.equal(spawnSync('certutil', ['-N', '-d', nss, '--empty-password']).status, 0);
    assert.equal(spawnSync('certutil', ['-A', '-d', nss, '-n', 'hall-root', '-t', 'CT,C,C', '-i',
        path.join(dir, 'root.crt')]).status, 0);
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

for (const [name, kw] of [['word2016-dengxian.pdf', '文字'], ['word-contract.pdf', '盖章'], ['word-contract.pdf', '中国饮料']]) {
    test(`按关键字定位 on a PDF Word saved (${name}): ${kw} found, the seal shown centred on it, 有效, pdfsig valid`,
        { skip: SKIP }, async () => {
            const input = path.join(CORPUS, name);
            const { context, page } = await openPage(input);
            await page.locator('#stamp-keyword').fill(kw);
            await page.locator('#stamp-find').click();
            await page.waitForFunction(() => document.getElementById('stamp-x').value !== '');
            assert.equal(await page.locator('#stamp-page').inputValue(), '1');
            const want = keywordBoxes(input, 1, kw);
            assert.equal(want.length, 1);
            const x = Number(await page.locator('#stamp-x').inputValue());
            const y = Number(await page.locator('#stamp-y').inputValue());
            assert.ok(Math.abs(x - want[0].x) < 1.5 && Math.abs(y - want[0].y) < 1.5,
                `form ${x},${y} mm, keyword at ${want[0].x.toFixed(1)},${want[0].y.toFixed(1)} mm`);
            /* 25 mm below the word, so the whole seal shows on the page */
            await page.locator('#stamp-y').fill((y + 25).toFixed(1));
            await page.locator('#stamp-go').click();
            await page.locator('#stamp-done').waitFor({ timeout: 60000 });
            const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
            const out = path.join(dir, `web-kw-${kw}-${name}`);
            fs.writeFileSync(out, fs.readFileSync(await dl.path()));
            await context.close();
            const at = asShown(want[0], 0, pageBoxes(input, 1));
            const seals = redSeals(dir, out, 1, true);
            assert.equal(seals.length, 1, 'one seal where a viewer shows the page');
            assertCentred(seals[0], { x: at.x, y: at.y + 25 }, `在线盖章, ${name} ${kw}`);
            const h = await hallVerify(fs.readFileSync(out));
            assert.equal(h.stamps.length, 1);
            assert.equal(h.stamps[0].state, '有效', JSON.stringify(h.stamps));
            const sig = spawnSync('pdfsig', ['-nssdir', `sql:${path.join(dir, 'nss')}`, '-no-ocsp', out], { encoding: 'utf8' });
            assert.match(sig.stdout, /Signature #1:[^]*Signature is Valid/, sig.stdout + sig.stderr);
            assert.doesNotMatch(sig.stdout, /Signature #2/);
        });
}
