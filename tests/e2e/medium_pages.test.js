'use strict';
/*
 * Where a holder meets the 证书助手 and the medium (issue 64 §3 "the hall's
 * pages tell the holder when a step needs the 证书助手 and show the exact
 * command", §5 "what a lost medium or a forgotten PIN means"), in headless
 * Chromium through nginx, axe on every page:
 *  - the 操作提示 of 证书变更 names the 证书助手 for a USB key with the
 *    command as /change/assist shows it, and the browser's new key for a
 *    file made there; 证书更新's the browser's way (no PIN by SMS);
 *    介质遗失补办's a new USB key (never the lost one) or a new key in the
 *    browser; 证书介质与密钥 a lost browser file;
 *    常见问题 what a lost USB key or file and a forgotten PIN mean, with the
 *    unlock command;
 *    证书解锁's that the hall never holds a key and who resets a USB key's
 *    PIN (the old story only for certificates the hall made before);
 *  - 业务单详情 of a browser-made order before 成功受理 says the key will
 *    be made in the browser, no USB key, no 证书助手;
 *  - 我的证书 of a certificate on a USB key (made by the operator's 制作证书
 *    on a SoftHSM2 medium) shows the medium's serial and the 证书助手's
 *    exact commands for that key, and the list command shown runs; of a
 *    certificate made in the browser, that its key is in the holder's file,
 *    no 证书助手, and every flow makes a new key in the browser.
 *
 * Screenshots: tests/e2e/artifacts/medium-mycerts-usbkey*.png.
 *
 * Before: 证书变更's notice said only that a new medium is mailed, 证书更新's
 * that the PIN comes by SMS, 补办's nothing of a browser file, and 我的证书
 * said nothing of where a certificate's key is.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { HALL, freshPhone, applicant } = require('../integ/lib/client');
const { unpaidOrder } = require('../integ/lib/payflow');
const { operator, acceptedByTransfer, tmpdir, openssl, psql, orgForm } = require('../integ/lib/pki');
const { softhsmModule, mediaEnv, p11Skip } = require('../integ/lib/station');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const SKIP = !process.env.HALL_URL;
const TOOL = path.resolve(__dirname, '..', '..', 'tools', 'assist', 'hall-assist');
const ARTIFACTS = path.join(__dirname, 'artifacts');
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

/* a browser-made product's form: nothing to mail */
function browserForm() {
    const f = orgForm({ agent_mobile: freshPhone('137'), key_origin: 'browser' });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    return f;
}

const text = async (page, sel) => (await page.locator(sel).innerText()).replace(/\s+/g, ' ');

