'use strict';
/*
 * 在线盖章 with the seal's key on its USB key (issue 70 §1, §2), in headless
 * Chromium with the 证书助手's extension loaded (tools/assist/extension/,
 * its content script matching the test hall's origin) and hall-assist
 * registered as its native-messaging host (NativeMessagingHosts/ of the
 * profile), over the SoftHSM2 medium the operator's 制作证书 made and the
 * test pinentry (tests/integ/lib/test-pinentry) answering the PIN of the
 * order's SMS.  A clerk of 湖南 and of 建筑工务署 opens 我的电子印章 (which
 * names the medium the seal needs), 在线盖章 with the bundled seal: the
 * page chooses the USB key and asks for no .p12; 湖南's clerk stamps one
 * PDF with a 骑缝章 and a page stamp, 建筑工务署's two PDFs at once; each
 * file is PAdES B-LT and /sign/verify says 有效; the pinentry's dialog named
 * the hall's origin, the document and the certificate.  Without the
 * extension the page says the 证书助手 is missing and how to install it.
 * On main the page had no USB key at all: 请选择印章证书文件（.p12）。
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('../integ/lib/client');
const { psql } = require('../integ/lib/payflow');
const { bundledSealOrder } = require('../integ/lib/seal');
const { mediumOf } = require('../integ/lib/station');
const { makePdf, verifyPdf, tmpdir } = require('../integ/lib/stamp');
const { pinentrySaid } = require('../integ/lib/native');
const { withAssistant } = require('./lib/assist');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
let plain;

before(async () => {
    if (SKIP)
        return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    plain = await launchChromium();
});

after(async () => {
    if (plain)
        await plain.close();
});

async function download(page, locator) {
    const [dl] = await Promise.all([page.waitForEvent('download'), locator.click()]);
    return fs.readFileSync(await dl.path());
}

function watch(page, problems) {
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 400 && !/favicon\.ico$/.test(r.url()))
            problems.push(`${r.status()} ${r.url()}`);
    });
}

/* 我的电子印章 → 在线盖章 with the bundled seal, the USB key chosen by the page */
async function openStamp(page, o, code, medium) {
    const base = `/${code}`;
    await page.goto(`${HALL}${base}/seal/seals?id=${o.id}`);
    const row = page.locator(`#seal-list tr[data-item="${o.item}"]`);
    assert.match(await row.locator('.stamp-medium').innerText(), new RegExp(`插入USB Key（介质 ${medium}）`),
        '我的电子印章 says which medium the seal needs');
    await a11y.check(page, `${code} 我的电子印章, the seal on a USB key`);
    await Promise.all([page.waitForURL(/\/seal\/stamp\?id=/), row.locator('.stamp-link').click()]);
    await page.locator('#stamp-seal-chosen').filter({ hasText: '已选用我的电子印章' }).waitFor();
    assert.equal(await page.locator('#stamp-via-usb').isChecked(), true, 'the USB key is chosen');
    assert.equal(await page.locator('#stamp-usb-medium').innerText(), medium);
    assert.equal(await page.locator('#stamp-p12').isVisible(), false, 'no .p12 asked');
    assert.equal(await page.locator('#stamp-pin').isVisible(), false, 'no PIN typed into the page');
}

async function place(page, xMm, yMm) {
    const canvas = page.locator('#stamp-canvas');
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    await canvas.click({ position: { x: box.width * xMm / 210, y: box.height * yMm / 297 } });
    await page.locator('#stamp-mark').waitFor();
}

async function valid(pdf, esId) {
    const v = await verifyPdf(pdf);
    assert.equal(v.status, 200, v.text);
    const text = JSON.stringify(v.body);
    assert.match(text, new RegExp(esId), text);
    assert.match(text, /有效/, text);
    assert.doesNotMatch(text, /无效|未通过/, text);
    return v.body;
}

test('hunan: 在线盖章 with the bundled seal on its USB key, 骑缝章 and a page stamp, B-LT, 有效',
    { skip: SKIP }, async () => {
        const o = await bundledSealOrder('hunan');
        const medium = mediumOf(o.id);
        const dir = tmpdir();
        fs.writeFileSync(path.join(dir, '湖南合同.pdf'), makePdf({ pages: 3, text: 'hunan contract' }));
        const a = await withAssistant(dir, medium);
        fs.writeFileSync(a.pinFile, `${o.pin}\n`);
        const problems = [];
        try {
            await signIn(a.context, o.c);
            const page = await a.context.newPage();
            watch(page, problems);
            await openStamp(page, o, 'hunan', medium);
            await page.locator('#stamp[data-assist="yes"]').waitFor({ timeout: 20000 });
            assert.match(await page.locator('#stamp-usb-status').innerText(), /证书助手已就绪/);
            await a11y.check(page, 'hunan 在线盖章, the USB key');
            await page.locator('#stamp-pdf').setInputFiles(path.join(dir, '湖南合同.pdf'));
            await page.locator('#stamp-pages').filter({ hasText: '共 3 页' }).waitFor();
            await page.locator('#stamp-qifeng').check();
            await page.locator('#stamp-qifeng-preview[data-ready="3"]').waitFor();
            await place(page, 120, 200);
            await page.locator('#stamp-go').click();
            await page.locator('#stamp-done').waitFor({ timeout: 90000 });
            const status = await page.locator('#stamp-status').innerText();
            assert.match(status, /盖章完成（含骑缝章及页面印章）/, status);
            assert.match(await page.locator('#stamp-level').innerText(), /PAdES B-LT/);
            assert.match(await page.locator('#stamp-usb-status').innerText(), new RegExp(`介质 ${medium}`));
            await a11y.check(page, 'hunan 在线盖章, stamped by the USB key');
            await page.screenshot({ path: path.join(ARTIFACTS, 'stamp-usbkey-hunan.png'), fullPage: true });
            const stamped = await download(page, page.locator('#stamp-download'));
            const body = await valid(stamped, o.esId);
            assert.ok((JSON.stringify(body).match(new RegExp(o.esId, 'g')) || []).length >= 2,
                'the 骑缝章 and the page stamp, two signatures of the seal');
            /* a PIN asked for each signature, the dialog saying who asks for what */
            const said = pinentrySaid(a.log);
            const descs = said.filter((l) => l.startsWith('SETDESC '));
            assert.equal(descs.length, 2, said.join('\n'));
            for (const d of descs) {
                assert.ok(d.includes(`网站 ${new URL(HALL).origin} 请求`), d);
                assert.ok(d.includes('文档：湖南合同.pdf'), d);
                assert.ok(d.includes(o.serial) && d.includes(medium), d);
            }
            a11y.assertAllChecked(page);
        } finally {
            await a.context.close();
        }
        assert.deepEqual(problems, []);
    });

