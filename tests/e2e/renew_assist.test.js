'use strict';
/*
 * 证书更新 of a USB key by the 证书助手 (issue 64 §3), the holder's page
 * /renew/assist in headless Chromium through nginx: before 成功受理 the
 * page says the code comes after review and offers no button; once
 * accepted, 业务单详情 → 用证书助手在线更新 → the page names the medium and
 * the command's form → 获取更新码 shows the code once and the exact
 * command → that command, run as the holder runs it (the SoftHSM2 medium
 * the operator's 制作证书 made), with the hall's confirmation cut on the
 * way: the page says the new certificate is issued, not yet confirmed,
 * and to run the same command again → run again, it confirms → the page
 * says the new certificate is on the USB key and the old one removed.
 * axe checks
 * every page and state; screenshots go to
 * tests/e2e/artifacts/renew-assist-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, psql } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { renewalOfMedium } = require('./lib/assist');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const ROOT = path.resolve(__dirname, '..', '..');
const TOOL = path.join(ROOT, 'tools', 'assist', 'hall-assist');
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

/* the hall for the tool, its confirmation (written) cut before it arrives */
async function confirmationCut() {
    const srv = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', async () => {
            if (req.url === '/pki/renew/written') {
                req.socket.destroy();
                return;
            }
            const r = await fetch(`${HALL}${req.url}`, { method: req.method, body: Buffer.concat(chunks),
                headers: { 'content-type': req.headers['content-type'], accept: 'application/json' } });
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/json' });
            res.end(await r.text());
        });
    });
    await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
    return { url: `http://127.0.0.1:${srv.address().port}`, close: () => srv.close() };
}

function run(args, env) {
    return new Promise((ok) => {
        const p = spawn(TOOL, args, { env });
        let out = '', err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('close', (status) => ok({ status, out, err }));
    });
}

test('renew assist: 待审核 → 成功受理 → 获取更新码 → the command, confirmation cut → again → 已写入', { skip: SKIP }, async () => {
    const problems = [];
    const o = await renewalOfMedium();
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 400)
            problems.push(`${r.status()} ${r.url()}`);
    });
    await signIn(ctx, o.c);
    const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `renew-assist-${n}.png`), fullPage: true });
    try {
        /* before review: the medium named, no code yet */
        await page.goto(`${HALL}/renew/assist?id=${o.id}`);
        await a11y.check(page, '在线更新, before 成功受理');
        assert.equal(await page.locator('#assist-medium').textContent(), o.medium);
        assert.match(await page.locator('#assist-what').textContent(), /新证书写入之前，原证书一直保留在介质中/);
        assert.match(await page.locator('#assist-waiting').textContent(), /审核通过（成功受理）后，本页可获取更新码/);
        assert.equal(await page.getByRole('button', { name: '获取更新码' }).count(), 0);
        await shot('01-waiting');

        /* 成功受理 (as after payment and review): from the order's page */
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date - 30 WHERE id = ${o.id}`);
        await page.goto(`${HALL}/center/order?id=${o.id}`);
        await a11y.check(page, '业务单详情');
        await page.getByRole('link', { name: '用证书助手在线更新' }).click();
        await page.waitForURL(new RegExp(`/renew/assist\\?id=${o.id}$`));
        await a11y.check(page, '在线更新, 成功受理');
        assert.match(await page.locator('#assist-command-form').textContent(),
            new RegExp(`^hall-assist renew --module \\S+ --token ${o.medium} --ticket 更新码 --hall http`));
        assert.match(await page.locator('#assist-steps').textContent(), /只显示一次，只能使用一次；错误5次即作废/);
        await shot('02-ready');

        /* the code, once, and the exact command */
        await page.getByRole('button', { name: '获取更新码' }).click();
        await page.locator('#assist-ticket').waitFor();
        await a11y.check(page, '在线更新, 更新码');
        const ticket = await page.locator('#assist-ticket').textContent();
        assert.match(ticket, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
        const command = (await page.locator('#assist-command').textContent()).trim();
        assert.match(command, new RegExp(`^hall-assist renew --module \\S+ --token ${o.medium} --ticket ${ticket} --hall ${HALL.replace(/[.]/g, '\\.')}$`));
        await shot('03-ticket');

        /* the holder runs that command (the module: SoftHSM2's here, the
         * driver's path on a holder's machine) */
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
        const cut = await confirmationCut();
        let r;
        try {
            const viaCut = [...args];
            viaCut[viaCut.indexOf('--hall') + 1] = cut.url;
            r = await run([...viaCut, '--pin-file', pinFile], env);
        } finally {
            cut.close();
        }
        assert.equal(r.status, 1, `${r.out}\n${r.err}`);
        const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        assert.match(r.err, new RegExp(`新证书 ${fresh} 已写入介质，原证书保留；网上营业厅暂时无法确认`));

        /* the page meanwhile: issued, not confirmed, what to do */
        await page.goto(`${HALL}/renew/assist?id=${o.id}`);
        await a11y.check(page, '在线更新, 未确认写入');
        assert.match(await page.locator('#assist-issued').textContent(),
            new RegExp(`新证书（序列号 ${fresh}）已签发[^]*请插入USB Key ${o.medium}，用原更新码重新运行同一命令`));
        assert.match(await page.locator('#assist-status').textContent(), /成功受理/);
        assert.match(await page.locator('#assist-command-again').textContent(),
            new RegExp(`^hall-assist renew --module \\S+ --token ${o.medium} --ticket 更新码 --hall http`));
        await shot('04-not-confirmed');

        /* the same command again, the hall reachable: confirmed */
        r = await run([...args, '--pin-file', pinFile], env);
        assert.equal(r.status, 0, `${r.out}\n${r.err}`);
        assert.match(r.out, new RegExp(`介质 ${o.medium} 已更新：新证书 ${fresh} 已写入（网上营业厅已确认），原证书和原密钥已删除`));
        assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id}`), '1');

        /* the page after: the new certificate on the USB key, no button */
        await page.goto(`${HALL}/renew/assist?id=${o.id}`);
        await a11y.check(page, '在线更新, 已写入');
        assert.equal((await page.locator('#assist-done').textContent()).trim(),
            `新证书（序列号 ${fresh}）已写入USB Key ${o.medium}，原证书和原密钥已从介质中删除。`);
        assert.match(await page.locator('#assist-status').textContent(), /已签收/);
        assert.equal(await page.getByRole('button', { name: '获取更新码' }).count(), 0);
        await shot('05-done');
        a11y.assertAllChecked(page);
    } finally {
        await ctx.close();
    }
    assert.deepEqual(problems, []);
});
