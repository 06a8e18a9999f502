'use strict';
/*
 * 在线盖章 with several files (issue 53 §3; docs/modules/seal.md): three
 * PDFs chosen at once, the middle one damaged, the seal placed once, the
 * PIN typed once; a wrong PIN stops the batch with its message, then each
 * file's result is listed (the damaged one named with its reason) and the
 * two stamped ones come back as one ZIP written in the page.  Unzipped
 * (Info-ZIP, names in UTF-8), each verifies from outside (pdfsig, openssl
 * cms and ts) and with hall-stamp verify; each got its own timestamp (one
 * POST /tsa per file), and no other request carried a body.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { launchChromium } = require('./lib/browser');
const { producedSeal, tablePdf, outsideChecks, toolVerify } = require('./lib/stamp');

const SKIP = !process.env.HALL_URL;
let browser, holder, dir;
const file = (n) => path.join(dir, n);

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    holder = await producedSeal();
    fs.writeFileSync(file('合同甲.pdf'), tablePdf(2, 'Contract A'));
    fs.writeFileSync(file('damaged.pdf'), tablePdf(1).subarray(0, 300));
    fs.writeFileSync(file('合同乙.pdf'), tablePdf(3, 'Contract B'));
    fs.writeFileSync(file('seal.seseal'), holder.seal);
    fs.writeFileSync(file('medium.p12'), holder.p12);
});

after(async () => {
    if (browser)
        await browser.close();
});

test('在线盖章 of 3 files, one damaged: a wrong PIN stops all, then each result listed, the 2 stamped in one ZIP, each valid',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        const posts = [];
        context.on('request', (r) => {
            if (r.method() !== 'GET')
                posts.push(new URL(r.url()).pathname);
        });
        const page = await context.newPage();
        a11y.track(page);
        const problems = [];
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        await page.goto(`${HALL}/seal/stamp`);
        await page.locator('#stamp-pdf').setInputFiles([file('合同甲.pdf'), file('damaged.pdf'), file('合同乙.pdf')]);
        await page.locator('#stamp-many').filter({ hasText: '已选择 3 个文件' }).waitFor();
        await page.locator('#stamp-pages').filter({ hasText: '共 2 页' }).waitFor();
        await page.locator('#stamp-seseal').setInputFiles(file('seal.seseal'));
        await page.locator('#stamp-p12').setInputFiles(file('medium.p12'));
        await page.locator('#stamp-pin').fill('00000000');
        const canvas = page.locator('#stamp-canvas');
        const box = await canvas.boundingBox();
        await canvas.click({ position: { x: box.width * 150 / 210, y: box.height * 230 / 297 } });
        await page.locator('#stamp-mark').waitFor();

        /* a wrong PIN: every file would be refused alike, the batch stops */
        await page.locator('#stamp-go').click();
        await page.locator('#err-pin').filter({ hasText: /PIN码错误/ }).waitFor({ timeout: 60000 });
        assert.equal(await page.locator('#stamp-batch-done').isHidden(), true);
        assert.deepEqual(posts, [], 'nothing timestamped');

        await page.locator('#stamp-pin').fill(holder.pin);
        await page.locator('#stamp-go').click();
        await page.locator('#stamp-batch-done').waitFor({ timeout: 120000 });
        await page.locator('#stamp-status').filter({ hasText: '2 个文件已盖章，1 个未盖章' }).waitFor();
        const items = await page.locator('#stamp-results li').allInnerTexts();
        assert.equal(items.length, 3, items.join('\n'));
        assert.match(items[0], /^合同甲\.pdf：已盖章（PAdES B-LT）$/);
        assert.match(items[1], /^damaged\.pdf：未盖章。PDF文件已损坏/);
        assert.match(items[2], /^合同乙\.pdf：已盖章（PAdES B-LT）$/);
        await a11y.check(page, '在线盖章, several files');
        /* each file its own timestamp; nothing else sent a body */
        assert.deepEqual(posts, ['/tsa', '/tsa']);

        const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-zip').click()]);
        assert.equal(dl.suggestedFilename(), '盖章文件-2个.zip');
        const zip = file('out.zip');
        fs.copyFileSync(await dl.path(), zip);
        /* Info-ZIP writes a UTF-8 name (flag bit 11) in the locale's charset */
        const env = { ...process.env, LC_ALL: 'C.UTF-8' };
        const t = spawnSync('unzip', ['-t', zip], { encoding: 'utf8', env });
        assert.equal(t.status, 0, `unzip -t: ${t.error || ''}${t.stdout}${t.stderr}`);
        fs.mkdirSync(file('unzipped'));
        const x = spawnSync('unzip', ['-q', zip, '-d', file('unzipped')], { encoding: 'utf8', env });
        assert.equal(x.status, 0, x.stdout + x.stderr);
        assert.deepEqual(fs.readdirSync(file('unzipped')).sort(), ['合同乙-盖章.pdf', '合同甲-盖章.pdf']);
        for (const [i, name, input] of [[1, '合同甲-盖章.pdf', '合同甲.pdf'], [2, '合同乙-盖章.pdf', '合同乙.pdf']]) {
            const out = fs.readFileSync(path.join(file('unzipped'), name));
            assert.ok(out.subarray(0, fs.statSync(file(input)).size).equals(fs.readFileSync(file(input))),
                `${name}: the input is its beginning`);
            const v = await outsideChecks(dir, out, `zip-${i}`);
            assert.match(v.pdfsig, /Signature Validation: Signature is Valid/, v.pdfsig);
            assert.match(v.pdfsig, /Certificate Validation: Certificate is Trusted/, v.pdfsig);
            assert.equal(v.cmsStatus, 0, v.cms);
            assert.equal(v.tsStatus, 0, v.ts);
            const tv = toolVerify(dir, out, `zip-verify-${i}.pdf`);
            assert.equal(tv.status, 0, `${tv.stdout}${tv.stderr}`);
            assert.match(tv.stdout, /stamp 1: valid/);
        }
        a11y.assertAllChecked(page);
        assert.deepEqual(problems, []);
        await context.close();
    });
