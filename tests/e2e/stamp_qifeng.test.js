'use strict';
/*
 * 在线盖章's 骑缝章 (cross-page seal; issue 53 §1; docs/modules/seal.md
 * "在线盖章", docs/internals/stamp.md §1c) in headless Chromium through
 * nginx, with seals the hall made (tests/integ/lib/stamp.js producedSeal):
 *   - 加盖骑缝章 ticked on a 5-page PDF, no place given: the preview draws
 *     each page with its slice (axe finds nothing); a range of one page,
 *     beyond the document or not a range is refused in the page;
 *     the stamp is one signature whose five widgets are the field's /Kids,
 *     the same objects hall-stamp sign --qifeng writes for the same input;
 *     pdftoppm shows a slice at every page's right edge, the slices
 *     together the whole seal; POST /sign/verify and hall-stamp verify say
 *     有效 and report the 骑缝章; pdfsig says the signature is valid;
 *   - pages 2-4 of a PDF whose page 3 is turned by 90 degrees and page 4
 *     by 270, with a page stamp on page 1: the slice lies on the right edge
 *     of each page as shown, upright; two signatures, both 有效;
 *   - an SM2 seal (GB/T 38540 SES_Signature): the 骑缝章 likewise 有效.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, fetchPki } = require('../integ/lib/pki');
const { producedSeal } = require('../integ/lib/stamp');
const { launchChromium } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { tablePdf, hallVerify, toolVerify, hallStamp, updateStructure } = require('./lib/stamp');

const SKIP = !process.env.HALL_URL;
const SEAL_PT = 42 * 72 / 25.4; /* the hall's 机构章: 42 mm */
let browser, dir, pin, sm2Dir, sm2Pin;
const file = (n) => path.join(dir, n);

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    ({ pin } = await producedSeal(dir));
    await fetchPki(dir);
    fs.writeFileSync(file('five.pdf'), tablePdf(5, 'Contract'));
    /* page 3 turned by 90 degrees, page 4 by 270 */
    const r = spawnSync('qpdf', ['--rotate=+90:3', '--rotate=+270:4', file('five.pdf'), file('turned.pdf')]);
    assert.equal(r.status, 0, String(r.stderr));
    fs.mkdirSync(file('nss'));
    assert.equal(spawnSync('certutil', ['-N', '-d', `sql:${file('nss')}`, '--empty-password']).status, 0);
    assert.equal(spawnSync('certutil', ['-A', '-d', `sql:${file('nss')}`, '-n', 'hall-root', '-t', 'CT,C,C',
        '-i', file('root.crt')]).status, 0);
});

after(async () => {
    if (browser)
        await browser.close();
});

/* the page with the PDF, the seal, the medium and the PIN chosen */
async function openPage(input, d = dir, p = pin) {
    const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    a11y.track(page);
    await page.goto(`${HALL}/seal/stamp`);
    await page.locator('#stamp-pdf').setInputFiles(input);
    await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).waitFor();
    await page.locator('#stamp-seseal').setInputFiles(path.join(d, 'seal.seseal'));
    await page.locator('#stamp-seal-chosen').filter({ hasText: '印章编码' }).waitFor();
    await page.locator('#stamp-p12').setInputFiles(path.join(d, 'medium.p12'));
    await page.locator('#stamp-pin').fill(p);
    return { context, page };
}

/* 盖章, then the download's bytes */
async function stamped(page, name) {
    await page.locator('#stamp-go').click();
    await page.waitForFunction(() => !document.getElementById('stamp-done').hidden ||
        document.querySelector('#stamp-form .err[role=alert]:not(:empty)'), null, { timeout: 90000 });
    const errs = await page.locator('#stamp-form .err[role=alert]').allTextContents();
    assert.equal(errs.join(''), '', 'no refusal');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
    const out = fs.readFileSync(await dl.path());
    fs.writeFileSync(file(name), out);
    return out;
}

/* every page at 72 dpi as shown (a point is a pixel): the box of the
 * seal's red on each, and the page's size */
