'use strict';
/*
 * 证书变更 of a USB key by the 证书助手 (issue 64 §3: 变更 writes the
 * changed certificate onto the same medium), the holder's pages in
 * headless Chromium through nginx: /change/assist before 成功受理 names the
 * medium and the new subject and offers no button; once accepted,
 * 业务单详情 shows the step and the command's form → 用证书助手在线变更 →
 * 获取变更码 shows the code once and the exact command → that command, run
 * as the holder runs it (the SoftHSM2 medium the operator's 制作证书 made),
 * writes the changed certificate → the page says it is on the USB key and
 * the old one void, and 业务单详情 says the step is done.  axe checks every
 * page and state; screenshots go to tests/e2e/artifacts/change-assist-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, psql } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { changeOfMedium: changeOf } = require('./lib/assist');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const ROOT = path.resolve(__dirname, '..', '..');
const TOOL = path.join(ROOT, 'tools', 'assist', 'hall-assist');
const NEW_ORG = '深圳页面变更科技有限公司';
const changeOfMedium = () => changeOf(NEW_ORG);
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

function run(args, env) {
    return new Promise((ok) => {
        const p = spawn(TOOL, args, { env });
        let out = '', err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('close', (status) => ok({ status, out, err }));
    });
}

test('change assist: 待审核 → 成功受理 → 业务单详情 → 获取变更码 → the command → 已写入, the old one void', { skip: SKIP }, async () => {
    const problems = [];
    const o = await changeOfMedium();
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 400)
            problems.push(`${r.status()} ${r.url()}`);
    });
    await signIn(ctx, o.c);
    const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `change-assist-${n}.png`), fullPage: true });
    try {
        /* before review: the medium and the new subject named, no code yet */
        await page.goto(`${HALL}/change/assist?id=${o.id}`);
        await a11y.check(page, '在线变更, before 成功受理');
        assert.equal(await page.locator('#assist-medium').textContent(), o.medium);
        assert.match(await page.locator('#assist-what').textContent(),
            new RegExp(`载有变更后信息（${NEW_ORG}）的新证书[^]*确认后原证书才作废`));
        assert.match(await page.locator('#assist-waiting').textContent(), /审核通过（成功受理）后，本页可获取变更码/);
        assert.equal(await page.getByRole('button', { name: '获取变更码' }).count(), 0);
        await shot('01-waiting');

        /* 成功受理 (as after payment and review): 业务单详情 names the step and the command */
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date - 30 WHERE id = ${o.id}`);
        await page.goto(`${HALL}/center/order?id=${o.id}`);
        await a11y.check(page, '业务单详情, 变更 of a USB key');
        assert.match(await page.locator('#assist-step').textContent(), /在线变更：在同一个USB Key中生成新密钥/);
        assert.match(await page.locator('#assist-command').textContent(),
            new RegExp(`^hall-assist change --module \\S+ --token ${o.medium} --ticket 变更码 --hall http`));
        await page.getByRole('link', { name: '用证书助手在线变更' }).click();
        await page.waitForURL(new RegExp(`/change/assist\\?id=${o.id}$`));
        await a11y.check(page, '在线变更, 成功受理');
        assert.match(await page.locator('#assist-command-form').textContent(),
            new RegExp(`^hall-assist change --module \\S+ --token ${o.medium} --ticket 变更码 --hall http`));
        await shot('02-ready');

        /* the code, once, and the exact command */
        await page.getByRole('button', { name: '获取变更码' }).click();
        await page.locator('#assist-ticket').waitFor();
        await a11y.check(page, '在线变更, 变更码');
        const ticket = await page.locator('#assist-ticket').textContent();
        assert.match(ticket, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
        const command = (await page.locator('#assist-command').textContent()).trim();
        assert.match(command, new RegExp(`^hall-assist change --module \\S+ --token ${o.medium} --ticket ${ticket} --hall ${HALL.replace(/[.]/g, '\\.')}$`));
        await shot('03-ticket');

        /* the holder runs that command (SoftHSM2's module here) */
        const args = command.split(/\s+/).slice(1);
        const at = args.indexOf('--module');
        const softhsm = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
            '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'].find((m) => fs.existsSync(m));
        assert.ok(softhsm, 'libsofthsm2.so: apt-get install softhsm2');
        if (!fs.existsSync(args[at + 1]))
            args[at + 1] = softhsm;
        const pinFile = path.join(tmpdir(), 'pin');
        fs.writeFileSync(pinFile, `${o.pin}\n`, { mode: 0o600 });
        const env = { ...process.env, SOFTHSM2_CONF: path.join(process.env.HALL_VAR, 'media', 'softhsm2.conf') };
        const r = await run([...args, '--pin-file', pinFile], env);
        assert.equal(r.status, 0, `${r.out}\n${r.err}`);
        const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        assert.match(r.out, new RegExp(`介质 ${o.medium} 已变更：新证书 ${fresh} 已写入，原证书和原密钥已删除`));
        assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${o.serial}'`), 'revoked');

        /* the pages after: the changed certificate on the USB key, no button */
        await page.goto(`${HALL}/change/assist?id=${o.id}`);
        await a11y.check(page, '在线变更, 已写入');
        assert.equal((await page.locator('#assist-done').textContent()).trim(),
            `新证书（序列号 ${fresh}）已写入USB Key ${o.medium}，原证书已作废并从介质中删除。`);
        assert.match(await page.locator('#assist-status').textContent(), /已签收/);
        assert.equal(await page.getByRole('button', { name: '获取变更码' }).count(), 0);
        await shot('04-done');
        await page.goto(`${HALL}/center/order?id=${o.id}`);
        await a11y.check(page, '业务单详情, 变更 done');
        assert.match(await page.locator('#assist-done').textContent(), /已由证书助手在该USB Key中办结/);
        a11y.assertAllChecked(page);
    } finally {
        await ctx.close();
    }
    assert.deepEqual(problems, []);
});
