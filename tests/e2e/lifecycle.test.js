'use strict';
/*
 * A certificate's life in headless Chromium through nginx: 证书更新 in
 * Hunan's channel (seed 002's menu: CA证书更新) from its home page's link,
 * a certificate out of the window refused with its dates, and 证书解锁 in
 * the generic hall from 我的证书's 解锁 link with the SMS code to the
 * certificate's phone.  axe checks every page; screenshots go to
 * tests/e2e/artifacts/lifecycle-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { HALL, freshPhone } = require('../integ/lib/client');
const { smsMessages, codeOf, waitForSms } = require('../integ/lib/hall');
const { operator, acceptedByTransfer, psql, orgForm } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 4)]);
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

function tmpFile(name, data) {
    const p = path.join(os.tmpdir(), `hall-e2e-lifecycle-${process.pid}-${name}`);
    fs.writeFileSync(p, data);
    return p;
}

async function newPage(problems) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 500)
            problems.push(`${r.status()} ${r.url()}`);
    });
    return { ctx, page };
}

/* an issued organisation certificate of a new applicant in project's channel */
async function issued(project, end, phone = freshPhone('137')) {
    const op = await operator();
    const o = await acceptedByTransfer({ project, form: orgForm({ agent_mobile: phone }) });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    if (end)
        psql(`UPDATE certificates SET not_after = date_trunc('second', ${end}),
            not_before = date_trunc('second', ${end}) - interval '1 year' WHERE serial = '${serial}'`);
    return { ...o, serial, phone };
}

