'use strict';
/*
 * 签名验证 with a file beyond the limit, from the browser's form (issue 63
 * §4): a PDF over nginx's 21 MiB and one between the module's 20 MiB and
 * nginx's: both answer the 签名验证 page again (413) with 文件过大 beside
 * the file field, not a JSON body; a client that asks for JSON still gets
 * JSON (tests/integ/sign_verify.test.js).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('../integ/lib/client');
const { launchChromium } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { tmpdir } = require('../integ/lib/stamp');

const SKIP = !process.env.HALL_URL;
const MIB = 1024 * 1024;

/* a file that begins as a PDF, n bytes */
function bigPdf(dir, name, n) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(n - 9, 0x20)]));
    return f;
}

test('签名验证 form with a 22 MiB and a 20.5 MiB PDF: the page again, 413, 文件过大 under the file field',
    { skip: SKIP }, async () => {
        const dir = tmpdir();
        const browser = await launchChromium();
        try {
            const page = await browser.newPage();
            a11y.track(page);
            for (const [name, n] of [['huge.pdf', 22 * MIB], ['big.pdf', 20 * MIB + MIB / 2]]) {
                await page.goto(`${HALL}/sign/verify`);
                await a11y.check(page, '签名验证');
                await page.setInputFiles('#file', bigPdf(dir, name, n));
                const [res] = await Promise.all([page.waitForNavigation({ timeout: 60000 }),
                    page.click('#sign-verify-submit')]);
                assert.equal(res.status(), 413, name);
                assert.match(res.headers()['content-type'], /^text\/html/, `${name}: the page, not JSON`);
                assert.equal((await page.textContent('h1')).trim(), '签名验证', name);
                assert.equal((await page.textContent('#file-error')).trim(), 'PDF文件过大：签名验证的文件不超过20MB', name);
                assert.equal(await page.getAttribute('#file', 'aria-invalid'), 'true');
                await a11y.check(page, `签名验证, ${name} too large`);
            }
        } finally {
            await browser.close();
        }
    });