test('notices__变更_更新_补办__the_证书助手_command_for_a_USB_key__the_browser_way_for_a_file', { skip: SKIP }, async () => {
    const { ctx, page } = await newPage(null);
    try {
        await page.goto(`${HALL}/change/notice`);
        assert.match(await text(page, '#change-usbkey'),
            /USB Key[^]*用证书助手在线变更[^]*\/change\/assist\?id=业务单号[^]*在同一个USB Key中生成新密钥[^]*确认后原证书才作废/);
        assert.equal((await page.locator('#change-usbkey code').innerText()).trim(),
            'hall-assist change --module 驱动库 --token 介质序列号 --ticket 变更码 --hall 网上营业厅网址',
            'the command as /change/assist shows its form');
        assert.match(await text(page, '#change-browser'),
            /浏览器中生成密钥[^]*不用证书助手[^]*生成密钥并下载证书[^]*新的密钥[^]*原证书即被吊销/);
        await a11y.check(page, '证书变更 操作提示');

        await page.goto(`${HALL}/renew/notice`);
        assert.match(await text(page, '#renew-usbkey code'), /^hall-assist renew --module 驱动库 --token 介质序列号 --ticket 更新码/);
        assert.match(await text(page, '#renew-browser'),
            /浏览器中生成密钥[^]*不用证书助手[^]*新的密钥[^]*不发送PIN码短信/);
        assert.doesNotMatch(await text(page, '#renew-notice'), /浏览器生成密钥的在您的浏览器中生成，营业厅不持有私钥；证书PIN码以短信发送/,
            'a file made in the browser gets no PIN by SMS');
        await a11y.check(page, '证书更新 操作提示');

        await page.goto(`${HALL}/reissue/notice`);
        assert.match(await text(page, '#reissue-usbkey'),
            /USB Key[^]*不能在原USB Key上办理，也不用证书助手[^]*新的USB Key[^]*新的密钥对[^]*原证书吊销/);
        assert.match(await text(page, '#reissue-browser'),
            /浏览器中生成密钥[^]*不邮寄USB Key[^]*生成密钥并下载证书[^]*新的密钥[^]*原证书吊销/);
        assert.match(await text(page, '#medium-notice #medium-lost'),
            /浏览器生成的证书文件遗失或损坏的，同样办理补办[^]*浏览器中重新生成新的密钥/);
        await a11y.check(page, '介质遗失补办 操作提示');

        await page.goto(`${HALL}/unlock/notice`);
        assert.match(await text(page, '#unlock-why'),
            /私钥在您的USB Key内部或您的浏览器中生成，从不离开，深圳CA从不持有私钥副本/);
        assert.match(await text(page, '#unlock-why'),
            /USB Key的PIN码只能在您重新证明身份后，由您本人插入USB Key用证书助手重设；证书文件的PIN码无法重设/);
        assert.match(await text(page, '#unlock-hall'), /^此前由营业厅制作、私钥副本已销毁的证书，“解锁”实际是为您重新签发一张证书/);
        await a11y.check(page, '证书解锁 操作提示');

        await page.goto(`${HALL}/faq`);
        assert.match(await text(page, '#faq-medium-key'), /网上营业厅从不持有您的私钥/);
        assert.match(await text(page, '#faq-medium-lost'), /介质遗失补办[^]*新的USB Key[^]*原证书吊销[^]*证书文件遗失，同样办理补办/);
        assert.equal((await page.locator('#faq-medium-pin code').innerText()).trim(),
            'hall-assist unlock --module 驱动库 --token 介质序列号 --ticket 解锁码 --hall 网上营业厅网址');
        assert.match(await text(page, '#faq-medium-pin'), /证书文件不能解锁/);
        assert.match(await text(page, '#faq-pin-browser'), /PIN码由您在生成密钥时自己设定/);
        assert.match(await text(page, '#faq-delivery-browser'), /不邮寄USB Key[^]*生成密钥并下载证书/);
        await a11y.check(page, '常见问题');
    } finally {
        await ctx.close();
    }
});

test('业务单详情__a_browser_made_order_before_成功受理__says_the_key_will_be_made_in_the_browser', { skip: SKIP }, async () => {
    const c = await applicant();
    const o = await unpaidOrder(c, { project: 'hall', form: browserForm() });
    const { ctx, page } = await newPage(c);
    try {
        await page.goto(`${HALL}/center/order?id=${o.id}`);
        assert.equal(await page.locator('#status').innerText(), '待支付');
        assert.match(await text(page, '#keygen-later'),
            /密钥将在您的浏览器中生成，不邮寄USB Key，也不用证书助手：成功受理后，在本页点击“生成密钥并下载证书”[^]*网上营业厅不持有私钥/);
        assert.equal(await page.locator('#keygen-form').count(), 0, 'no key before 成功受理');
        await a11y.check(page, '业务单详情, a browser-made order before 成功受理');
    } finally {
        await ctx.close();
    }
});

/* the shown command as the holder types it, on the station's media */
function runShown(command) {
    return new Promise((ok) => {
        const argv = command.split(' ');
        assert.equal(argv[0], 'hall-assist');
        const p = spawn(TOOL, argv.slice(1), { env: mediaEnv() });
        let out = '', err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('error', (e) => ok({ status: -1, out, err: String(e) }));
        p.on('close', (status) => ok({ status, out, err }));
    });
}

