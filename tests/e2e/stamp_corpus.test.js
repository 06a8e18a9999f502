'use strict';
/*
 * 在线盖章 never changes what a page shows (docs/internals/stamp.md §1): the
 * files of tests/data/pdf/corpus stamped on page 1 in headless Chromium
 * with a seal the hall produced, every page rendered by pdftoppm before and
 * after, every pixel outside the seal's box the same (tests/integ/lib/
 * pixels.js, as tests/integ/stamp_corpus.test.js asserts of 免费体验 and
 * hall-stamp sign), qpdf --check finding nothing new.  The files the
 * browser cannot read completely are refused with the message that says
 * why (a broken cross-reference, an object that does not read: the
 * 盖章工具's words; encryption), and nothing is offered for download:
 * the page reads a file as core/pdf reads it (static/stamp/pdf-read.js).
 * Every stamped file is PAdES B-LT: its /DSS follows the stamp, the stamp
 * is 有效 at /sign/verify and hall-stamp verify --offline takes the
 * signer's status from the file.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('../integ/lib/client');
const { tmpdir, fetchPki } = require('../integ/lib/pki');
const { CORPUS, assertSamePages } = require('../integ/lib/pixels');
const { launchChromium } = require('./lib/browser');
const { producedSeal, hallVerify, hallStamp } = require('./lib/stamp');

const SKIP = !process.env.HALL_URL;
let browser, holder, dir;

/* name -> null (stamped) or what the refusal says under the PDF field */
const FILES = {
    'plain.pdf': null,
    'wrong-length.pdf': null,
    'pdf20.pdf': null,
    'hybrid.pdf': null,
    'hybrid-wrong-length.pdf': null,
    'annots-form.pdf': null,
    'missing-object.pdf': null,
    'incremental-wrong-length.pdf': null,
    'objstm.pdf': null,
    'objstm-wrong-length.pdf': null,
    'linearized.pdf': null,
    'linearized-wrong-length.pdf': null,
    'libreoffice-linearized-objstm.pdf': null,
    'cairo-contract.pdf': null,
    'word2016-dengxian.pdf': null,
    'word-contract.pdf': null,
    'libreoffice-qdf-wrong-length.pdf': null,
    /* read, but page 1's /Contents does not: refused when page 1 is stamped */
    'unreadable-object.pdf': { onStamp: /无法完整读取的对象：页面对象（对象4 0）的\/Contents无法读取/ },
    'broken-xref.pdf': /交叉引用表已损坏/,
    'broken-xref-contents.pdf': /交叉引用表已损坏/,
    'size-too-small.pdf': /\/Size为6，不大于文件中已使用的对象编号7/,
    'encrypted.pdf': /已加密/,
    'encrypted-password.pdf': /已加密/,
};

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    holder = await producedSeal();
    fs.writeFileSync(path.join(dir, 'seal.seseal'), holder.seal);
    fs.writeFileSync(path.join(dir, 'medium.p12'), holder.p12);
    await fetchPki(dir);
});

after(async () => {
    if (browser)
        await browser.close();
});

test('corpus__every_file_listed', { skip: SKIP }, () => {
    assert.deepEqual(fs.readdirSync(CORPUS).filter((n) => n.endsWith('.pdf')).sort(), Object.keys(FILES).sort());
});

/* where the seal goes, mm: (150, 240) but where that is not shown (the
 * cropped Word contract shows only a block near its media box's top-left) */
const PLACE = { 'word-contract.pdf': ['70', '40'] };

/* 在线盖章 of input on page 1 at (150, 240) mm, as the other tests stamp;
 * refused (a RegExp): the message under the PDF field, nothing to download */
async function webStamp(input, refused) {
    const [x, y] = PLACE[path.basename(input)] || ['150', '240'];
    const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    try {
        await page.goto(`${HALL}/seal/stamp`);
        await page.locator('#stamp-pdf').setInputFiles(input);
        await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).waitFor();
        await page.locator('#stamp-seseal').setInputFiles(path.join(dir, 'seal.seseal'));
        await page.locator('#stamp-p12').setInputFiles(path.join(dir, 'medium.p12'));
        await page.locator('#stamp-pin').fill(holder.pin);
        await page.locator('#stamp-page').fill('1');
        await page.locator('#stamp-page').dispatchEvent('change');
        await page.locator('#stamp-x').fill(x);
        await page.locator('#stamp-y').fill(y);
        await page.locator('#stamp-go').click();
        if (refused) {
            await page.locator('#err-pdf').filter({ hasText: refused }).waitFor({ timeout: 20000 });
            assert.equal(await page.locator('#stamp-download').isVisible(), false);
            return null;
        }
        await page.locator('#stamp-done').waitFor({ timeout: 60000 });
        const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
        return fs.readFileSync(await dl.path());
    } finally {
        await context.close();
    }
}

/* the PDF chosen: the message under the field, and no 盖章 offered */
async function webRefusal(input, message) {
    const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    let downloads = 0;
    page.on('download', () => downloads++);
    try {
        await page.goto(`${HALL}/seal/stamp`);
        await page.locator('#stamp-pdf').setInputFiles(input);
        await page.locator('#err-pdf').filter({ hasText: message }).waitFor({ timeout: 20000 });
        assert.equal(await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).count(), 0);
        assert.equal(downloads, 0);
    } finally {
        await context.close();
    }
}

for (const [name, refused] of Object.entries(FILES)) {
    const input = path.join(CORPUS, name);
    if (refused === null) {
        test(`在线盖章 stamps ${name}: every page the same outside the seal; B-LT, 有效 to both verifiers`, { skip: SKIP }, async () => {
            const out = await webStamp(input);
            assertSamePages(dir, `web-${name}`, input, out);
            /* PAdES B-LT on every kind of file: the /DSS's update after the
             * stamp's, read by both verifiers (the tool offline, from it) */
            assert.match(out.toString('latin1'), /\/Type \/DSS/);
            const h = await hallVerify(out);
            assert.equal(h.stamps[h.stamps.length - 1].state, '有效', JSON.stringify(h.stamps));
            const f = path.join(dir, `blt-${name}`);
            fs.writeFileSync(f, out);
            const v = hallStamp(['verify', '--offline', '--root', path.join(dir, 'root.crt'), '--ca',
                path.join(dir, 'ecc.crt'), f]);
            assert.match(v.stdout, /文件内嵌OCSP答复/, `${v.stdout}${v.stderr}`);
        });
    } else if (refused.onStamp) {
        test(`在线盖章 reads ${name}, refuses to stamp page 1, saying why`, { skip: SKIP }, async () => {
            await webStamp(input, refused.onStamp);
        });
    } else {
        test(`在线盖章 refuses ${name}, saying why`, { skip: SKIP }, async () => {
            await webRefusal(input, refused);
        });
    }
}
