'use strict';
/*
 * 证书新办 in headless Chromium through nginx, as a person does it: the
 * Jieyang project from the generic hall, agreements, the form with its
 * cascading selects and bank search, the printed form, uploads, and the
 * identity check on a phone while the PC page waits.  Screenshots of each
 * step go to tests/e2e/artifacts/new-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { applicant, HALL, SANDBOX, latestCode, freshPhone } = require('../integ/lib/client');
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

/* a browser context logged in as a fresh applicant */
async function loggedIn(viewport = { width: 1200, height: 900 }) {
    const c = await applicant();
    const context = await browser.newContext({ viewport, locale: 'zh-CN' });
    await signIn(context, c);
    return { c, context };
}

function watch(page, problems) {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        /* failed loads are judged by the response handler below */
        if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
            problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
        /* a 400 answer to a form is the page doing its job; the browser's
         * own favicon probe of the gateway's page is not ours */
        if (r.status() >= 500 || (r.status() === 404 && !/favicon\.ico$/.test(r.url())))
            problems.push(`${r.status()} ${r.url()}`);
    });
}

function tmpFile(name, data) {
    const p = path.join(os.tmpdir(), `hall-e2e-${process.pid}-${name}`);
    fs.writeFileSync(p, data);
    return p;
}

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 9)]);

