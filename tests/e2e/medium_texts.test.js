'use strict';
/*
 * What a customer reads about the medium (issue 64 §5), in headless
 * Chromium through nginx: the 阅读协议 page of 证书新办 shows 证书介质与密钥
 * (a USB key whose key is born inside it, or a file made in the browser;
 * the hall never holds the key; a lost medium is 介质遗失补办, a new USB key
 * and the old certificate revoked; a forgotten PIN is 证书解锁 by the 证书助手
 * on the same key, while a browser file cannot be unlocked), and the
 * agreements it asks for are the new versions: 《电子认证服务协议》 2026.3
 * (sql/181, the whole agreement with 五、证书介质与密钥的保管),
 * 《个人信息保护政策》 2026.2 (sql/158) naming the
 * collection form 电子签章采集表; 录入信息's product choice says the medium;
 * the 操作提示 of 补办, 更新, 变更 and 解锁 show the same block; 电子签章申请's
 * agreements (a seal's, not a certificate's medium) do not; 驱动和盖章工具下载
 * on the hall's and a partner's path.  axe checks each page.
 *
 * Before: none of these pages said what the medium is or that the hall
 * never holds the key; the agreements were 2024.1 and 2026.1.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { HALL, applicant } = require('../integ/lib/client');
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

async function newPage(c) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    if (c)
        await signIn(ctx, c);
    const page = await ctx.newPage();
    a11y.track(page);
    return { ctx, page };
}

/* the block 证书介质与密钥 as a reader sees it; 证书解锁 named as the way
 * only where the channel sells it (揭阳 does not) */
async function mediumBlock(page, label, { unlock = true } = {}) {
    const block = page.locator('#medium-notice');
    assert.ok(await block.isVisible(), `${label}: 证书介质与密钥 shown`);
    const text = (id) => page.locator(`#medium-notice #${id}`).innerText();
    assert.match(await page.locator('#medium-notice-title').innerText(), /证书介质与密钥/);
    assert.match(await text('medium-what'), /USB Key[\s\S]*密钥对在USB Key内部生成，不能导出[\s\S]*浏览器中生成的证书文件/);
    assert.match(await text('medium-key'), /营业厅从不持有您的私钥/);
    assert.match(await text('medium-lost'), /介质遗失补办[\s\S]*新的USB Key[\s\S]*原证书吊销/);
    if (unlock) {
        assert.match(await text('medium-pin'), /请办理“证书解锁”[\s\S]*证书助手[\s\S]*原USB Key上重设PIN码，密钥和证书保持不变/);
    } else {
        assert.match(await text('medium-pin'), /证书助手在原USB Key上重设，密钥和证书保持不变；本项目暂不办理证书解锁/);
        assert.doesNotMatch(await text('medium-pin'), /请办理“证书解锁”/);
    }
    assert.match(await text('medium-pin'), /浏览器生成的证书文件无法解锁/);
    const tools = page.locator('#medium-notice a[href$="/sign/tools"]');
    assert.equal(await tools.count(), 1, `${label}: links 驱动和盖章工具下载`);
}

