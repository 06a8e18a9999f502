'use strict';
/*
 * The partner API's application, completed in a browser (issue 55): Hunan's
 * server asks POST /partner-api/v1/applications for its bidder; the bidder
 * follows the link, logs in with an SMS code, accepts the agreements, finds
 * 录入信息 filled in with what the platform sent, completes it and reaches
 * 打印申请表; Hunan's key then finds the order, Jieyang's does not.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL, latestCode, freshPhone } = require('../integ/lib/client');
const { psql } = require('../integ/lib/payflow');
const a11y = require('./lib/a11y');
const { launchChromium } = require('./lib/browser');
const { addPartnerKey } = require('../integ/lib/secrets');

const SKIP = !process.env.HALL_URL;
const run = crypto.randomBytes(4).toString('hex');
const HUNAN = { id: `e2e-hunan-${run}`, secret: crypto.randomBytes(24).toString('hex') };
const JIEYANG = { id: `e2e-jieyang-${run}`, secret: crypto.randomBytes(24).toString('hex') };
let browser;

async function call(key, method, pathQuery, body) {
    const text = body === undefined ? '' : JSON.stringify(body);
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomBytes(12).toString('hex');
    const sig = crypto.createHmac('sha256', key.secret).update(`${method}\n${pathQuery}\n${ts}\n${nonce}\n${text}`)
        .digest('hex');
    const r = await fetch(HALL + pathQuery, {
        method, body: body === undefined ? undefined : text,
        headers: {
            'X-Hall-Key-Id': key.id, 'X-Hall-Timestamp': ts, 'X-Hall-Nonce': nonce, 'X-Hall-Signature': sig,
            'Content-Type': 'application/json', Accept: 'application/json',
        },
    });
    return { status: r.status, body: await r.json() };
}

before(async () => {
    if (SKIP)
        return;
    addPartnerKey('hunan', HUNAN.id, HUNAN.secret, '1 day');
    addPartnerKey('jieyang', JIEYANG.id, JIEYANG.secret, '1 day');
    browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

test('partner API application: link → SMS login → pre-filled 录入信息 → 打印申请表; only Hunan\'s key finds it',
    { skip: SKIP }, async () => {
        const mobile = freshPhone('135');
        const made = await call(HUNAN, 'POST', '/partner-api/v1/applications',
            { cert_type: 'person', name: '赵六', ric: '44011320141005001X', mobile, project_id: 'HN-E2E-1' });
        assert.equal(made.status, 200, JSON.stringify(made.body));

        const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        const page = await ctx.newPage();
        a11y.track(page);
        try {
            await page.goto(made.body.link);
            await page.waitForURL(/\/hunan\/login\?next=/);
            await a11y.check(page, 'hunan 登录, from the partner API\'s link');
            const form = page.locator('form#login-sms');
            const me = freshPhone('136');
            await form.locator('input[name="phone"]').fill(me);
            await form.locator('button[data-sms="login"]').click();
            await form.locator('input[name="code"]').fill((await latestCode(me)).code);
            await form.locator('button[type="submit"]').click();
            await page.waitForURL(/\/hunan\/new\?project=hunan&link=/);
            await a11y.check(page, 'hunan 协议, from the partner API\'s link');
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/hunan\/new\/apply/);
            await page.locator('#prefilled').waitFor();
            await a11y.check(page, 'hunan 录入信息, pre-filled by the partner API');
            assert.equal(await page.inputValue('input[name="app_name"]'), '赵六');
            assert.equal(await page.inputValue('#cert_type'), 'person');
            await page.fill('input[name="app_email"]', 'zhaoliu@example.com');
            await page.selectOption('select[name="mail_province"]', '430000');
            await page.locator('select[name="mail_city"] option[value="430100"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="mail_city"]', '430100');
            await page.locator('select[name="mail_district"] option[value="430102"]').waitFor({ state: 'attached' });
            await page.selectOption('select[name="mail_district"]', '430102');
            await page.fill('input[name="mail_address"]', '五一大道1号');
            await page.fill('input[name="mail_receiver"]', '赵六');
            await page.fill('input[name="mail_mobile"]', mobile);
            await page.check('input[name="invoice"][value="no"]');
            await page.click('#apply-next');
            await page.waitForURL(/\/hunan\/new\/print\?id=\d+$/);
            await page.locator('text=申请人声明').waitFor();
            await a11y.check(page, 'hunan 打印申请表, from the partner API\'s link');
            const id = Number(new URL(page.url()).searchParams.get('id'));

            /* the platform finds its bidder's order; another platform does not */
            const mine = await call(HUNAN, 'GET', `/partner-api/v1/orders?id=${id}`);
            assert.equal(mine.status, 200, JSON.stringify(mine.body));
            assert.equal(mine.body.orders[0].cert_type, 'person');
            assert.equal(mine.body.orders[0].project_id, 'HN-E2E-1', 'the application\'s project ID on the order');
            assert.equal(mine.body.orders[0].order_no, psql(`SELECT order_no FROM orders WHERE id = ${id}`));
            assert.equal((await call(JIEYANG, 'GET', `/partner-api/v1/orders?id=${id}`)).status, 404);
            a11y.assertAllChecked(page);
        } finally {
            await ctx.close();
        }
    });