function redBoxes(name) {
    const base = file(`p-${path.basename(name, '.pdf')}`);
    const r = spawnSync('pdftoppm', ['-r', '72', file(name), base]);
    assert.equal(r.status, 0, String(r.stderr));
    const prefix = `${path.basename(base)}-`;
    return fs.readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.ppm'))
        .sort((a, b) => Number(a.match(/-(\d+)\.ppm$/)[1]) - Number(b.match(/-(\d+)\.ppm$/)[1]))
        .map((n) => {
            const ppm = fs.readFileSync(path.join(dir, n));
            const head = ppm.toString('latin1', 0, 20).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
            const w = Number(head[1]), h = Number(head[2]), px = ppm.subarray(head[0].length);
            let x0 = w, x1 = -1, y0 = h, y1 = -1, count = 0;
            for (let y = 0; y < h; y++)
                for (let x = 0; x < w; x++) {
                    const i = (y * w + x) * 3;
                    if (px[i] > 150 && px[i + 1] < 110 && px[i + 2] < 110) {
                        count++;
                        x0 = Math.min(x0, x);
                        x1 = Math.max(x1, x);
                        y0 = Math.min(y0, y);
                        y1 = Math.max(y1, y);
                    }
                }
            return { w, h, x0, x1, y0, y1, count };
        });
}

