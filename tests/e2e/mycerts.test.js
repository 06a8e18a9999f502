'use strict';
/*
 * 我的证书 in headless Chromium through nginx: from 我的业务单 the center's
 * menu leads to 我的证书 (a valid and a revoked certificate with their
 * states), 复制 puts the serial on the clipboard, 下载证书（PEM） downloads
 * the certificate with its chain, 补办 opens 证书选择 with the certificate
 * chosen, and that page's list chooses it too; then the public 证书状态查询
 * by 机构名称 + 统一社会信用代码 (a missing code named first).  axe checks
 * every page; screenshots go to tests/e2e/artifacts/mycerts-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('../integ/lib/client');
const { operator, acceptedByTransfer, psql, staffRevoke } = require('../integ/lib/pki');
const { unpaidOrder, orgForm, freshAccount } = require('../integ/lib/payflow');
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

function watch(page, problems) {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        /* the lookup without its code answers 400 on purpose */
        if (r.status() >= 500 || (r.status() === 404 && !/favicon\.ico$/.test(r.url())))
            problems.push(`${r.status()} ${r.url()}`);
    });
}

test('mycerts: 我的业务单 → 我的证书 → 复制 → 下载 PEM → 补办 → 证书选择 (chosen, list) → 证书状态查询 by organisation',
    { skip: SKIP }, async () => {
        const problems = [];
        const op = await operator();
        const o = await acceptedByTransfer();
        assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        /* a second certificate of the same applicant, revoked */
        const second = await unpaidOrder(o.c, { form: orgForm({ bank_account: freshAccount() }) });
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
            WHERE id = ${second.id}`);
        assert.equal((await op.post('/admin/pki/issue', { id: second.id })).status, 200);
        const gone = psql(`SELECT serial FROM certificates WHERE order_id = ${second.id} AND state = 'issued'`);
        assert.equal((await staffRevoke(gone, 'keyCompromise', op)).status, 200);

        const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN',
            acceptDownloads: true });
        await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: HALL });
        const page = await ctx.newPage();
        a11y.track(page);
        watch(page, problems);
        await signIn(ctx, o.c);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `mycerts-${n}.png`), fullPage: true });
        try {
            await page.goto(`${HALL}/center/orders`);
            await a11y.check(page, '我的业务单');
            await page.getByRole('link', { name: '我的证书' }).click();
            await page.waitForURL(/\/center\/certs$/);
            await a11y.check(page, '我的证书');
            await shot('01-list');
            const row = page.locator(`#certs tr[data-serial="${serial}"]`);
            assert.equal((await row.locator('td.status').textContent()).trim(), '有效');
            const goneRow = page.locator(`#certs tr[data-serial="${gone}"]`);
            assert.match(await goneRow.locator('td.status').textContent(), /已吊销\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 吊销（密钥泄露）/);
            assert.equal(await goneRow.locator('a.cert-reissue').count(), 0, 'no 补办 for a revoked certificate');

            /* 复制: the serial on the clipboard, said in words */
            await row.getByRole('button', { name: `复制证书序列号 ${serial}` }).click();
            await page.locator(`#copied-${serial}`, { hasText: '已复制' }).waitFor();
            assert.equal(await page.evaluate(() => navigator.clipboard.readText()), serial);

            /* 下载证书（PEM）: the certificate, its CA and the root, no key */
            const [dl] = await Promise.all([
                page.waitForEvent('download'),
                row.getByRole('link', { name: '下载证书（PEM）' }).click(),
            ]);
            assert.equal(dl.suggestedFilename(), `${serial}.pem`);
            const pem = fs.readFileSync(await dl.path(), 'utf8');
            assert.equal((pem.match(/-----BEGIN CERTIFICATE-----/g) || []).length, 3);
            assert.doesNotMatch(pem, /PRIVATE KEY/);

            /* 补办: 证书选择 with this certificate chosen (the agreements
             * were accepted for the order, within their validity) */
            await row.getByRole('link', { name: '补办' }).click();
            await page.waitForURL(new RegExp(`/reissue/serial\\?project=jieyang&serial=${serial}$`));
            await page.locator('#cert-status', { hasText: '有效' }).waitFor();
            assert.equal(await page.getAttribute(`#own-certs tr[data-serial="${serial}"]`, 'aria-current'), 'true');
            await page.locator('#serial-next').waitFor();
            await a11y.check(page, '证书选择, chosen from 我的证书');
            await shot('02-reissue-chosen');
            /* the list itself: the revoked one cannot be chosen, the valid one can */
            await page.goto(`${HALL}/reissue/serial?project=jieyang`);
            await a11y.check(page, '证书选择 with my certificates');
            assert.match(await page.locator(`#own-certs tr[data-serial="${gone}"]`).textContent(), /已吊销[\s\S]*不可补办/);
            await page.getByRole('link', { name: `选择证书 ${serial}` }).click();
            await page.waitForURL(new RegExp(`/reissue/serial\\?project=jieyang&serial=${serial}$`));
            await page.locator('#serial-next').waitFor();
            await a11y.check(page, '证书选择, chosen from the list');
            await shot('03-reissue-list');

            /* the public lookup by organisation */
            await page.goto(`${HALL}/pki/lookup`);
            await a11y.check(page, '证书状态查询');
            await page.fill('#org-name', o.form.org_name);
            await page.locator('#lookup-org-form button[type="submit"]').click();
            await page.locator('#org-error', { hasText: '请输入统一社会信用代码' }).waitFor();
            await a11y.check(page, '证书状态查询, code missing');
            await page.fill('#org-id', o.form.org_id);
            await page.locator('#lookup-org-form button[type="submit"]').click();
            await page.locator(`#lookup-org-result tr[data-serial="${serial}"][data-status="good"]`).waitFor();
            await page.locator(`#lookup-org-result tr[data-serial="${gone}"][data-status="revoked"]`).waitFor();
            await a11y.check(page, '证书状态查询, by organisation');
            await shot('04-lookup-org');
            a11y.assertAllChecked(page);
        } finally {
            await ctx.close();
        }
        assert.deepEqual(problems, []);
    });