test('new_agreements__证书介质与密钥__and_the_2026_2_texts__then_the_product_choice_says_the_medium',
    { skip: SKIP }, async () => {
        const c = await applicant();
        const { ctx, page } = await newPage(c);
        try {
            await page.goto(`${HALL}/new?project=jieyang`);
            await mediumBlock(page, '揭阳 新办 阅读协议', { unlock: false });
            /* the agreements themselves: the new versions */
            const svc = page.locator('#agreement-cert_service');
            assert.match(await svc.locator('summary').innerText(), /《电子认证服务协议》[\s\S]*版本2026\.3/);
            await svc.locator('summary').click();
            const body = await svc.locator('.agreement-body').innerText();
            assert.match(body, /五、证书介质与密钥的保管/);
            assert.match(body, /SZCA不持有、不备份用户的私钥/);
            assert.match(body, /介质遗失补办：USB Key的，SZCA制作新的USB Key[\s\S]*原证书撤销/);
            assert.match(body, /证书助手[\s\S]*原密钥和证书保持不变/);
            assert.match(body, /浏览器生成的证书文件无法解开，审核通过后由用户在浏览器中生成新的密钥/);
            assert.match(body, /用户应立即通知SZCA、申请撤销证书/, 'the accepted clauses kept');
            assert.doesNotMatch(body, /沙箱|开发与测试/);
            const pol = page.locator('#agreement-privacy_policy');
            assert.match(await pol.locator('summary').innerText(), /版本2026\.2/);
            await pol.locator('summary').click();
            const policy = await pol.locator('.agreement-body').innerText();
            assert.ok(policy.includes('电子签章采集表'), 'the collection form by its one name');
            assert.ok(!policy.includes('数字证书印章采集表'), 'not 数字证书印章采集表');
            assert.match(policy, /我们不收集您的证书私钥/);
            await a11y.check(page, '新办 阅读协议');
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/new\/apply\?project=jieyang$/);
            const hint = page.locator('#medium-hint');
            assert.ok(await hint.isVisible(), '录入信息 says the medium');
            assert.match(await hint.innerText(),
                /USB Key[\s\S]*营业厅不持有您的私钥[\s\S]*遗失的，原证书吊销[\s\S]*忘记PIN码的，可用证书助手在原USB Key上重设PIN码，密钥和证书不变/);
            await a11y.check(page, '新办 录入信息');
        } finally {
            await ctx.close();
        }
    });

test('notices_of_补办_更新_变更_解锁__证书介质与密钥__not_on_the_seals_agreements', { skip: SKIP }, async () => {
    const c = await applicant();
    const { ctx, page } = await newPage(c);
    try {
        for (const [flow, title] of [['reissue', '介质遗失补办'], ['renew', '证书更新'], ['change', '证书变更'],
            ['unlock', '证书解锁']]) {
            await page.goto(`${HALL}/${flow}/notice`);
            assert.match(await page.locator('h1').innerText(), new RegExp(title));
            await mediumBlock(page, `${title} 操作提示`);
            await a11y.check(page, `${title} 操作提示`);
        }
        /* a partner's channel: 揭阳 sells no 证书解锁, so its notice does not send there */
        await page.goto(`${HALL}/jieyang/reissue/notice`);
        await mediumBlock(page, '揭阳 补办 操作提示', { unlock: false });
        await page.goto(`${HALL}/reissue?project=hall`);
        await mediumBlock(page, '补办 阅读协议');
        await page.goto(`${HALL}/new?project=hall`);
        await mediumBlock(page, '新办 阅读协议');
        assert.match(await page.locator('#agreement-cert_service summary').innerText(), /版本2026\.3/);
        /* 电子签章申请: the same service agreement, no certificate-medium block */
        await page.goto(`${HALL}/seal?project=hall`);
        assert.match(await page.locator('#agreement-cert_service summary').innerText(), /版本2026\.3/);
        assert.equal(await page.locator('#medium-notice').count(), 0);
    } finally {
        await ctx.close();
    }
});

test('sign_tools__both_tools_and_the_media__on_the_hall_and_a_partner_path', { skip: SKIP }, async () => {
    const { ctx, page } = await newPage(null);
    try {
        for (const base of ['', '/jieyang']) {
            await page.goto(`${HALL}${base}/sign/tools`);
            assert.equal((await page.locator('h1').innerText()).trim(), '驱动和盖章工具下载');
            for (const prog of ['hall-assist', 'hall-stamp']) {
                const key = prog === 'hall-assist' ? 'assist' : 'stamp';
                const rows = page.locator(`#sign-tools-${key}-packages .sign-package`);
                assert.equal(await rows.count(), 2, `${base} ${prog}: .deb and tarball`);
                const href = await rows.first().locator('a[download]').first().getAttribute('href');
                const res = await page.request.get(new URL(href, page.url()).href);
                assert.equal(res.status(), 200, `${base} ${href}`);
            }
            assert.ok(await page.locator('#sign-tools-media #media-softhsm').isVisible());
            await a11y.check(page, `${base || '/'} 驱动和盖章工具下载`);
        }
    } finally {
        await ctx.close();
    }
});