function pdfsigBlocks(name) {
    const r = spawnSync('pdfsig', ['-nssdir', `sql:${file('nss')}`, '-no-ocsp', file(name)], { encoding: 'utf8' });
    return (r.stdout + r.stderr).split(/Signature #\d+:/).slice(1);
}

test('骑缝章 in the browser: five pages, right edge, one signature of five slices, as hall-stamp writes it, 有效',
    { skip: SKIP }, async () => {
        const { context, page } = await openPage(file('five.pdf'));
        await page.locator('#stamp-qifeng').check();
        /* the preview: each page with its slice */
        await page.locator('#stamp-qifeng-preview[data-ready="5"]').waitFor();
        assert.equal(await page.locator('#stamp-qifeng-preview figure').count(), 5);
        assert.equal(await page.locator('#stamp-qifeng-preview canvas').nth(2).getAttribute('aria-label'),
            '第3页，骑缝章的第3条（共5条）');
        const edgeRed = await page.evaluate(() => {
            const c = document.querySelectorAll('#stamp-qifeng-preview canvas')[0];
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let minX = c.width, n = 0;
            for (let i = 0; i < d.length; i += 4)
                if (d[i] - d[i + 1] > 50 && d[i] - d[i + 2] > 50) { /* reddish: the seal scaled down */
                    n++;
                    minX = Math.min(minX, (i / 4) % c.width);
                }
            return { n, minX, w: c.width };
        });
        assert.ok(edgeRed.n > 20 && edgeRed.minX > edgeRed.w * 0.9, `preview of page 1: ${JSON.stringify(edgeRed)}`);
        await a11y.check(page, '在线盖章, 骑缝章 preview');

        /* one page is no 骑缝章: refused in the page, nothing made */
        await page.locator('#stamp-qifeng-pages').fill('3');
        await page.locator('#stamp-go').click();
        await page.locator('#err-qifeng').filter({ hasText: '骑缝章至少要跨两页（所选页码只有第3页）' }).waitFor();
        assert.equal(await page.locator('#stamp-done').isHidden(), true);
        await a11y.check(page, '在线盖章, 骑缝章 of one page refused');
        await page.locator('#stamp-qifeng-pages').fill('4-9');
        await page.locator('#stamp-go').click();
        await page.locator('#err-qifeng').filter({ hasText: '骑缝章的页码范围4-9超出文档（该文档共5页）' }).waitFor();
        await page.locator('#stamp-qifeng-pages').fill('第二页');
        await page.locator('#stamp-go').click();
        await page.locator('#err-qifeng').filter({ hasText: '骑缝章的页码范围应写作“起始页-结束页”' }).waitFor();
        assert.equal(await page.locator('#stamp-done').isHidden(), true);
        await page.locator('#stamp-qifeng-pages').fill('');
        await page.locator('#stamp-qifeng-pages').dispatchEvent('change');

        const out = await stamped(page, 'web-qf.pdf');
        assert.match(await page.locator('#stamp-status').textContent(), /盖章完成（含骑缝章）/);
        a11y.assertAllChecked(page);
        await context.close();

        /* one signature, its field's /Kids five widgets on the right edge */
        const s = out.toString('latin1');
        assert.equal(s.match(/\/Type \/Sig /g).length, 1);
        const input = fs.readFileSync(file('five.pdf'));
        const web = updateStructure(out, input.length);
        /* hall-stamp sign --qifeng on the same input: the same objects, the same keys */
        const t = hallStamp(['sign', '--in', file('five.pdf'), '--out', file('tool-qf.pdf'), '--seal', file('seal.seseal'),
            '--p12', file('medium.p12'), '--qifeng', '--tsa', `${HALL}/tsa`, '--level', 'B-T'], pin);
        assert.equal(t.status, 0, t.stdout + t.stderr);
        const tool = updateStructure(fs.readFileSync(file('tool-qf.pdf')), input.length);
        const size = Number(input.toString('latin1').match(/\/Size (\d+)/)[1]);
        for (let n = size; n <= size + 3 + 2 * 5; n++)
            assert.deepEqual(web.objects[`${n} 0`].shape, tool.objects[`${n} 0`].shape, `object ${n}`);
        const field = web.objects[`${size + 1} 0`].value.v;
        assert.equal(field['/Kids'].v.length, 5);
        const rects = field['/Kids'].v.map((r) => web.objects[r.v.replace(' R', '')].value.v['/Rect'].v.map((x) => x.v));
        const toolRects = field['/Kids'].v.map((r) => tool.objects[r.v.replace(' R', '')].value.v['/Rect'].v.map((x) => x.v));
        assert.deepEqual(rects, toolRects);
        assert.ok(Math.abs(rects.reduce((a, q) => a + q[2] - q[0], 0) - SEAL_PT) < 0.1, `${rects}`);
        for (const q of rects)
            assert.ok(Math.abs(q[2] - 595.28) < 0.01, `on the right edge: ${q}`);

        /* the pixels: each page's red in its right strip, together the seal */
        const pages = redBoxes('web-qf.pdf');
        assert.equal(pages.length, 5);
        let span = 0;
        for (const [i, p] of pages.entries()) {
            assert.ok(p.count > 50, `page ${i + 1}: red pixels ${p.count}`);
            assert.ok(p.x0 >= p.w - SEAL_PT / 5 - 2 && p.x1 >= p.w - 3, `page ${i + 1}: ${JSON.stringify(p)}`);
            assert.ok(Math.abs((p.y0 + p.y1) / 2 - p.h / 2) < 4, `page ${i + 1}: centred on the page's middle`);
            span += p.x1 - p.x0 + 1;
        }
        assert.ok(span > SEAL_PT * 0.85 && span <= SEAL_PT + 5, `red columns over the pages: ${span} of ${SEAL_PT}`);

        const v = await hallVerify(out);
        assert.equal(v.stamps.length, 1);
        assert.equal(v.stamps[0].state, '有效', JSON.stringify(v.stamps[0]));
        assert.equal(v.stamps[0].level, 'B-LT');
        assert.deepEqual(v.stamps[0].qifeng, { edge: 'right', pages: '1-5', slices: 5, missing: 0 });
        const tv = toolVerify(dir, out, 'web-qf-v.pdf');
        assert.equal(tv.status, 0, tv.stdout + tv.stderr);
        assert.match(tv.stdout, /stamp 1: valid[\s\S]*cross-page seal: pages 1-5, right edge, 5 slices/);
        const blocks = pdfsigBlocks('web-qf.pdf');
        assert.ok(blocks.length === 1 || blocks.length === 5, `${blocks.length} blocks`);
        for (const b of blocks)
            assert.match(b, /Signature is Valid/, b);
    });

test('骑缝章 in the browser on turned pages (90, 270 degrees), pages 2-4, with a page stamp: slices on the shown right edge',
    { skip: SKIP }, async () => {
        const { context, page } = await openPage(file('turned.pdf'));
        await page.locator('#stamp-qifeng').check();
        await page.locator('#stamp-qifeng-pages').fill('2-4');
        await page.locator('#stamp-qifeng-pages').dispatchEvent('change');
        await page.locator('#stamp-qifeng-preview[data-ready="3"]').waitFor();
        assert.equal(await page.locator('#stamp-qifeng-preview figure').count(), 3);
        /* the preview of the turned page 3: its slice at the right edge as shown */
        const prev = await page.evaluate(() => {
            const c = document.querySelectorAll('#stamp-qifeng-preview canvas')[1];
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let minX = c.width, maxX = 0;
            for (let i = 0; i < d.length; i += 4)
                if (d[i] - d[i + 1] > 50 && d[i] - d[i + 2] > 50) {
                    minX = Math.min(minX, (i / 4) % c.width);
                    maxX = Math.max(maxX, (i / 4) % c.width);
                }
            return { minX, maxX, w: c.width, h: c.height };
        });
        assert.ok(prev.w > prev.h && prev.minX > prev.w * 0.9 && prev.maxX >= prev.w - 3, JSON.stringify(prev));
        /* a page stamp on page 1 too: a second signature */
        await page.locator('#stamp-page').fill('1');
        await page.locator('#stamp-x').fill('105');
        await page.locator('#stamp-y').fill('200');
        const out = await stamped(page, 'web-turned.pdf');
        assert.match(await page.locator('#stamp-status').textContent(), /盖章完成（含骑缝章及页面印章）/);
        await context.close();

        const pages = redBoxes('web-turned.pdf');
        assert.ok(pages[0].count > 500 && pages[0].x0 > 100, `page 1: the page stamp ${JSON.stringify(pages[0])}`);
        assert.equal(pages[4].count, 0, 'page 5 is not in the range');
        for (const i of [1, 2, 3]) {
            const p = pages[i];
            const turned = i === 2 || i === 3;
            assert.equal(p.w > p.h, turned, `page ${i + 1} shown ${turned ? 'landscape' : 'portrait'}`);
            /* on the shown right edge, one third of the seal wide, upright:
             * as high as the seal, centred on the shown page's middle */
            assert.ok(p.count > 50 && p.x1 >= p.w - 3 && p.x0 >= p.w - SEAL_PT / 3 - 2,
                `page ${i + 1}: ${JSON.stringify(p)}`);
            assert.ok(p.y1 - p.y0 > SEAL_PT * 0.6 && p.y1 - p.y0 <= SEAL_PT + 2, `page ${i + 1} upright: ${JSON.stringify(p)}`);
            assert.ok(Math.abs((p.y0 + p.y1) / 2 - p.h / 2) < 6, `page ${i + 1}: centred ${JSON.stringify(p)}`);
        }
        const v = await hallVerify(out);
        assert.equal(v.stamps.length, 2);
        assert.equal(v.stamps[0].state, '有效', JSON.stringify(v.stamps[0]));
        assert.deepEqual(v.stamps[0].qifeng, { edge: 'right', pages: '2-4', slices: 3, missing: 0 });
        assert.equal(v.stamps[1].state, '有效', JSON.stringify(v.stamps[1]));
        assert.equal(v.stamps[1].qifeng, undefined);
        const tv = toolVerify(dir, out, 'web-turned-v.pdf');
        assert.equal(tv.status, 0, tv.stdout + tv.stderr);
        assert.match(tv.stdout, /stamp 1: valid[\s\S]*cross-page seal: pages 2-4, right edge, 3 slices[\s\S]*stamp 2: valid/);
        for (const b of pdfsigBlocks('web-turned.pdf'))
            assert.match(b, /Signature is Valid/, b);
    });

test('骑缝章 in the browser with an SM2 seal: a GB/T 38540 SES_Signature over the slices, 有效', { skip: SKIP }, async () => {
    sm2Dir = tmpdir();
    ({ pin: sm2Pin } = await producedSeal(sm2Dir, { sm2: true }));
    const { context, page } = await openPage(file('five.pdf'), sm2Dir, sm2Pin);
    await page.locator('#stamp-qifeng').check();
    await page.locator('#stamp-qifeng-edge').selectOption('left');
    await page.locator('#stamp-qifeng-preview[data-ready="5"]').waitFor();
    const out = await stamped(page, 'web-sm2-qf.pdf');
    await context.close();
    assert.match(out.toString('latin1'), /\/SubFilter \/GBT38540\.SES_Signature/);
    const pages = redBoxes('web-sm2-qf.pdf');
    for (const [i, p] of pages.entries())
        assert.ok(p.count > 50 && p.x0 <= 2 && p.x1 <= SEAL_PT / 5 + 2, `page ${i + 1}: ${JSON.stringify(p)}`);
    const v = await hallVerify(out);
    assert.equal(v.stamps[0].state, '有效', JSON.stringify(v.stamps[0]));
    assert.equal(v.stamps[0].level, 'GB/T 38540');
    assert.deepEqual(v.stamps[0].qifeng, { edge: 'left', pages: '1-5', slices: 5, missing: 0 });
    await fetchPki(sm2Dir);
    const tv = toolVerify(sm2Dir, out, 'web-sm2-qf-v.pdf');
    assert.equal(tv.status, 0, tv.stdout + tv.stderr);
    assert.match(tv.stdout, /stamp 1: valid[\s\S]*cross-page seal: pages 1-5, left edge, 5 slices/);
});
