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
 *
 * Last the keyword corpus (tests/data/pdf/keyword/README.md: Chromium's
 * print to PDF with CJK in Type 3 fonts, Pango and cairo, LibreOffice,
 * Word, turned and cropped copies), by the rule of docs/modules/stamp.md:
 * static/stamp/keyword.js in the browser finds every match expected.json
 * records, within 0.3 mm of its place (mm as a viewer shows the page);
 * hall-stamp sign --keyword on the same file finds as many, each within
 * 0.5 mm of the page's; and 按关键字定位 fills the form with the first
 * and the last of them (a keyword outside the crop box is refused).
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, fetchPki } = require('../integ/lib/pki');
const { keywordBoxes, turned, pageBoxes, asShown, redSeals, assertCentred, visibleMm, keywordCases } = require('../integ/lib/keyword');
const { launchChromium } = require('./lib/browser');
const { producedSeal, toolVerify, hallVerify, hallStamp } = require('./lib/stamp');

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

/* every match keyword.js finds in file, as the page's modules run in the
 * browser: { page, xMm, yMm } (the form's mm, from the media box as shown) */
async function pageMatches(page, file, keyword) {
    return page.evaluate(async ({ b64, kw }) => {
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const pdfjs = await import('/static/stamp/vendor/pdf.min.js');
        pdfjs.GlobalWorkerOptions.workerSrc = '/static/stamp/vendor/pdf.worker.min.js';
        const { readPdf } = await import('/static/stamp/pdf-update.js');
        const { findKeyword } = await import('/static/stamp/keyword.js');
        const info = await readPdf(bytes);
        const doc = await pdfjs.getDocument({ data: bytes.slice(), isEvalSupported: false, useSystemFonts: true }).promise;
        return findKeyword(doc, info.pages, kw);
    }, { b64: fs.readFileSync(file).toString('base64'), kw: keyword });
}

/* the places hall-stamp sign --keyword --keyword-match all stamps */
function toolMatches(file, keyword, name) {
    const r = hallStamp(['sign', '--in', file, '--out', path.join(dir, name), '--seal', path.join(dir, 'seal.seseal'),
        '--p12', path.join(dir, 'medium.p12'), '--keyword', keyword, '--keyword-match', 'all',
        '--tsa', `${HALL}/tsa`, '--level', 'B-T'], holder.pin);
    /* in the tool's English (no LANG here) or Chinese */
    const re = /(?:page (\d+), ([-\d.]+) mm from the left, ([-\d.]+) mm from the top|第(\d+)页，距左([-\d.]+)毫米、距上([-\d.]+)毫米)/g;
    return { r, places: [...r.stdout.matchAll(re)].map((m) => m[1] ? m.slice(1, 4) : m.slice(4, 7))
        .map((m) => ({ page: Number(m[0]), xMm: Number(m[1]), yMm: Number(m[2]) })) };
}

keywordCases().forEach((c, i) => {
    test(`按关键字定位 by the rule: ${c.file} 「${c.keyword}」, ${c.matches.length} match(es), page and tool within 0.5 mm`,
        { skip: SKIP }, async () => {
            const context = await browser.newContext({ locale: 'zh-CN' });
            const page = await context.newPage();
            await page.goto(`${HALL}/seal/stamp`);
            const found = await pageMatches(page, c.path, c.keyword);
            const seen = found.map((m) => ({ page: m.page, ...visibleMm(c.path, m.page, m.xMm, m.yMm) }));
            assert.equal(found.length, c.matches.length, `the page found ${JSON.stringify(seen)}`);
            c.matches.forEach(([pg, x, y], k) => {
                assert.equal(seen[k].page, pg, `match ${k + 1}`);
                assert.ok(Math.abs(seen[k].x - x) <= 0.3 && Math.abs(seen[k].y - y) <= 0.3,
                    `match ${k + 1}: the page ${seen[k].x.toFixed(2)},${seen[k].y.toFixed(2)} mm, the rule ${x},${y} mm`);
            });
            const { r, places } = toolMatches(c.path, c.keyword, `rule-${i}.pdf`);
            assert.equal(r.status, c.matches.length ? 0 : 3, r.stdout + r.stderr);
            assert.equal(places.length, found.length, r.stdout);
            places.forEach((t, k) => {
                assert.equal(t.page, found[k].page, `match ${k + 1}`);
                assert.ok(Math.abs(t.xMm - found[k].xMm) <= 0.5 && Math.abs(t.yMm - found[k].yMm) <= 0.5,
                    `match ${k + 1}: the tool ${t.xMm},${t.yMm} mm, the page ${found[k].xMm.toFixed(2)},${found[k].yMm.toFixed(2)} mm`);
            });

            /* the form: 第一处 and 最后一处 */
            await page.locator('#stamp-pdf').setInputFiles(c.path);
            await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).waitFor();
            await page.locator('#stamp-keyword').fill(c.keyword);
            if (!found.length) {
                await page.locator('#stamp-find').click();
                await page.locator('#err-keyword').filter({ hasText: `文档中没有关键字“${c.keyword}”` }).waitFor();
                assert.equal(await page.locator('#stamp-x').inputValue(), '');
            }
            const ends = found.length > 1 ? [['first', found[0]], ['last', found[found.length - 1]]]
                : found.map((m) => ['first', m]);
            for (const [which, m] of ends) {
                await page.locator('#stamp-x').fill('');
                await page.locator('#stamp-keyword-match').selectOption(which);
                await page.locator('#stamp-find').click();
                await page.waitForFunction(() => document.getElementById('stamp-x').value !== '', null,
                    { timeout: 90000 });
                assert.equal(await page.locator('#stamp-page').inputValue(), String(m.page), which);
                assert.ok(Math.abs(Number(await page.locator('#stamp-x').inputValue()) - m.xMm) <= 0.06, which);
                assert.ok(Math.abs(Number(await page.locator('#stamp-y').inputValue()) - m.yMm) <= 0.06, which);
            }
            await context.close();
        });
});
