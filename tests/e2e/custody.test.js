'use strict';
/*
 * Key custody in headless Chromium through nginx: the order page offers the
 * medium once (只能下载一次), the download saves a PKCS#12, the page then
 * says the medium was delivered and cannot be fetched again with the 补办
 * and 解锁 links, the download link typed again shows the 410 page that
 * explains why (电子签名法), and its 补办 link opens 证书选择 with the
 * certificate chosen.  axe checks every page; screenshots go to
 * tests/e2e/artifacts/custody-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('../integ/lib/client');
const { operator, acceptedByTransfer, psql } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
let browser;

before(async () => {
    if (SKIP)
        return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

test('custody: 下载证书 once → 证书介质已交付 with 补办 / 解锁 → the 410 page → 补办', { skip: SKIP }, async () => {
    const problems = [];
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    const ctx = await browser.newContext({ acceptDownloads: true });
    await signIn(ctx, o.c);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    a11y.track(page);
    const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `custody-${n}.png`), fullPage: true });
    try {
        await page.goto(`${HALL}/center/order?id=${o.id}`);
        assert.match(await page.textContent('#medium-once'), /只能下载一次/);
        await a11y.check(page, '业务单详情, the medium offered');
        await shot('offered');
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#medium')]);
        assert.match(dl.suggestedFilename(), new RegExp(`-${serial}\\.p12$`));
        const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'hall-custody-')), 'm.p12');
        await dl.saveAs(file);
        assert.ok(fs.statSync(file).size > 500);

        await page.reload();
        assert.equal(await page.locator('#medium').count(), 0, 'no longer offered');
        const gone = await page.textContent('#medium-gone');
        assert.match(gone, /证书介质已交付（\d{4}-\d{2}-\d{2} \d{2}:\d{2}，首次下载时交付），网上营业厅不保留私钥，不能再次下载/);
        assert.equal(await page.getAttribute('#medium-reissue', 'href'), `/reissue/serial?project=jieyang&serial=${serial}`);
        assert.equal(await page.getAttribute('#medium-unlock', 'href'), `/unlock/serial?project=jieyang&serial=${serial}`);
        await a11y.check(page, '业务单详情, the medium delivered');
        await shot('delivered');

        const r = await page.goto(`${HALL}/pki/medium?id=${o.id}`);
        assert.equal(r.status(), 410);
        assert.equal(await page.textContent('h1'), '证书介质已交付');
        assert.match(await page.textContent('#error-message'), /首次下载时交付/);
        assert.match(await page.textContent('#medium-gone'), /电子签名法/);
        await a11y.check(page, '证书介质已交付 (410)');
        await shot('gone');
        await page.click('#medium-reissue');
        await page.waitForURL(new RegExp(`/reissue/serial\\?project=jieyang&serial=${serial}$`));
        await page.locator('#cert-status', { hasText: '有效' }).waitFor();
        await a11y.check(page, '证书选择 from the 410 page');
        a11y.assertAllChecked(page);
        assert.deepEqual(problems, []);
    } finally {
        await ctx.close();
    }
});