test('jieyang organisation certificate: project → form → print → upload → phone identity → pay online → micro-deposit code → 待审核',
    { skip: SKIP }, async () => {
        const { context } = await loggedIn();
        const page = await context.newPage();
        a11y.track(page);
        const problems = [];
        watch(page, problems);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `new-${n}.png`), fullPage: true });
        /* the unit's own basic account: the finance department reads its memo */
        const account = '6222' + String(Date.now()).slice(-12);
        try {
            await page.goto(`${HALL}/`);
            await a11y.check(page, 'home');
            await page.getByRole('link', { name: '证书新办' }).first().click();
            await page.waitForURL(/\/new$/);
            await a11y.check(page, '选择项目');
            await page.getByRole('link', { name: '揭阳公共资源项目' }).click();
            await page.waitForURL(/\/new\?project=jieyang$/);
            await a11y.check(page, '协议');
            await shot('01-agreements');
            await page.locator('#agree button[type="submit"]').click();
            await page.locator('.err[data-for="agree1"]').filter({ hasText: '请阅读并勾选' }).waitFor();
            await a11y.check(page, '协议 with an error');
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/new\/apply\?project=jieyang$/);
            await page.locator('#price').filter({ hasText: '600.00元/1年' }).waitFor();
            await a11y.check(page, '录入信息');

            /* natural person hides the unit groups */
            await page.selectOption('#cert_type', 'person');
            assert.equal(await page.locator('input[name="org_name"]').isVisible(), false);
            await page.selectOption('#cert_type', 'org');
            assert.equal(await page.locator('input[name="org_name"]').isVisible(), true);

            const fill = async (name, v) => page.locator(`[name="${name}"]`).fill(v);
            await fill('org_name', '深圳浏览器测试有限公司');
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
            await fill('bank_account_name', '深圳浏览器测试有限公司');
            await page.locator('#bank_search').fill('工商 南山');
            await page.locator('#bank_suggest li', { hasText: '中国工商银行深圳南山支行' }).click();
            await fill('bank_account', account);
            await page.selectOption('select[name="mail_province"]', '440000');
            await page.locator('select[name="mail_city"] option[value="440300"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="mail_city"]', '440300');
            await page.locator('select[name="mail_district"] option[value="440305"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="mail_district"]', '440305');
            await fill('mail_address', '科技园1号');
            await fill('mail_receiver', '李四');
            await fill('mail_mobile', '13900139000');
            await fill('invoice_title', '深圳浏览器测试有限公司');
            /* the taxpayer ID is required for an organisation title */
            await page.locator('#apply-next').click();
            await page.locator('.err[data-for="invoice_taxid"]').filter({ hasText: '纳税人识别号' }).waitFor();
            /* every select of the cascades is chosen by now, the error is shown */
            await a11y.check(page, '录入信息 filled, with an error');
            await shot('02-form-error');
            await fill('invoice_taxid', '91110000600037341L');
            await page.locator('#apply-next').click();
            await page.waitForURL(/\/new\/print\?id=\d+$/);
            const id = new URL(page.url()).searchParams.get('id');
            await page.locator('text=授权委托及单位声明').waitFor();
            assert.match(await page.locator('#amount').textContent(), /600\.00元/);
            await a11y.check(page, '打印申请表');
            await shot('03-print');
            await page.locator('#print-next').click();
            await page.waitForURL(new RegExp(`/new/upload\\?id=${id}$`));
            await a11y.check(page, '上传资料');

            for (const kind of ['application', 'license', 'agent_id']) {
                const row = page.locator(`tr[data-kind="${kind}"]`);
                await row.locator('input[type="file"]').setInputFiles(tmpFile(`${kind}.jpg`, JPEG));
                await row.locator('button[type="submit"]').click();
                await page.locator(`tr[data-kind="${kind}"] .state`).filter({ hasText: '已上传' }).waitFor();
            }
            await a11y.check(page, '上传资料, uploaded');
            await shot('04-uploaded');
            await page.locator('#upload-next').click();
            await page.waitForURL(new RegExp(`/new/identity\\?id=${id}$`));
            await page.locator('.qr svg').waitFor();
            await a11y.check(page, '经办人在线认证');
            await shot('05-qr');

            /* the phone opens the QR code's link */
            const link = await page.locator('#mobile-link').getAttribute('href');
            const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 },
                isMobile: true, locale: 'zh-CN' });
            const phone = await phoneCtx.newPage();
            a11y.track(phone);
            watch(phone, problems);
            await phone.goto(link);
            await a11y.check(phone, 'phone: 身份证照片');
            await phone.locator('input[name="front"]').setInputFiles(tmpFile('front.jpg',
                Buffer.concat([JPEG, Buffer.from('SANDBOX-ID:李四|412723199010050012\n')])));
            await phone.locator('input[name="back"]').setInputFiles(tmpFile('back.jpg',
                Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')])));
            await phone.screenshot({ path: path.join(ARTIFACTS, 'new-06-phone-ocr.png'), fullPage: true });
            await phone.locator('#ocr button[type="submit"]').click();
            await phone.locator('#liveness').waitFor();
            await a11y.check(phone, 'phone: 活体认证');
            await phone.locator('input[name="media"]').setInputFiles(tmpFile('live.mp4', JPEG));
            await phone.locator('#liveness button[type="submit"]').click();
            await phone.locator('#mobile-passed').waitFor();
            assert.equal(await phone.locator('#mobile-passed').textContent(), '认证通过 请查看PC端继续操作');
            await a11y.check(phone, 'phone: 认证通过');
            a11y.assertAllChecked(phone);
            await phone.screenshot({ path: path.join(ARTIFACTS, 'new-07-phone-passed.png'), fullPage: true });
            await phoneCtx.close();

            /* the PC page notices without a reload */
            await page.locator('#identity-status').filter({ hasText: '认证通过' }).waitFor({ timeout: 15000 });
            assert.equal(await page.locator('#identity-next').isVisible(), true);
            await a11y.check(page, '经办人在线认证, passed');
            await shot('08-pc-passed');

            /* 缴费: Alipay on the gateway's page, back to the hall */
            await page.locator('#identity-next').click();
            await page.waitForURL(new RegExp(`/pay\\?id=${id}$`));
            assert.equal(await page.textContent('#amount'), '600.00元');
            await a11y.check(page, '缴费');
            await page.check('input[name="channel"][value="alipay"]');
            await shot('09-pay');
            await Promise.all([page.waitForURL(/\/pay\/page\/\d+$/), page.click('#pay-online-submit')]);
            a11y.notOurs(page); /* the gateway's cashier page (sandbox) */
            await Promise.all([page.waitForURL(new RegExp(`/pay\\?id=${id}$`)), page.click('#confirm')]);
            /* back early, the page says 支付结果确认中 and reloads itself once the gateway's
             * callback is in: wait for that, as the applicant would (a goto during the
             * reload is interrupted: debian12 e2e under load) */
            await page.waitForSelector('#pay-pending', { state: 'detached', timeout: 90000 });
            await a11y.check(page, '缴费, back from the gateway');
            /* the outbox sends 0.01 CNY with the code in the memo */
            let transfer = null;
            for (let i = 0; i < 150 && !transfer; i++) {
                const r = await fetch(`${SANDBOX}/sandbox/bank/transfers?account_no=${account}`);
                transfer = (await r.json()).transfers[0] || null;
                if (!transfer)
                    await new Promise((ok) => setTimeout(ok, 100));
            }
            assert.ok(transfer, 'the micro-deposit reached the bank');
            const code = transfer.memo.match(/(\d{6})/)[1];
            await page.goto(`${HALL}/center/orders`);
            await page.locator('#orders td.status', { hasText: '金融认证成功' }).waitFor();
            await a11y.check(page, '我的业务单');
            await shot('10-finauth-ok');
            await page.locator('#orders a', { hasText: '待认证' }).click();
            await page.waitForURL(new RegExp(`/finauth\\?id=${id}$`));
            await a11y.check(page, '金融认证');
            await page.fill('input[name="code"]', code === '000000' ? '111111' : '000000');
            await page.click('#finauth-code-submit');
            await page.locator('.err[data-for="code"]').filter({ hasText: /\S/ }).waitFor();
            await a11y.check(page, '金融认证, wrong code');
            await page.fill('input[name="code"]', code);
            await page.click('#finauth-code-submit');
            /* the page reloads with the new state */
            await page.locator('#status[data-status="review"]').waitFor();
            await a11y.check(page, '金融认证, accepted');
            await page.goto(`${HALL}/center/orders`);
            await page.locator('#orders td.status', { hasText: '待审核' }).waitFor();
            await a11y.check(page, '我的业务单, 待审核');
            await shot('11-review');
            assert.deepEqual(problems, []);
            a11y.assertAllChecked(page);
        } catch (e) {
            await shot('failed').catch(() => {});
            throw e;
        } finally {
            await context.close();
        }
    });

