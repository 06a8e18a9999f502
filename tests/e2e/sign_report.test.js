'use strict';
/*
 * 下载验签报告 in headless Chromium through nginx (docs/modules/sign.md,
 * "验签报告"): a PDF stamped with a hall seal is verified on the 签名验证
 * page (有效), then the button beside 验证 downloads the report of the same
 * file: a PDF that names the seal's esID and the verdict, and that the
 * 签名验证 page in turn calls 有效 (its own stamp, the hall's 验签专用章).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { launchChromium } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { makePdf, hallSeals, stampWith, tmpdir } = require('../integ/lib/stamp');

test('verify_page__download_report_button__report_pdf_downloaded_and_itself_有效', async () => {
    const seals = await hallSeals();
    const dir = tmpdir();
    const file = path.join(dir, '合同.pdf');
    fs.writeFileSync(file, stampWith(makePdf({ text: 'browser report' }), seals.org, seals.pin));
    const browser = await launchChromium();
    try {
        const ctx = await browser.newContext({ acceptDownloads: true });
        const page = await ctx.newPage();
        await page.goto(`${HALL}/sign/verify`);
        await page.setInputFiles('#file', file);
        await Promise.all([page.waitForNavigation(), page.click('#sign-verify-submit')]);
        assert.equal((await page.textContent('#stamp-1-state')).trim(), '有效');
        assert.ok(await page.isVisible('#sign-report-hint'));
        await a11y.check(page, '签名验证, the report button');

        /* the result page's form: the same file again, 下载验签报告 */
        await page.setInputFiles('#file', file);
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#sign-verify-report')]);
        assert.equal(dl.suggestedFilename(), 'verify-report.pdf');
        const saved = path.join(dir, 'report.pdf');
        await dl.saveAs(saved);
        const r = spawnSync('pdftotext', ['-enc', 'UTF-8', saved, '-'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const text = r.stdout.replace(/\s+/g, '');
        assert.match(text, /验签报告/);
        assert.ok(text.includes(seals.org.esId), text);
        assert.match(text, /共1个签章，1个有效/);

        /* the report uploaded on the same page: 有效 */
        await page.goto(`${HALL}/sign/verify`);
        await page.setInputFiles('#file', saved);
        await Promise.all([page.waitForNavigation(), page.click('#sign-verify-submit')]);
        assert.equal((await page.textContent('#stamp-1-state')).trim(), '有效');
    } finally {
        await browser.close();
    }
});
