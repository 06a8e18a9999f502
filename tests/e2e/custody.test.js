'use strict';
/*
 * Key custody in headless Chromium through nginx: of a certificate made as
 * a file before issue 64 (tests/integ/lib/station.js, fileOfBefore: 制作证书
 * makes no such file any more), the order page offers the medium once
 * (只能下载一次), the download saves a PKCS#12, the page then
 * says the medium was delivered and cannot be fetched again with the 补办
 * and 解锁 links, the download link typed again shows the 410 page that
 * explains why (电子签名法), and its 补办 link opens 证书选择 with the
 * certificate chosen.  A 机构个人章's key is made by its holder
 * (e2e/seal_holder_key drives that page); the agent's 我的电子印章 says
 * 待持有人生成密钥, then that the hall holds no key, and never offers it.  axe checks every page; screenshots go to
 * tests/e2e/artifacts/custody-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant, freshPhone } = require('../integ/lib/client');
const { operator, acceptedByTransfer, smsTo, psql } = require('../integ/lib/pki');
const { sealOrder, verifyHolder, holderMakesKey } = require('../integ/lib/seal');
const { fileOfBefore } = require('../integ/lib/station');
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
    const o = await acceptedByTransfer();
    const { serial } = await fileOfBefore(o);
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
        /* 揭阳 sells no 证书解锁: no link to its refusal */
        assert.equal(await page.locator('#medium-unlock').count(), 0);
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

test('custody: 机构个人章 whose key its holder makes → the agent sees whose step it is, never a medium', { skip: SKIP }, async () => {
    const problems = [];
    const c = await applicant();
    const holder = freshPhone('135');
    const so = await sealOrder(c, {
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0', person_count: '1',
        person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1', person_1_style: 'auto',
        person_1_mobile: holder,
    });
    await verifyHolder(c, so.id, 1, holder);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${so.id}`);
    assert.equal((await (await operator()).post('/admin/pki/issue', { id: so.id })).status, 200);
    const actx = await browser.newContext();
    await signIn(actx, c);
    const agent = await actx.newPage();
    agent.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    a11y.track(agent);
    const row = () => agent.locator(`#seal-list tr[data-item="${so.items['org_person:1']}"]`);
    try {
        /* produced: the holder's step (the key in the holder's browser, sql/159) */
        await agent.goto(`${HALL}/seal/seals?id=${so.id}`);
        await row().locator('.seal-state', { hasText: '待持有人生成密钥' }).waitFor();
        await a11y.check(agent, '我的电子印章, the holder to make the key');
        /* the holder made it (e2e/seal_holder_key.test.js drives the page) */
        await holderMakesKey(holder, fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'hall-custody-')));
        await agent.reload();
        await row().locator('.holder-browser', { hasText: '网上营业厅不持有私钥' }).waitFor();
        assert.equal(await row().locator('.medium-link').count(), 0);
        await a11y.check(agent, '我的电子印章, the holder\'s key made in the browser');
        a11y.assertAllChecked(agent);
    } finally {
        await actx.close();
    }
    assert.deepEqual(problems, []);
});