test('szjsgws: 在线盖章 of two PDFs at once with the bundled seal on its USB key, B-LT, 有效',
    { skip: SKIP }, async () => {
        const o = await bundledSealOrder('szjsgws');
        const medium = mediumOf(o.id);
        const dir = tmpdir();
        const files = ['甲.pdf', '乙.pdf'].map((n, i) => {
            fs.writeFileSync(path.join(dir, n), makePdf({ text: `szjsgws contract ${i}` }));
            return path.join(dir, n);
        });
        const a = await withAssistant(dir, medium);
        fs.writeFileSync(a.pinFile, `${o.pin}\n`);
        const problems = [];
        try {
            await signIn(a.context, o.c);
            const page = await a.context.newPage();
            watch(page, problems);
            await openStamp(page, o, 'szjsgws', medium);
            await page.locator('#stamp[data-assist="yes"]').waitFor({ timeout: 20000 });
            await page.locator('#stamp-pdf').setInputFiles(files);
            await page.locator('#stamp-pages').filter({ hasText: /共 1 页/ }).waitFor();
            await place(page, 100, 150);
            await page.locator('#stamp-go').click();
            await page.locator('#stamp-batch-done').waitFor({ timeout: 90000 });
            const results = await page.locator('#stamp-results li').allInnerTexts();
            assert.deepEqual(results.map((r) => /已盖章（PAdES B-LT）/.test(r)), [true, true], results.join('\n'));
            await a11y.check(page, 'szjsgws 在线盖章, two files by the USB key');
            await page.screenshot({ path: path.join(ARTIFACTS, 'stamp-usbkey-szjsgws.png'), fullPage: true });
            const zip = await download(page, page.locator('#stamp-zip'));
            /* a stored ZIP (batch.js): its local headers, each file as it is */
            const pdfs = [];
            for (let at = 0; zip.readUInt32LE(at) === 0x04034b50;) {
                const size = zip.readUInt32LE(at + 18), start = at + 30 + zip.readUInt16LE(at + 26)
                    + zip.readUInt16LE(at + 28);
                pdfs.push(zip.subarray(start, start + size));
                at = start + size;
            }
            assert.equal(pdfs.length, 2);
            for (const pdf of pdfs)
                await valid(pdf, o.esId);
            const descs = pinentrySaid(a.log).filter((l) => l.startsWith('SETDESC '));
            assert.equal(descs.length, 2);
            assert.ok(descs[0].includes('文档：甲.pdf') && descs[1].includes('文档：乙.pdf'), descs.join('\n'));
            a11y.assertAllChecked(page);
        } finally {
            await a.context.close();
        }
        assert.deepEqual(problems, []);
    });

test('without the 证书助手: the page says it is missing and how to install it, asks no .p12', { skip: SKIP },
    async () => {
        const o = await bundledSealOrder('hunan');
        const dir = tmpdir();
        fs.writeFileSync(path.join(dir, 'c.pdf'), makePdf({ text: 'no assistant' }));
        const context = await plain.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN' });
        try {
            await signIn(context, o.c);
            const page = await context.newPage();
            await page.goto(`${HALL}/hunan/seal/stamp?id=${o.item}`);
            await page.locator('#stamp[data-assist="missing"]').waitFor({ timeout: 20000 });
            const err = await page.locator('#err-usbkey').innerText();
            assert.match(err, /未检测到证书助手/);
            assert.match(err, /驱动和盖章工具下载/);
            await page.locator('#stamp-pdf').setInputFiles(path.join(dir, 'c.pdf'));
            await page.locator('#stamp-pages').filter({ hasText: '共 1 页' }).waitFor();
            await place(page, 100, 150);
            await page.locator('#stamp-go').click();
            await page.locator('#err-usbkey').filter({ hasText: '未检测到证书助手' }).waitFor({ timeout: 20000 });
            assert.equal(await page.locator('#err-p12').innerText(), '', 'no .p12 asked of a USB key\'s seal');
            assert.equal(await page.locator('#stamp-done').isVisible(), false);
        } finally {
            await context.close();
        }
        assert.equal(psql(`SELECT count(*) FROM seseals WHERE item_id = ${o.item} AND state = 'valid'`), '1');
    });
