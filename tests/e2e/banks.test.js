'use strict';
/*
 * 基本户开户行 in headless Chromium (issue 22 §1): a company whose branch no
 * list holds chooses its bank by keyword (the input's list of every bank),
 * types its branch, is told when it forgot it, and reaches the printed form
 * with both.  axe checks the form, with its errors, and the printed form.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, HALL } = require('../integ/lib/client');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const SKIP = !process.env.HALL_URL;
let browser;

before(async () => {
    if (!SKIP)
        browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

test('a branch in no list: bank by keyword, branch typed, printed', { skip: SKIP }, async () => {
    const c = await applicant();
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    await signIn(context, c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/new?project=jieyang`);
        await a11y.check(page, '协议');
        await page.locator('input[name="agree1"]').check();
        await page.locator('input[name="agree2"]').check();
        await page.locator('#agree button[type="submit"]').click();
        await page.waitForURL(/\/new\/apply\?project=jieyang$/);
        await a11y.check(page, '录入信息');
        /* the keyword list holds every bank, the rural ones too */
        assert.equal(await page.locator('#bank_names option[value="揭阳农村商业银行"]').count(), 1);
        assert.ok(await page.locator('#bank_names option').count() >= 250);

        const fill = async (name, v) => page.locator(`[name="${name}"]`).fill(v);
        await fill('org_name', '揭阳开户行测试有限公司');
        await fill('org_id', '91110000600037341L');
        await page.selectOption('select[name="unit_province"]', '440000');
        await page.locator('select[name="unit_city"] option[value="445200"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="unit_city"]', '445200');
        await fill('unit_address', '榕城区临江路1号');
        await fill('legal_name', '张三');
        await fill('legal_ric', '360426199101010071');
        await fill('legal_mobile', '13800138000');
        await fill('agent_name', '李四');
        await fill('agent_ric', '412723199010050012');
        await fill('agent_mobile', '13900139000');
        await fill('agent_email', 'agent@example.com');
        await fill('agent_title', '行政专员');
        await fill('bank_account_name', '揭阳开户行测试有限公司');
        await page.locator('input[name="bank_name"]').fill('揭阳农村商业银行');
        await fill('bank_account', '6222' + String(Date.now()).slice(-12));
        await page.selectOption('select[name="mail_province"]', '440000');
        await page.locator('select[name="mail_city"] option[value="445200"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="mail_city"]', '445200');
        await page.locator('select[name="mail_district"] option[value="445202"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="mail_district"]', '445202');
        await fill('mail_address', '临江路1号');
        await fill('mail_receiver', '李四');
        await fill('mail_mobile', '13900139000');
        await fill('invoice_title', '揭阳开户行测试有限公司');
        await fill('invoice_taxid', '91110000600037341L');
        /* the branch forgotten: named on the page */
        await page.locator('#apply-next').click();
        await page.locator('.err[data-for="bank_branch_name"]').filter({ hasText: '请填写基本户开户网点' }).waitFor();
        await a11y.check(page, '录入信息 with the branch missing');
        /* typed: the search finds nothing and says to type it in full */
        await page.locator('#bank_search').fill('榕城东山支行');
        await page.locator('#bank_suggest li.none').waitFor();
        await page.locator('#apply-next').click();
        await page.waitForURL(/\/new\/print\?id=\d+$/);
        await page.locator('text=授权委托及单位声明').waitFor();
        const text = await page.locator('main').textContent();
        assert.ok(text.includes('揭阳农村商业银行'), 'the bank printed');
        assert.ok(text.includes('榕城东山支行'), 'the branch printed');
        await a11y.check(page, '打印申请表');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});
