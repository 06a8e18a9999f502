'use strict';
/*
 * 在线更新 and 在线变更 of a USB key with no terminal (issue 70 §3), in headless Chromium
 * with the 证书助手's extension and native host (tests/e2e/lib/assist.js):
 * the order accepted, its 用证书助手在线更新 page gives the 更新码, and
 * 用证书助手办理 has the assistant run `hall-assist renew` with this hall
 * (the PIN asked by the test pinentry, never typed into the page); the page
 * shows it running, then the assistant's words; the new certificate is on
 * the USB key and the order 已签收.  A wrong PIN first: the page says the
 * assistant could not do it, in the assistant's words, and the button may
 * be pressed again.  在线变更 the same way: the changed certificate written,
 * the old one revoked.  On main the pages had the command only.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { HALL } = require('../integ/lib/client');
const { tmpdir, psql } = require('../integ/lib/pki');
const { pinentrySaid } = require('../integ/lib/native');
const { withAssistant, renewalOfMedium, changeOfMedium } = require('./lib/assist');
const a11y = require('./lib/a11y');
const { signIn } = require('./lib/browser');

const SKIP = !process.env.HALL_URL;

test('在线更新 by the 证书助手 from the page: 更新码 → 用证书助手办理 → 已写入, no terminal', { skip: SKIP }, async () => {
    const o = await renewalOfMedium();
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date - 30 WHERE id = ${o.id}`);
    const a = await withAssistant(tmpdir());
    const problems = [];
    try {
        await signIn(a.context, o.c);
        const page = await a.context.newPage();
        a11y.track(page);
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        await page.goto(`${HALL}/renew/assist?id=${o.id}`);
        await page.getByRole('button', { name: '获取更新码' }).click();
        await page.locator('#assist-ticket').waitFor();
        await a11y.check(page, '在线更新, 更新码 and 用证书助手办理');
        const run = page.getByRole('button', { name: '用证书助手办理（无需终端）' });
        assert.equal(await run.getAttribute('data-medium'), o.medium);
        const out = page.locator('#assist-run-out');

        /* a wrong PIN: refused by the medium, said in the assistant's words */
        fs.writeFileSync(a.pinFile, '00000000\n');
        await run.click();
        await page.locator('#assist-run-out[data-state="failed"]').waitFor({ timeout: 60000 });
        assert.match(await out.innerText(), /证书助手未能完成办理/);
        assert.match(await out.locator('pre').innerText(), /PIN码不能登录介质/);
        assert.equal(await run.isEnabled(), true, 'the button may be pressed again');
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'accepted');

        /* the PIN right: the assistant renews with the hall */
        fs.writeFileSync(a.pinFile, `${o.pin}\n`);
        await run.click();
        await page.locator('#assist-run-out[data-state="done"]').waitFor({ timeout: 120000 });
        const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        assert.match(await out.innerText(), new RegExp(`介质 ${o.medium} 已更新：新证书 ${fresh} 已写入`));
        await a11y.check(page, '在线更新, done by the 证书助手');
        const said = pinentrySaid(a.log).filter((l) => l.startsWith('SETDESC '));
        assert.ok(said.every((l) => l.includes(`网站 ${new URL(HALL).origin} 请求为USB Key（介质 ${o.medium}）办理在线更新`)),
            said.join('\n'));

        await page.goto(`${HALL}/renew/assist?id=${o.id}`);
        assert.equal((await page.locator('#assist-done').textContent()).trim(),
            `新证书（序列号 ${fresh}）已写入USB Key ${o.medium}，原证书和原密钥已从介质中删除。`);
        assert.match(await page.locator('#assist-status').textContent(), /已签收/);
        await a11y.check(page, '在线更新, 已写入');
        a11y.assertAllChecked(page);
    } finally {
        await a.context.close();
    }
    assert.deepEqual(problems, []);
});

test('在线变更 by the 证书助手 from the page: 变更码 → 用证书助手办理 → 已写入, the old one void', { skip: SKIP }, async () => {
    const o = await changeOfMedium('深圳桥接变更科技有限公司');
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date - 30 WHERE id = ${o.id}`);
    const a = await withAssistant(tmpdir());
    const problems = [];
    try {
        await signIn(a.context, o.c);
        const page = await a.context.newPage();
        a11y.track(page);
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        await page.goto(`${HALL}/change/assist?id=${o.id}`);
        await page.getByRole('button', { name: '获取变更码' }).click();
        await page.locator('#assist-ticket').waitFor();
        await a11y.check(page, '在线变更, 变更码 and 用证书助手办理');
        fs.writeFileSync(a.pinFile, `${o.pin}\n`);
        await page.getByRole('button', { name: '用证书助手办理（无需终端）' }).click();
        await page.locator('#assist-run-out[data-state="done"]').waitFor({ timeout: 120000 });
        const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        assert.match(await page.locator('#assist-run-out').innerText(),
            new RegExp(`介质 ${o.medium} 已变更：新证书 ${fresh} 已写入，原证书和原密钥已删除`));
        assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${o.serial}'`), 'revoked');
        await a11y.check(page, '在线变更, done by the 证书助手');
        await page.goto(`${HALL}/change/assist?id=${o.id}`);
        assert.match(await page.locator('#assist-status').textContent(), /已签收/);
        await a11y.check(page, '在线变更, 已写入');
        a11y.assertAllChecked(page);
    } finally {
        await a.context.close();
    }
    assert.deepEqual(problems, []);
});