test('lifecycle: Hunan 证书更新 from its home page: notice → agreements → 证书选择 → 确认信息 → 申请表 → 上传',
    { skip: SKIP }, async () => {
        const problems = [];
        const o = await issued('hunan', "now() + interval '12 days'");
        /* another certificate of the same holder, not yet due */
        const { page, ctx } = await newPage(problems);
        await signIn(ctx, o.c);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `lifecycle-renew-${n}.png`), fullPage: true });
        try {
            await page.goto(`${HALL}/hunan/`);
            await a11y.check(page, 'Hunan home page');
            await page.getByRole('link', { name: '证书更新' }).click();
            await page.waitForURL(/\/hunan\/renew\/notice$/);
            await page.locator('#renew-dates', { hasText: '新证书自原证书到期之时起生效' }).waitFor();
            await a11y.check(page, '证书更新 · 操作提示');
            await shot('01-notice');
            await page.locator('#notice-ok').click();
            await page.waitForURL(/\/hunan\/renew\?project=hunan$/);
            await a11y.check(page, '协议');
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/hunan\/renew\/serial\?project=hunan$/);
            await a11y.check(page, '证书选择');
            await page.locator(`#own-certs tr[data-serial="${o.serial}"] a.own-cert-choose`).click();
            await page.locator('#cert-status', { hasText: '即将到期' }).waitFor();
            await page.locator('#next-note', { hasText: '不损失已付费的天数' }).waitFor();
            await a11y.check(page, '证书选择, chosen');
            await shot('02-serial');
            await page.click('#serial-next');
            await page.waitForURL(/\/hunan\/renew\/apply\?project=hunan&serial=/);
            await a11y.check(page, '确认信息');
            assert.equal(await page.inputValue('input[name="org_name"]'), '深圳测试科技有限公司');
            /* Hunan's price: 350 a year less the 介质费 100: the USB key is
             * renewed on the same medium, none made or mailed (sql/176) */
            await page.locator('#replace-years', { hasText: '2年（500.00元）' }).waitFor();
            await page.locator('#replace-price', { hasText: '证书费用：250.00元/年（不制作、不寄送新介质，不收介质费）' }).waitFor();
            await page.check('input[name="years"][value="2"]');
            /* renewed on the same USB key: no address, no 邮寄方式 */
            await page.locator('#no-mail', { hasText: '无需寄送：由证书助手在原USB Key上办理' }).waitFor();
            assert.equal(await page.locator('input[name="shipping"]').count(), 0);
            /* the subject stays the certificate's: named on the page, nothing saved */
            await page.fill('input[name="org_name"]', '另一家科技有限公司');
            await page.click('#apply-next');
            await page.locator('.err[data-for="org_name"]', { hasText: '须与原证书一致' }).waitFor();
            await a11y.check(page, '确认信息 with an error');
            assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`), '0');
            await page.fill('input[name="org_name"]', '深圳测试科技有限公司');
            await page.click('#apply-next');
            await page.waitForURL(/\/hunan\/renew\/print\?id=\d+$/);
            const id = new URL(page.url()).searchParams.get('id');
            await page.locator('#print-serial', { hasText: o.serial }).waitFor();
            assert.equal(await page.textContent('#amount'), '500.00元');
            assert.equal(psql(`SELECT business_type || ':' || partner_code || ':' || years FROM orders WHERE id = ${id}`),
                'renew:hunan:2');
            await a11y.check(page, '证书更新申请表');
            await shot('03-print');
            await page.click('#print-next');
            await page.waitForURL(/\/hunan\/renew\/upload\?id=\d+$/);
            const row = page.locator('tr[data-kind="application"]');
            await row.locator('input[type="file"]').setInputFiles(tmpFile('a.jpg', JPEG));
            await row.locator('button[type="submit"]').click();
            await page.locator('tr[data-kind="application"] .state').filter({ hasText: '已上传' }).waitFor();
            await a11y.check(page, '上传资料');

            /* a certificate 200 days from its end: refused with the dates */
            const far = await issued('hunan', "now() + interval '200 days'");
            await signIn(ctx, far.c);
            await page.goto(`${HALL}/hunan/renew/serial?project=hunan&serial=${far.serial}`);
            await page.locator('#serial-error', { hasText: '证书更新可在到期前30天内办理' }).waitFor();
            assert.equal(await page.locator('#serial-next').count(), 0);
            await a11y.check(page, '证书选择, not yet due');
            await shot('04-early');
            a11y.assertAllChecked(page);
            assert.deepEqual(problems, []);
        } finally {
            await ctx.close();
        }
    });

test('lifecycle: 证书解锁 from 我的证书: why the PIN cannot be reset → 证书选择 → 确认信息 with the SMS code → 申请表',
    { skip: SKIP }, async () => {
        const problems = [];
        const o = await issued('hall');
        const { page, ctx } = await newPage(problems);
        await signIn(ctx, o.c);
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `lifecycle-unlock-${n}.png`), fullPage: true });
        try {
            await page.goto(`${HALL}/center/certs`);
            const link = page.locator(`a[href="/unlock/serial?project=hall&serial=${o.serial}"]`);
            await link.waitFor();
            await a11y.check(page, '我的证书 with 解锁');
            await page.goto(`${HALL}/unlock/notice`);
            await page.locator('#unlock-why', { hasText: '第十三条' }).waitFor();
            await a11y.check(page, '证书解锁 · 为什么不能直接重置PIN码');
            await shot('01-notice');
            await page.locator('#notice-ok').click();
            await page.waitForURL(/\/unlock$/);
            await a11y.check(page, '选择项目');
            await page.locator('#projects a[href$="/unlock?project=hall"]').click();
            await page.waitForURL(/\/unlock\?project=hall$/);
            await a11y.check(page, '协议');
            await page.locator('input[name="agree1"]').check();
            await page.locator('input[name="agree2"]').check();
            await page.locator('#agree button[type="submit"]').click();
            await page.waitForURL(/\/unlock\/serial\?project=hall$/);
            await a11y.check(page, '证书选择, the list');
            /* 我的证书's link now leads to the certificate chosen */
            await page.goto(`${HALL}/center/certs`);
            await link.click();
            await page.locator('#cert-status', { hasText: '有效' }).waitFor();
            /* on a USB key: the 证书助手 sets a new PIN, no new certificate */
            await page.locator('#next-note', { hasText: '解锁不签发新证书、不寄送新介质' }).waitFor();
            await page.locator('#next-note', { hasText: 'hall-assist unlock' }).waitFor();
            await a11y.check(page, '证书选择');
            await page.click('#serial-next');
            await page.waitForURL(/\/unlock\/apply\?project=hall&serial=/);
            /* the same medium, nothing made or mailed: no 介质费 (sql/173) */
            await page.locator('#replace-price', { hasText: '不收介质费），合计 0.00元' }).waitFor();
            await page.locator('#sms-hint', { hasText: `${o.phone.slice(0, 3)}****${o.phone.slice(7)}` }).waitFor();
            await a11y.check(page, '确认信息');
            await shot('02-apply');
            /* unlocked on the same USB key: no address, no 邮寄方式 */
            await page.locator('#no-mail', { hasText: '无需寄送：由证书助手在原USB Key上办理' }).waitFor();
            assert.equal(await page.locator('input[name="shipping"]').count(), 0);
            /* without the code: named under its field */
            await page.click('#apply-next');
            await page.locator('.err[data-for="sms_code"]', { hasText: '短信验证码' }).waitFor();
            await a11y.check(page, '确认信息 without the code');
            /* the code of this SMS (the outbox delivers it a moment later;
             * the phone's older texts, the PIN among them, are not it) */
            const before = (await smsMessages(o.phone)).length;
            let smsPosts = 0;
            page.on('request', (r) => {
                if (r.method() === 'POST' && new URL(r.url()).pathname === '/unlock/sms')
                    smsPosts += 1;
            });
            await page.click('#sms-send');
            await page.locator('#sms-status', { hasText: '验证码已发送' }).waitFor();
            const code = codeOf(await waitForSms(o.phone, before));
            assert.equal(smsPosts, 1, 'one click, one request (a second would be refused as too soon)');
            await page.fill('#sms_code', code);
            await page.click('#apply-next');
            await page.waitForURL(/\/unlock\/print\?id=\d+$/);
            await page.locator('#print-serial', { hasText: o.serial }).waitFor();
            await a11y.check(page, '证书解锁申请表');
            await shot('03-print');
            a11y.assertAllChecked(page);
            assert.deepEqual(problems, []);
        } finally {
            await ctx.close();
        }
    });
