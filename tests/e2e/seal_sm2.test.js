'use strict';
/*
 * An SM2 (国密) seal bought through the pages (issue 63 §2), in headless
 * Chromium through nginx, from the customer's side: 产品方案 says the seals
 * come in SM2 too; 电子签章申请's 录入信息 offers 证书算法 and the customer
 * chooses SM2（国密算法） for one 机构章; the print names the algorithm; the
 * uploads, the identity check on a phone, 支付宝 on the sandbox cashier
 * and the micro-deposit code; the reviewer's 成功受理 (its own route, no
 * SQL); the certificate's key born in the customer's browser (业务单详情's
 * 生成密钥并下载证书: no medium signs SM2 and the hall makes no key), the
 * PKCS#12 saved under the customer's PIN; then 我的电子印章: the .seseal
 * downloaded, the certificate SM2 under the hall's SM2 CA; 在线盖章 from the seal's own link stamps a GB/T 38540
 * SES_Signature; hall-stamp stamps with the same downloads; 签名验证 calls
 * both 有效 and the 验签报告 names the seal, 有效.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { applicant, HALL, freshPhone } = require('../integ/lib/client');
const { psql, freshAccount, waitStatus, lastTransfer, memoCode, approve } = require('../integ/lib/payflow');
const { operator, tmpdir, fetchPki, openssl, SM2_ID } = require('../integ/lib/pki');
const { launchChromium, signIn } = require('./lib/browser');
const { tablePdf, hallStamp, toolVerify, hallVerify, lastSignature } = require('./lib/stamp');
const a11y = require('./lib/a11y');

const SKIP = !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 11)]);
let browser, dir;
const file = (n) => path.join(dir, n);

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    await fetchPki(dir);
    fs.writeFileSync(file('doc.pdf'), tablePdf(2, 'SM2 seal contract'));
});

after(async () => {
    if (browser)
        await browser.close();
});

function watch(page, problems) {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && (m.location().url || '').startsWith(HALL))
            problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
        if (r.url().startsWith(HALL) && (r.status() >= 500 || (r.status() === 404 && !/favicon\.ico$/.test(r.url()))))
            problems.push(`${r.status()} ${r.url()}`);
    });
}

/* the phone's part of the identity check, for the agent */
async function phoneVerifies(link, name, ric, problems) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
    const phone = await ctx.newPage();
    watch(phone, problems);
    await phone.goto(link);
    await phone.locator('input[name="front"]').setInputFiles({ name: 'f.jpg', mimeType: 'image/jpeg',
        buffer: Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${name}|${ric}\n`)]) });
    await phone.locator('input[name="back"]').setInputFiles({ name: 'b.jpg', mimeType: 'image/jpeg',
        buffer: Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]) });
    await phone.locator('#ocr button[type="submit"]').click();
    await phone.locator('#liveness').waitFor();
    await phone.locator('input[name="media"]').setInputFiles({ name: 'v.mp4', mimeType: 'video/mp4', buffer: JPEG });
    await phone.locator('#liveness button[type="submit"]').click();
    await phone.locator('#mobile-passed').waitFor();
    await ctx.close();
}

test('电子签章申请 with 证书算法 SM2: applied, paid, reviewed, produced, downloaded; stamped in the page and by hall-stamp, both 有效 in 签名验证 and its 验签报告',
    { skip: SKIP }, async () => {
        const c = await applicant();
        const ctx = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        await signIn(ctx, c);
        const page = await ctx.newPage();
        const problems = [];
        watch(page, problems);
        const fill = async (name, v) => page.locator(`[name="${name}"]`).fill(v);
        const agentMobile = freshPhone('139');
        const account = freshAccount();

        /* 产品方案: the seals on sale in SM2 too, at the same price */
        await page.goto(`${HALL}/seal/product`);
        await page.locator('#seal-sm2', { hasText: 'SM2（国密算法）' }).waitFor();
        assert.equal(await page.locator('#seal-prices tbody tr').count(), 3, 'one row a kind');
        await a11y.check(page, '产品方案 with SM2');
        await page.locator('#seal-buy').click();
        await page.waitForURL(/\/seal$/);
        await page.locator('#projects a[href$="/seal?project=hall"]').click();
        await page.locator('input[name="agree1"]').check();
        await page.locator('input[name="agree2"]').check();
        await page.locator('#agree button[type="submit"]').click();
        await page.waitForURL(/\/seal\/guide\?project=hall$/);
        await page.locator('#seal-guide-ok').click();
        await page.waitForURL(/\/seal\/apply\?project=hall$/);

        /* 录入信息: 证书算法, ECDSA unless chosen; SM2 chosen, one 机构章 */
        assert.equal(await page.locator('#ca').inputValue(), 'ecc');
        assert.deepEqual(await page.locator('#ca option').allInnerTexts(), ['ECDSA（国际算法）', 'SM2（国密算法）']);
        await page.selectOption('#ca', 'sm2');
        await a11y.check(page, '录入信息 with 证书算法');
        await page.selectOption('#org_count', '1');
        await page.locator('input[name="org_years"][value="1"]').check();
        await page.selectOption('#biz_count', '0');
        await fill('org_name', '深圳国密签章测试有限公司');
        await fill('org_id', '91110000600037341L');
        await page.selectOption('select[name="unit_province"]', '440000');
        await page.locator('select[name="unit_city"] option[value="440300"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="unit_city"]', '440300');
        await fill('unit_address', '南山区科技园1号');
        await fill('legal_name', '张三');
        await fill('legal_ric', '360426199101010071');
        await fill('legal_mobile', '13800138000');
        await fill('agent_name', '李四');
        await fill('agent_ric', '412723199010050012');
        await fill('agent_mobile', agentMobile);
        await fill('agent_email', 'agent@example.com');
        await fill('agent_title', '行政专员');
        await fill('app_name', '赵敏');
        await fill('app_ric', '11010519491231002X');
        await fill('app_mobile', '13700137000');
        await fill('app_email', 'zhaomin@example.com');
        await fill('bank_account_name', '深圳国密签章测试有限公司');
        await page.locator('#bank_search').fill('工商 南山');
        await page.locator('#bank_suggest li', { hasText: '中国工商银行深圳南山支行' }).click();
        await fill('bank_account', account);
        /* SM2: its keys are born in the browser, nothing is mailed: no
         * 邮寄信息 asked, the page says why, no parcel in 应付金额 */
        assert.equal(await page.locator('#mail-fields').isVisible(), false);
        await page.locator('#nomail-hint', { hasText: '无需填写邮寄信息' }).waitFor();
        /* no medium made, no 介质费 (sql/180): the 机构章 400 a year, not 500 */
        assert.match(await page.locator('#total-parts').innerText(), /^（印章费400\.00元）$/);
        assert.equal(await page.locator('#org-heading .yearly').innerText(), '400.00');
        /* back to ECDSA, the address is asked again, the USB key's 介质费 back */
        await page.selectOption('#ca', 'ecc');
        await page.locator('select[name="mail_province"]').waitFor({ state: 'visible' });
        assert.equal(await page.locator('#nomail-hint').isVisible(), false);
        assert.equal(await page.locator('#org-heading .yearly').innerText(), '500.00');
        await page.selectOption('#ca', 'sm2');
        await page.locator('#mail-fields').waitFor({ state: 'hidden' });
        await fill('invoice_title', '深圳国密签章测试有限公司');
        await fill('invoice_taxid', '91110000600037341L');
        await page.locator('#apply-next').click();
        await page.waitForURL(/\/seal\/print\?id=\d+$/);
        const id = new URL(page.url()).searchParams.get('id');
        /* the order is the SM2 机构章's, at the ECDSA one's price less the 介质费 */
        assert.equal(psql(`SELECT p.ca || '|' || p.name || '|' || o.cert_fen FROM orders o
            JOIN products p ON p.id = o.product_id WHERE o.id = ${id}`), 'sm2|机构章（国密SM2）|40000');
        assert.equal(await page.locator('#print-ca').innerText(), 'SM2（国密算法）');
        assert.equal(psql(`SELECT shipping_fen FROM orders WHERE id = ${id}`), '0');
        /* back to 录入信息: the choice kept */
        await page.goto(`${HALL}/seal/apply?id=${id}`);
        assert.equal(await page.locator('#ca').inputValue(), 'sm2');
        await page.goto(`${HALL}/seal/print?id=${id}`);
        await page.locator('#print-next').click();
        await page.waitForURL(new RegExp(`/seal/upload\\?id=${id}$`));
        for (const kind of ['application', 'license', 'agent_id', 'seal_form', 'cert_attachment']) {
            const row = page.locator(`tr[data-kind="${kind}"]`);
            await row.locator('input[type="file"]').setInputFiles({ name: `${kind}.jpg`, mimeType: 'image/jpeg',
                buffer: JPEG });
            await row.locator('button[type="submit"]').click();
            await page.locator(`tr[data-kind="${kind}"] .state`).filter({ hasText: '已上传' }).waitFor();
        }
        await page.locator('#upload-next').click();
        await page.waitForURL(new RegExp(`/seal/identity\\?id=${id}$`));
        await phoneVerifies(await page.locator('#mobile-link').getAttribute('href'), '李四', '412723199010050012',
            problems);
        await page.locator('#identity-next:not([hidden])').waitFor({ timeout: 15000 });
        await page.click('#identity-next');
        await page.waitForURL(/\/pay\?id=\d+$/);
        const amount = Number(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`));
        assert.equal(await page.textContent('#amount'), `${(amount / 100).toFixed(2)}元`);
        await page.check('input[name="channel"][value="alipay"]');
        await Promise.all([page.waitForURL(/\/pay\/page\/\d+$/), page.click('#pay-online-submit')]);
        await Promise.all([page.waitForURL(`${HALL}/pay?id=${id}`), page.click('#confirm')]);
        await page.waitForSelector('#pay-pending', { state: 'detached', timeout: 90000 });
        await waitStatus(id, 'finauth_ok', 60000);

        /* 金融认证: the memo's code typed in */
        const code = memoCode(await lastTransfer(account));
        await page.goto(`${HALL}/finauth?id=${id}`);
        await page.locator('input[name="code"]').fill(code);
        await page.locator('#finauth-code-submit').click();
        await waitStatus(id, 'review', 30000);

        /* the reviewer accepts; 制作证书 makes no key for it: the customer's
         * browser makes the certificate's key, the hall the seal with it */
        await approve(id);
        const op = await operator();
        const refused = await op.post('/admin/pki/issue', { id });
        assert.equal(refused.status, 409, refused.text);
        const pin = 'Sm2Seal2026';
        await page.goto(`${HALL}/center/order?id=${id}`);
        await page.fill('#keygen-pin', pin);
        await page.fill('#keygen-pin2', pin);
        const [md] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#keygen-go')]);
        await md.saveAs(file('medium.p12'));
        await page.waitForSelector('#keygen-done:not([hidden])');
        /* made and in hand: the page says so at once, no 申请退费 (issue 72 §4) */
        assert.equal(await page.locator('#status').innerText(), '已签收');
        assert.equal(await page.locator('#refund').count(), 0);

        /* 我的电子印章: the seal file downloaded */
        await page.goto(`${HALL}/center/order?id=${id}`);
        await Promise.all([page.waitForURL(/\/seal\/seals\?id=/), page.click('#seals')]);
        const row = page.locator('#seal-list tbody tr[data-item]').first();
        await row.locator('.seal-state', { hasText: '有效' }).waitFor();
        const [sd] = await Promise.all([page.waitForEvent('download'), row.locator('.seseal-link').click()]);
        await sd.saveAs(file('seal.seseal'));
        const x = openssl(['pkcs12', '-in', file('medium.p12'), '-clcerts', '-nokeys', '-passin', `pass:${pin}`,
            '-out', file('leaf.pem')]);
        assert.equal(x.status, 0, x.stderr);
        assert.match(openssl(['x509', '-in', file('leaf.pem'), '-noout', '-text']).stdout,
            /Signature Algorithm: SM2-with-SM3/);
        assert.equal(openssl(['verify', '-partial_chain', '-CAfile', file('sm2.crt'), '-vfyopt', `distid:${SM2_ID}`,
            file('leaf.pem')]).status, 0, 'the seal\'s certificate under the SM2 CA');
        const esId = psql(`SELECT s.es_id FROM seseals s WHERE s.order_id = ${id} AND s.state = 'valid'`);

        /* 在线盖章 from the seal's link: the seal chosen, the SM2 medium and PIN */
        await Promise.all([page.waitForURL(/\/seal\/stamp\?id=\d+$/), row.locator('.stamp-link').click()]);
        await page.locator('#stamp-seal-chosen').filter({ hasText: '已选用我的电子印章' }).waitFor();
        await page.locator('#stamp-pdf').setInputFiles(file('doc.pdf'));
        await page.locator('#stamp-pages').filter({ hasText: '共 2 页' }).waitFor();
        await page.locator('#stamp-p12').setInputFiles(file('medium.p12'));
        const canvas = page.locator('#stamp-canvas');
        const box = await canvas.boundingBox();
        await canvas.click({ position: { x: box.width * 120 / 210, y: box.height * 220 / 297 } });
        await page.locator('#stamp-mark').waitFor();
        await page.locator('#stamp-pin').fill(pin);
        await page.locator('#stamp-go').click();
        await page.waitForFunction(() => !document.getElementById('stamp-done').hidden ||
            [...document.querySelectorAll('[id^="err-"]')].some((e) => e.textContent !== ''), null,
        { timeout: 90000 });
        const said = await page.locator('[id^="err-"]').allInnerTexts();
        assert.equal(await page.locator('#stamp-done').isHidden(), false, `stamped: ${said.join(' ')}`);
        assert.match(await page.locator('#stamp-level').innerText(), /GB\/T 38540 电子签章（国密SM2\/SM3）/);
        const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
        const inPage = fs.readFileSync(await dl.path());
        assert.match(inPage.toString('latin1'), /\/SubFilter \/GBT38540\.SES_Signature/);
        assert.ok(lastSignature(inPage).cms.includes(fs.readFileSync(file('seal.seseal'))), 'the seal downloaded');

        /* hall-stamp with the same two downloads */
        const t = hallStamp(['sign', '--in', file('doc.pdf'), '--out', file('tool.pdf'), '--seal', file('seal.seseal'),
            '--p12', file('medium.p12'), '--page', '1', '--x', '105', '--y', '200', '--tsa', `${HALL}/tsa`], pin);
        assert.equal(t.status, 0, t.stdout + t.stderr);
        const byTool = fs.readFileSync(file('tool.pdf'));
        const v = toolVerify(dir, byTool, 'tool-check.pdf');
        assert.equal(v.status, 0, v.stdout + v.stderr);
        assert.match(v.stdout, /^(stamp 1: valid|签章1：有效)$/m);
        for (const out of [inPage, byTool]) {
            const h = await hallVerify(out);
            assert.equal(h.stamps.length, 1);
            assert.equal(h.stamps[0].state, '有效', JSON.stringify(h.stamps[0]));
            assert.equal(h.stamps[0].format, 'ses_signature');
            assert.equal(h.stamps[0].seal.es_id, esId);
            assert.equal(h.stamps[0].chain_to, '本CA SM2根证书');
        }

        /* 签名验证 in the page, then its 验签报告 */
        const spawn = (n, b) => { fs.writeFileSync(file(n), b); return file(n); };
        const stamped = spawn('合同（国密）.pdf', inPage);
        await page.goto(`${HALL}/sign/verify`);
        await page.setInputFiles('#file', stamped);
        await Promise.all([page.waitForNavigation(), page.click('#sign-verify-submit')]);
        assert.equal((await page.textContent('#stamp-1-state')).trim(), '有效');
        await page.getByText('GB/T 38540 电子签章（SM2/SM3）').first().waitFor();
        await page.setInputFiles('#file', stamped);
        const [rd] = await Promise.all([page.waitForEvent('download'), page.click('#sign-verify-report')]);
        await rd.saveAs(file('report.pdf'));
        const r = spawnSync('pdftotext', ['-enc', 'UTF-8', file('report.pdf'), '-'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const text = r.stdout.replace(/\s+/g, '');
        assert.match(text, /验签报告/);
        assert.ok(text.includes(esId), text);
        assert.match(text, /共1个签章，1个有效/);
        assert.deepEqual(problems, []);
        await ctx.close();
    });