test('szjsgws: project link → SMS login → 隐私保护 → e-seal (default 是) → promotion → form → seal materials',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        const page = await context.newPage();
        a11y.track(page);
        const problems = [];
        watch(page, problems);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `szjsgws-${n}.png`), fullPage: true });
        try {
            await page.goto(`${HALL}/szjsgws/getLogin?projectId=0535cc2aee346b5dc3f9e5b852f00369`);
            await a11y.check(page, 'szjsgws 登录');
            const phone = freshPhone('137');
            const form = page.locator('form#login-sms');
            await form.locator('input[name="phone"]').fill(phone);
            await form.locator('button[data-sms="login"]').click();
            const { code } = await latestCode(phone);
            await form.locator('input[name="code"]').fill(code);
            await shot('01-sms-login');
            await form.locator('button[type="submit"]').click();
            await page.waitForURL(/\/szjsgws\/new$/);
            await page.locator('text=《隐私保护》').first().waitFor();
            assert.equal(await page.locator('text=《个人信息保护政策》').count(), 0,
                '隐私保护 replaces the generic privacy policy for this partner');
            await a11y.check(page, 'szjsgws 协议');
            await shot('02-agreements');
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            /* seed 003: 选择"是否办理电子签章",点击"下一步"; (默认为"是") */
            await page.waitForURL(/\/szjsgws\/new\/seal\?project=szjsgws$/);
            assert.equal(await page.locator('select#seal').inputValue(), 'yes', '是否办理电子签章 defaults to 是');
            assert.match(await page.locator('form#seal-step').textContent(), /办理电子签章（带\*为必填项）/);
            await a11y.check(page, 'szjsgws 是否办理电子签章');
            await shot('03-seal-step');
            await page.locator('#seal-next').click();
            await page.waitForURL(/\/szjsgws\/new\/apply/);
            await page.locator('#promotion').waitFor();
            assert.match(await page.locator('#promotion').textContent(), /办理三年期数字证书赠送联想无线蓝牙耳机/);
            await a11y.check(page, 'szjsgws 录入信息 with the promotion');
            await shot('03-promotion');
            await page.locator('#promotion button[data-close]').click();
            assert.equal(await page.locator('#promotion').isVisible(), false);
            assert.equal(await page.locator('input[name="seal"], select[name="seal"]').count(), 0,
                '录入信息 has no 是否办理电子签章 field');
            assert.match(await page.locator('#seal-chosen').textContent(), /电子签章办理：是/);
            /* 上一步: the step with the choice kept */
            await page.locator('#apply-back').click();
            await page.waitForURL(/\/szjsgws\/new\/seal\?project=szjsgws$/);
            assert.equal(await page.locator('select#seal').inputValue(), 'yes');
            await page.locator('#seal-next').click();
            await page.waitForURL(/\/szjsgws\/new\/apply/);
            if (await page.locator('#promotion').isVisible())
                await page.locator('#promotion button[data-close]').click();
            const fill = async (name, v) => page.locator(`[name="${name}"]`).fill(v);
            await fill('org_name', '深圳工务测试建设有限公司');
            await fill('org_id', '91110000600037341L');
            await page.selectOption('select[name="unit_province"]', '440000');
            await page.locator('select[name="unit_city"] option[value="440300"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="unit_city"]', '440300');
            await fill('unit_address', '福田区深南大道1号');
            await fill('legal_name', '张三');
            await fill('legal_ric', '360426199101010071');
            await fill('legal_mobile', '13800138000');
            await fill('agent_name', '李四');
            await fill('agent_ric', '412723199010050012');
            await fill('agent_mobile', '13900139000');
            await fill('agent_email', 'agent@example.com');
            await fill('agent_title', '行政专员');
            await fill('bank_account_name', '深圳工务测试建设有限公司');
            await page.locator('#bank_search').fill('招商');
            await page.locator('#bank_suggest li').first().click();
            await fill('bank_account', '755912345678901');
            await page.selectOption('select[name="mail_province"]', '440000');
            await page.locator('select[name="mail_city"] option[value="441900"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="mail_city"]', '441900');
            /* 东莞 has no counties: its towns come next */
            await page.locator('select[name="mail_town"] option[value="441900003"]').waitFor({ state: 'attached' });
            assert.equal(await page.locator('select[name="mail_district"]').isVisible(), false);
            await page.selectOption('select[name="mail_town"]', '441900003');
            await fill('mail_address', '东城街道2号');
            await fill('mail_receiver', '李四');
            await fill('mail_mobile', '13900139000');
            await fill('invoice_title', '深圳工务测试建设有限公司');
            await fill('invoice_taxid', '91110000600037341L');
            await a11y.check(page, 'szjsgws 录入信息 filled');
            await shot('04-form');
            await page.locator('#apply-next').click();
            await page.waitForURL(/\/szjsgws\/new\/print\?id=\d+$/);
            assert.match(await page.locator('#amount').textContent(), /580\.00元/);
            await page.locator('td', { hasText: '办理' }).first().waitFor();
            await a11y.check(page, 'szjsgws 打印申请表');
            await shot('05-print');
            await page.locator('#print-next').click();
            await page.waitForURL(/\/szjsgws\/new\/upload/);
            assert.equal(await page.locator('tr[data-kind="seal_form"]').count(), 1,
                'the e-seal needs its collection form');
            await a11y.check(page, 'szjsgws 上传资料');
            await shot('06-upload');
            assert.deepEqual(problems, []);
            a11y.assertAllChecked(page);
        } catch (e) {
            await shot('failed').catch(() => {});
            throw e;
        } finally {
            await context.close();
        }
    });
