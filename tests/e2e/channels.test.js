'use strict';
/*
 * Each channel's home page lists its flows and nothing else, a flow it does
 * not sell answers the refusal, the 录入信息 form offers the partner's 到付
 * carriers, and the order page names the carrier the parcel went with; every
 * page through axe.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, HALL, freshPhone } = require('../integ/lib/client');
const { orgForm } = require('../integ/lib/payflow');
const { operator, acceptedByTransfer } = require('../integ/lib/pki');
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

async function contextOf(c) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    await signIn(context, c);
    return context;
}

async function menu(page) {
    return page.locator('ul.biz a').allTextContents();
}

test('channels: each home page lists its flows; Hunan refuses 电子签章申请', { skip: SKIP }, async () => {
    const c = await applicant();
    const context = await contextOf(c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/`);
        assert.deepEqual(await menu(page), ['证书新办', '电子签章申请', '介质遗失补办', '证书变更', '证书解锁', '证书更新']);
        await a11y.check(page, 'the hall\'s home page');
        for (const p of ['hunan', 'jieyang']) {
            await page.goto(`${HALL}/${p}/`);
            /* Hunan's menu (seed 002): CA证书变更, CA证书解锁, CA证书更新; Jieyang sells 证书变更 */
            assert.deepEqual(await menu(page),
                p === 'hunan' ? ['证书新办', '介质遗失补办', '证书变更', '证书解锁', '证书更新']
                    : ['证书新办', '介质遗失补办', '证书变更'], p);
            await a11y.check(page, `${p} home page`);
        }
        await page.getByRole('link', { name: '介质遗失补办' }).click();
        await page.waitForURL(/\/jieyang\/reissue\/notice$/);
        await a11y.check(page, 'jieyang 介质遗失补办');
        await page.goto(`${HALL}/hunan/seal/product`);
        await page.getByText('该项目暂不办理电子签章申请业务').waitFor();
        assert.equal(await page.locator('main form').count(), 0, 'no form to fill');
        await a11y.check(page, 'hunan 电子签章申请 refused');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});

test('channels: Jieyang offers 顺丰/EMS到付; the order page names the carrier used', { skip: SKIP }, async () => {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const op = await operator();
    const o = await acceptedByTransfer({
        project: 'hunan', form: orgForm({ agent_mobile: freshPhone('137') }),
    });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    assert.equal((await op.post('/admin/pki/ship', { id: o.id })).status, 200);
    const context = await contextOf(c);
    const page = await context.newPage();
    a11y.track(page);
    const own = await contextOf(o.c);
    const orderPage = await own.newPage();
    a11y.track(orderPage);
    try {
        await page.goto(`${HALL}/new/apply?project=jieyang`);
        await page.getByText('顺丰/EMS到付').waitFor();
        const group = page.getByRole('group', { name: '到付快递：' });
        assert.ok(await group.getByRole('radio', { name: '顺丰速运' }).isChecked());
        await group.getByRole('radio', { name: 'EMS' }).check();
        await a11y.check(page, '录入信息 with the 到付 carriers');

        await orderPage.goto(`${HALL}/center/order?id=${o.id}`);
        assert.match(await orderPage.locator('#waybill-no').textContent(), /^顺丰速运 SF\d{13}$/);
        await a11y.check(orderPage, 'the Hunan order page, shipped');
        a11y.assertAllChecked(page);
        a11y.assertAllChecked(orderPage);
    } finally {
        await context.close();
        await own.close();
    }
});
