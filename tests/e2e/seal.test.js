'use strict';
/*
 * 电子签章申请 in headless Chromium through nginx: 产品方案 → 电子签章 → 立即购买,
 * the agreements, the 流程指引 「已知悉」, 录入信息 with one 机构章, two 机构业务章
 * (the second from its impression) and one 机构个人章 (a 机构章 ×2 is refused
 * on the page first), the printed application form and the 证书附页 with the
 * seal pictures, the impression uploaded there and its cut-out confirmed
 * (上传资料's 下一步 holds until then), then the uploads;
 * after production the operator revokes one seal and the applicant downloads
 * the others' seal files from 我的电子印章 (the keys on the order's USB key: no
 * certificate file) and checks one on the public 电子印章验证 page.
 * axe checks every page; screenshots go to tests/e2e/artifacts/seal-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { applicant, HALL, freshPhone } = require('../integ/lib/client');
const { psql, orgForm, freshAccount } = require('../integ/lib/payflow');
const { operator, operator2, reviewer, smsTo } = require('../integ/lib/pki');
const { impressionScan, holderMakesKey } = require('../integ/lib/seal');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');
const { mediumOf } = require('../integ/lib/station');
const { staffSignInPage } = require('./lib/staff');

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

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 9)]);

test('seal order: 立即购买 → 协议 → 已知悉 → 1 机构章 + 2 业务章 + 1 个人章 → 打印申请表 → 证书附页 printed → 上传资料',
    { skip: SKIP }, async () => {
        const c = await applicant();
        const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        await signIn(context, c);
        const page = await context.newPage();
        a11y.track(page);
        const problems = [];
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        page.on('response', (r) => {
            if (r.status() >= 500 || (r.status() === 404 && !/favicon\.ico$/.test(r.url())))
                problems.push(`${r.status()} ${r.url()}`);
        });
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `seal-${n}.png`), fullPage: true });
        const fill = async (name, v) => page.locator(`[name="${name}"]`).fill(v);

        await page.goto(`${HALL}/`);
        await a11y.check(page, 'home');
        await page.getByRole('link', { name: '电子签章申请' }).click();
        await page.waitForURL(/\/seal\/product$/);
        await a11y.check(page, '产品方案 · 电子签章');
        await shot('01-product');
        await page.locator('#seal-buy').click();
        await page.waitForURL(/\/seal$/);
        await a11y.check(page, '选择项目');
        await page.locator('#projects a[href$="/seal?project=hall"]').click();
        await page.waitForURL(/\/seal\?project=hall$/);
        await a11y.check(page, '协议');
        await page.locator('input[name="agree1"]').check();
        await page.locator('input[name="agree2"]').check();
        await page.locator('#agree button[type="submit"]').click();
        await page.waitForURL(/\/seal\/guide\?project=hall$/);
        await a11y.check(page, '签章办理流程指引');
        await shot('02-guide');
        await page.locator('#seal-guide-ok').click();
        await page.waitForURL(/\/seal\/apply\?project=hall$/);
        await a11y.check(page, '录入信息');

        /* 签章信息: one 机构章, two 业务章, one 个人章 */
        await page.selectOption('#org_count', '1');
        await page.locator('input[name="org_years"][value="2"]').check();
        await page.selectOption('#biz_count', '2');
        await page.locator('input[name="biz_years"][value="3"]').check();
        await fill('biz_1_name', '合同专用章');
        await fill('biz_2_name', '财务专用章');
        /* the 财务专用章 from its impression (根据印模样式抠图) */
        await page.selectOption('select[name="biz_2_style"]', 'cutout');
        /* 机构个人章 rows "as many as needed": 添加 by keyboard, focus on the new
         * row's name; a second row added and 删除 again */
        assert.equal(await page.locator('fieldset[data-person]').count(), 0);
        await page.locator('#person-add').focus();
        await page.keyboard.press('Enter');
        await page.locator('input[name="person_1_name"]').waitFor();
        assert.equal(await page.evaluate(() => document.activeElement.name), 'person_1_name');
        await page.keyboard.type('王五');
        await fill('person_1_ric', '44011320141005001X');
        /* the holder's own phone: the certificate's PIN goes there */
        const holderPhone = freshPhone('135');
        await fill('person_1_mobile', holderPhone);
        await page.locator('#person-add').click();
        await page.locator('input[name="person_2_name"]').fill('赵六');
        assert.equal(await page.locator('#person_count').inputValue(), '2');
        await a11y.check(page, '录入信息 · 两位机构个人章');
        await page.locator('fieldset[data-person="2"] .person-del').click();
        assert.equal(await page.locator('fieldset[data-person]').count(), 1);
        assert.equal(await page.locator('#person_count').inputValue(), '1');
        assert.match(await page.locator('#person-status').textContent(), /已删除第2位/);
        await fill('org_name', '深圳浏览器签章测试有限公司');
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
        await fill('agent_mobile', '13900139000');
        await fill('agent_email', 'agent@example.com');
        await fill('agent_title', '行政专员');
        await fill('app_name', '赵敏');
        await fill('app_ric', '11010519491231002X');
        await fill('app_mobile', '13700137000');
        await fill('app_email', 'zhaomin@example.com');
        await fill('bank_account_name', '深圳浏览器签章测试有限公司');
        await page.locator('#bank_search').fill('工商 南山');
        await page.locator('#bank_suggest li', { hasText: '中国工商银行深圳南山支行' }).click();
        await fill('bank_account', '6222' + String(Date.now()).slice(-12));
        await page.selectOption('select[name="mail_province"]', '440000');
        await page.locator('select[name="mail_city"] option[value="440300"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="mail_city"]', '440300');
        await page.locator('select[name="mail_district"] option[value="440305"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="mail_district"]', '440305');
        await fill('mail_address', '科技园1号');
        await fill('mail_receiver', '李四');
        await fill('mail_mobile', '13900139000');
        /* 寄付 ticked by itself for this address: the 到付 carrier's choice
         * goes away with 到付, and the running total counts the parcel */
        await page.locator('#prepaid-text[data-fee-fen]').waitFor({ state: 'attached' });
        if (await page.locator('input[name="shipping"][value="prepaid"]').isChecked())
            assert.equal(await page.locator('#carrier-choice').isVisible(), false, 'no 到付 carrier beside 寄付');
        const shown = await page.locator('#total-amount').textContent();
        await fill('invoice_title', '深圳浏览器签章测试有限公司');
        await fill('invoice_taxid', '91110000600037341L');
        /* a 业务章 without its name: refused on the page, naming the field */
        await fill('biz_2_name', '');
        await page.locator('#apply-next').click();
        await page.locator('.err[data-for="biz_2_name"]').filter({ hasText: '印章名称' }).waitFor();
        await a11y.check(page, '录入信息 with an error');
        await shot('03-form-error');
        await fill('biz_2_name', '财务专用章');
        await page.locator('#apply-next').click();
        await page.waitForURL(/\/seal\/print\?id=\d+$/);
        const id = new URL(page.url()).searchParams.get('id');
        assert.equal(psql(`SELECT count(*) FROM seal_items WHERE order_id = ${id}`), '4');
        assert.equal(psql(`SELECT cert_fen FROM orders WHERE id = ${id}`), '360000');
        /* the total the form showed is what the order charges */
        assert.equal(shown, `${(Number(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`)) / 100).toFixed(2)}元`);
        await a11y.check(page, '打印申请表');
        await shot('04-print');

        /* 证书附页: three drawn pictures; the 抠图 seal's impression uploaded
         * in its row, its cut-out shown (confirmed later) */
        await page.locator('#print-attachment').click();
        await page.waitForURL(new RegExp(`/seal/attachment\\?id=${id}$`));
        assert.equal(await page.locator('#attachment-seals img.seal-img').count(), 3);
        for (const img of await page.locator('#attachment-seals img.seal-img').all())
            /* at the size of its 120×120 box (srcset: this page's one device pixel per CSS pixel) */
            assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth === 120), 'picture loaded');
        const cutId = psql(`SELECT id FROM seal_items WHERE order_id = ${id} AND kind = 'org_business'
            AND position = 2`);
        const cutRow = page.locator(`#seal-${cutId}`);
        await cutRow.locator('.seal-missing', { hasText: '待上传印模' }).waitFor();
        await a11y.check(page, '证书附页, an impression to upload');
        const scan = path.join(os.tmpdir(), `hall-e2e-seal-${process.pid}-impression.png`);
        fs.writeFileSync(scan, impressionScan());
        await cutRow.getByLabel(/上传印模/).setInputFiles(scan);
        await cutRow.getByRole('button', { name: '上传并抠图' }).click();
        await cutRow.getByRole('button', { name: '确认使用此抠图' }).waitFor();
        /* the picture arrives after the button: wait for it to load (up to 10 s) */
        assert.ok(await cutRow.locator('img.seal-img').evaluate((i) => (i.complete ? Promise.resolve()
            : new Promise((ok) => { i.onload = ok; i.onerror = ok; setTimeout(ok, 10000); }))
            .then(() => i.complete && i.naturalWidth > 100)), 'the cut-out shown');
        assert.equal(await page.locator('#attachment-seals img.seal-img').count(), 4);
        await a11y.check(page, '证书附页, a cut-out to confirm');
        await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
        await page.locator('#attachment-print').click();
        assert.equal(await page.evaluate(() => window.__printed), 1, 'the print dialog was asked for');
        await page.emulateMedia({ media: 'print' });
        await shot('05-attachment');
        await page.pdf({ path: path.join(ARTIFACTS, 'seal-05-attachment.pdf') });
        await page.emulateMedia({ media: 'screen' });

        /* back to the print step, 已打印 → 上传资料 with the seal materials */
        await page.goto(`${HALL}/seal/print?id=${id}`);
        await a11y.check(page, '打印申请表 again');
        await page.locator('#print-next').click();
        await page.waitForURL(new RegExp(`/seal/upload\\?id=${id}$`));
        await a11y.check(page, '上传资料');
        /* seed 001: the 机构个人章 holder's ID scan first, named after the holder */
        assert.equal(await page.locator('#materials tbody tr').first().getAttribute('data-kind'), 'holder_id_1');
        assert.match(await page.locator('#material-holder_id_1').innerText(), /机构个人身份证扫描件（王五）/);
        /* 下一步 with it missing names it */
        await page.locator('#upload-next').click();
        await page.locator('#uploaded [data-for="holder_id_1"]').filter({ hasText: '机构个人身份证扫描件' }).waitFor();
        for (const kind of ['holder_id_1', 'application', 'license', 'agent_id', 'seal_form', 'cert_attachment']) {
            const row = page.locator(`tr[data-kind="${kind}"]`);
            const f = path.join(os.tmpdir(), `hall-e2e-seal-${process.pid}-${kind}.jpg`);
            fs.writeFileSync(f, JPEG);
            await row.locator('input[type="file"]').setInputFiles(f);
            await row.locator('button[type="submit"]').click();
            await page.locator(`tr[data-kind="${kind}"] .state`).filter({ hasText: '已上传' }).waitFor();
        }
        await a11y.check(page, '上传资料, uploaded');
        await shot('06-uploaded');
        /* 下一步 before the cut-out is confirmed: held, naming the seal */
        await page.locator('#upload-next').click();
        await page.locator('#uploaded .err', { hasText: '请在证书附页页面确认机构业务章“财务专用章”的抠图效果' }).waitFor();
        await a11y.check(page, '上传资料, a cut-out not confirmed');
        await page.locator('#uploaded .err', { hasText: '请在证书附页页面验证机构个人章（王五）持有人本人的手机号' }).waitFor();
        await page.goto(`${HALL}/seal/attachment?id=${id}`);
        await page.locator(`#seal-${cutId}`).getByRole('button', { name: '确认使用此抠图' }).click();
        await page.locator(`#seal-${cutId} .seal-confirmed`, { hasText: '已确认抠图' }).waitFor();
        await a11y.check(page, '证书附页, the cut-out confirmed');
        /* the 个人章 holder's own phone: a code sent to it, passed on, typed in */
        const personId = psql(`SELECT id FROM seal_items WHERE order_id = ${id} AND kind = 'org_person'`);
        const holderBox = page.locator(`#holder-${personId}`);
        await holderBox.locator('.holder-unverified', { hasText: '未验证' }).waitFor();
        await a11y.check(page, '证书附页, the holder\'s phone to verify');
        await Promise.all([page.waitForEvent('framenavigated'),
            holderBox.getByRole('button', { name: '向持有人手机发送验证码' }).click()]);
        await page.locator(`#holder-code-${personId}`).waitFor();
        const holderCode = (await smsTo(holderPhone, /验证码是\d{6}/)).match(/验证码是(\d{6})/)[1];
        await page.locator(`#holder-code-${personId}`).fill(holderCode);
        await holderBox.getByRole('button', { name: '验证', exact: true }).click();
        await page.locator(`#holder-${personId} .holder-verified`, { hasText: '已验证' }).waitFor();
        await a11y.check(page, '证书附页, the holder\'s phone verified');
        await page.goto(`${HALL}/seal/upload?id=${id}`);
        await page.locator('#upload-next').click();
        await page.waitForURL(new RegExp(`/seal/identity\\?id=${id}$`));
        await a11y.check(page, '在线认证');
        a11y.assertAllChecked(page);
        assert.deepEqual(problems, []);
        await context.close();

        /* the operator: production makes the seals (the steps between are
         * the kit's); 电子印章管理 revokes the 个人章 */
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
            WHERE id = ${id}`);
        const opc = await operator();
        assert.equal((await opc.post('/admin/pki/issue', { id })).status, 200);
        /* the 个人章's key is born on its holder's side (sql/159): the seal
         * is made once the holder posts the request with the SMS's code */
        assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${id}`), '3');
        await holderMakesKey(holderPhone, fs.mkdtempSync(path.join(os.tmpdir(), 'hall-e2e-seal-')));
        assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${id}`), '4');
        const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
        const person = psql(`SELECT s.es_id FROM seseals s JOIN seal_items i ON i.id = s.item_id
            WHERE s.order_id = ${id} AND i.kind = 'org_person'`);
        const opCtx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        const op = await opCtx.newPage();
        a11y.track(op);
        op.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        op.on('dialog', (d) => d.accept());
        await staffSignInPage(op, 'operator', 'Operator2026demo', { check: (name) => a11y.check(op, name) });
        assert.equal(op.url(), `${HALL}/admin`);
        await a11y.check(op, 'staff console (operator), with 电子印章 in the menu');
        /* 业务单详情: the 签章信息 with each seal's picture beside the 证书附页 scan */
        await op.goto(`${HALL}/admin/order?id=${id}`);
        assert.equal(await op.locator('#seals tbody tr').count(), 4);
        await op.locator('#seals tr[data-kind="org_person"] .seal-holder', { hasText: '44011320141005001X' }).waitFor();
        for (const img of await op.locator('#seals img').all())
            assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 100), 'seal picture loaded');
        assert.equal(await op.locator('#attachment-scan a').count(), 1);
        await a11y.check(op, '业务单详情 with 签章信息');
        assert.equal(await op.getAttribute('#nav-seal', 'href'), '/admin/seal');
        await op.goto(`${HALL}/admin/seal`);
        await a11y.check(op, '电子印章管理, empty');
        await op.fill('#seal-search input[name="order"]', orderNo);
        await Promise.all([op.waitForURL(/order=/), op.click('#seal-search button[type="submit"]')]);
        await op.locator('#seal-list tbody tr').nth(3).waitFor();
        await a11y.check(op, '电子印章管理, four seals');
        const row = op.locator(`tr[data-es="${person}"]`);
        await row.locator('button[type="submit"]').click();
        await row.locator('.err[data-for="reason"]', { hasText: '注销原因' }).waitFor();
        await a11y.check(op, '电子印章管理, a field error');
        await row.locator('input[name="reason"]').fill('人员离职');
        await Promise.all([
            op.waitForResponse((r) => r.url().endsWith('/admin/seal/revoke') && r.status() === 200),
            row.locator('button[type="submit"]').click(),
        ]);
        /* the 个人章's own certificate goes with it: four eyes, a second
         * operator approves on 待批准 (docs/operations.md) */
        await op.locator(`tr[data-es="${person}"] .seal-pending`, { hasText: '注销待批准' }).waitFor();
        await a11y.check(op, '电子印章管理, a 注销 waiting for approval');
        const rid = psql(`SELECT id FROM staff_requests WHERE kind = 'revoke' AND state = 'pending'
            AND payload->>'es_id' = '${person}'`);
        assert.equal((await (await operator2()).post('/admin/pki/revoke/approve', { id: rid })).status, 200);
        await op.reload();
        await op.locator(`tr[data-es="${person}"] .seal-state`, { hasText: '已注销' }).waitFor();
        await a11y.check(op, '电子印章管理, a seal revoked');
        await op.screenshot({ path: path.join(ARTIFACTS, 'seal-07-console-revoked.png'), fullPage: true });
        a11y.assertAllChecked(op);
        assert.deepEqual(problems, []);
        await opCtx.close();

        /* the applicant: 业务单详情 → 电子印章, three seals to download, the
         * revoked 个人章 listed without its files */
        const mine = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN',
            acceptDownloads: true });
        await signIn(mine, c);
        const me = await mine.newPage();
        a11y.track(me);
        me.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        await me.goto(`${HALL}/center/order?id=${id}`);
        await a11y.check(me, '业务单详情 of a seal order');
        await Promise.all([me.waitForURL(/\/seal\/seals\?id=/), me.click('#seals')]);
        await a11y.check(me, '我的电子印章');
        await me.screenshot({ path: path.join(ARTIFACTS, 'seal-08-my-seals.png'), fullPage: true });
        assert.equal(await me.locator('#seal-list tbody tr').count(), 4);
        assert.equal(await me.locator('#seal-list .seseal-link').count(), 3);
        /* the 机构章's and the 业务章's keys were born on the order's USB key:
         * no file of them offered, the medium named on each row */
        assert.equal(await me.locator('#seal-list .medium-link').count(), 0);
        const usb = mediumOf(id);
        assert.equal(await me.locator('#seal-list .medium-usb', { hasText: `USB Key（介质 ${usb}）` }).count(), 3);
        await me.locator('#seal-list .seal-state', { hasText: '已注销' }).waitFor();
        /* 电子印章验证: the downloaded seal file through the public page's
         * own form is 有效 */
        const [sd] = await Promise.all([me.waitForEvent('download'),
            me.locator('#seal-list .seseal-link').first().click()]);
        assert.match(sd.suggestedFilename(), /\.seseal$/);
        const sealFile = path.join(os.tmpdir(), `hall-e2e-seal-${process.pid}.seseal`);
        fs.copyFileSync(await sd.path(), sealFile);
        await me.goto(`${HALL}/seal/verify`);
        await a11y.check(me, '电子印章验证');
        await me.locator('#seseal').setInputFiles(sealFile);
        await Promise.all([me.waitForURL(/\/seal\/verify$/), me.locator('#verify-form button[type="submit"]').click()]);
        await me.locator('#verify-verdict', { hasText: '印章有效' }).waitFor();
        assert.equal(await me.locator('#verify-verdict').getAttribute('data-valid'), '1');
        await a11y.check(me, '电子印章验证, 印章有效');
        await me.screenshot({ path: path.join(ARTIFACTS, 'seal-09-verified.png'), fullPage: true });
        a11y.assertAllChecked(me);
        assert.deepEqual(problems, []);
        await mine.close();
    });

/* a seal follows its signer: the 机构章 lists the order's certificate; that
 * certificate revoked by 介质遗失补办's approval makes it 无效, the new
 * certificate re-makes it (已替换 beside it), on both pages */
test('seal order produced → its certificate reissued: 我的电子印章 and 电子印章管理 show 无效, then the re-made seal and 已替换',
    { skip: SKIP }, async () => {
        const c = await applicant();
        await c.get('/seal?project=hall');
        assert.equal((await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
        const apply = await c.get('/seal/apply?project=hall');
        const form = { ...orgForm(), project: 'hall', org_count: '1', org_years: '1', org_style: 'auto',
            biz_count: '0', person_count: '0',
            app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
            submit_key: apply.text.match(/name="submit_key" value="([^"]+)"/)[1] };
        delete form.years;
        const made = await c.post('/seal/apply', form);
        assert.equal(made.status, 200, made.text);
        const id = Number(made.body.redirect.match(/id=(\d+)/)[1]);
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
            WHERE id = ${id}`);
        const opc = await operator();
        assert.equal((await opc.post('/admin/pki/issue', { id })).status, 200);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);
        const oldEs = psql(`SELECT es_id FROM seseals WHERE order_id = ${id}`);
        const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);

        /* 介质遗失补办 of that certificate, approved: the old one revoked */
        assert.equal((await c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
        const rpage = await c.get(`/reissue/apply?project=hall&serial=${serial}`);
        const rform = { ...orgForm(), bank_account: freshAccount() };
        delete rform.cert_type;
        delete rform.years;
        const r = await c.post('/reissue/apply', { project: 'hall', serial, ...rform,
            submit_key: rpage.text.match(/name="submit_key" value="([^"]+)"/)[1] });
        assert.equal(r.status, 200, r.text);
        const rid = Number(r.body.redirect.match(/id=(\d+)/)[1]);
        psql(`UPDATE orders SET status = 'review', step = 'pay', submitted_at = now(),
            review_due = current_date + 3 WHERE id = ${rid}`);
        const problems = [];
        const mine = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        try {
            assert.equal((await (await reviewer()).post('/admin/order/approve', { id: rid })).status, 200);
            await signIn(mine, c);
            const me = await mine.newPage();
            a11y.track(me);
            me.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
            await me.goto(`${HALL}/seal/seals?id=${id}`);
            const state = me.locator('#seal-list tbody tr .seal-state');
            await state.first().waitFor();
            assert.equal(await state.count(), 1);
            assert.match(await state.first().innerText(), /^无效（签章人证书已吊销）$/);
            assert.equal(await me.locator('#seal-list .seseal-link').count(), 0);
            await a11y.check(me, '我的电子印章, the signer revoked');
            await me.screenshot({ path: path.join(ARTIFACTS, 'seal-09-signer-revoked.png'), fullPage: true });

            /* the operator's production of the new certificate (no
             * certificate is made without it, sql/162): the seal re-made on it */
            const made = await (await operator()).post('/admin/pki/issue', { id: rid });
            assert.equal(made.status, 200, made.text);
            assert.equal(psql(`SELECT status FROM orders WHERE id = ${rid}`), 'issued');
            const newEs = psql(`SELECT es_id FROM seseals WHERE order_id = ${id} AND state = 'valid'`);
            await me.reload();
            await a11y.check(me, '我的电子印章, the seal re-made');
            const today = psql(`SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`);
            const current = me.locator('#seal-list tbody tr', { hasText: newEs });
            assert.match(await current.locator('.seal-state').innerText(), /^有效（至\d{4}-\d{2}-\d{2}）$/);
            assert.equal(await current.locator('.seseal-link').count(), 1);
            const old = me.locator('#seal-list tbody tr.seal-replaced');
            assert.equal(await old.count(), 1);
            assert.match(await old.innerText(), new RegExp(oldEs));
            assert.match(await old.locator('.seal-state').innerText(), new RegExp(`^已替换（${today}`));
            await me.screenshot({ path: path.join(ARTIFACTS, 'seal-10-remade.png'), fullPage: true });
            a11y.assertAllChecked(me);

            /* the operator's list agrees */
            const opCtx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
            const op = await opCtx.newPage();
            a11y.track(op);
            op.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
            await staffSignInPage(op, 'operator', 'Operator2026demo', { check: (name) => a11y.check(op, name) });
            assert.equal(op.url(), `${HALL}/admin`);
            await a11y.check(op, 'staff console (operator)');
            await op.goto(`${HALL}/admin/seal?order=${orderNo}`);
            await a11y.check(op, '电子印章管理, a seal re-made');
            assert.equal(await op.locator(`tr[data-es="${newEs}"] .seal-state`).innerText(), '有效');
            assert.match(await op.locator(`tr[data-es="${oldEs}"] .seal-state`).innerText(),
                new RegExp(`^已替换 ${today}`));
            assert.equal(await op.locator(`tr[data-es="${oldEs}"] form`).count(), 0);
            await op.screenshot({ path: path.join(ARTIFACTS, 'seal-11-console-remade.png'), fullPage: true });
            a11y.assertAllChecked(op);
            await opCtx.close();
        } finally {
            await mine.close();
        }
        assert.deepEqual(problems, []);
    });