test('我的证书__a_USB_key_certificate__its_medium_and_the_证书助手_commands_that_run', { skip: SKIP || p11Skip }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: freshPhone('137') }) });
    const made = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(made.status, 200, made.text);
    const [serial, medium] = psql(`SELECT serial || '|' || medium_serial FROM certificates
        WHERE order_id = ${o.id} AND state = 'issued'`).split('|');
    const mod = softhsmModule();
    const { ctx, page } = await newPage(o.c);
    try {
        await page.goto(`${HALL}/center/certs`);
        const row = `#medium-${serial}`;
        assert.ok(await page.locator(row).isVisible(), '我的证书 has the medium line under the certificate');
        assert.match(await text(page, `${row} .medium-usbkey`),
            new RegExp(`证书在USB Key ${medium} 中：密钥在USB Key内部生成，不能导出，网上营业厅不持有私钥[^]*证书助手`));
        const code = async (cls) => (await page.locator(`${row} code.${cls}`).innerText()).trim();
        assert.equal(await code('assist-list'), `hall-assist list --module ${mod} --token ${medium}`);
        assert.equal(await code('assist-pin'), `hall-assist pin --module ${mod} --token ${medium}`);
        /* the hall's project sells 更新 only near the end, 变更 and 解锁 at once */
        assert.equal(await code('assist-change'),
            `hall-assist change --module ${mod} --token ${medium} --ticket 变更码 --hall ${HALL}`);
        assert.equal(await code('assist-unlock'),
            `hall-assist unlock --module ${mod} --token ${medium} --ticket 解锁码 --hall ${HALL}`);
        assert.equal(await page.locator(`${row} code.assist-renew`).count(), 0, 'no 更新 a year before the end');
        assert.match(await text(page, row), /USB Key遗失：办理补办，营业厅制作新的USB Key[^]*原证书吊销/);
        assert.equal(await page.locator(`${row} .medium-browser`).count(), 0);
        assert.match(await text(page, 'p.hint >> nth=-1'), /私钥只在您的USB Key或浏览器生成的证书文件中，网上营业厅不持有/);
        await a11y.check(page, '我的证书, a USB-key certificate');
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'medium-mycerts-usbkey.png'), fullPage: true });
        await page.setViewportSize({ width: 390, height: 800 });
        await page.screenshot({ path: path.join(ARTIFACTS, 'medium-mycerts-usbkey-phone.png'), fullPage: true });
        await a11y.check(page, '我的证书, a USB-key certificate, on a phone');
        /* the command shown is the one that works on the holder's medium */
        const r = await runShown(await code('assist-list'));
        assert.equal(r.status, 0, r.err);
        assert.match(r.out, new RegExp(`序列号：${serial}\\n[^]*状态：有效`), r.out);
    } finally {
        await ctx.close();
    }
});

test('我的证书__a_browser_made_certificate__the_file_no_证书助手_a_new_key_in_the_browser', { skip: SKIP }, async () => {
    const o = await acceptedByTransfer({ project: 'hall', form: browserForm() });
    const dir = tmpdir();
    const key = path.join(dir, 'k.pem'), der = path.join(dir, 'req.der');
    assert.equal(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]).status, 0);
    assert.equal(openssl(['req', '-new', '-key', key, '-subj', '/CN=x', '-outform', 'DER', '-out', der]).status, 0);
    const made = await o.c.post('/pki/csr', { id: o.id, csr: fs.readFileSync(der).toString('base64') });
    assert.equal(made.status, 200, made.text);
    const serial = made.body.serial;
    const { ctx, page } = await newPage(o.c);
    try {
        await page.goto(`${HALL}/center/certs`);
        const row = `#medium-${serial}`;
        assert.match(await text(page, `${row} .medium-browser`),
            /证书文件（.p12）的密钥在您的浏览器中生成[^]*网上营业厅不持有私钥[^]*不用证书助手[^]*证书文件不能解锁[^]*由您的浏览器生成新的密钥/);
        assert.equal(await page.locator(`${row} .medium-usbkey`).count(), 0);
        assert.equal(await page.locator(`${row} code`).count(), 0, 'no 证书助手 command for a file');
        await a11y.check(page, '我的证书, a browser-made certificate');
    } finally {
        await ctx.close();
    }
});
