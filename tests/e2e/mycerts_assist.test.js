'use strict';
/*
 * 我的证书 for a certificate on a USB key, no terminal (issue 70 §3), in
 * headless Chromium with the 证书助手's extension and native host (as
 * tests/e2e/stamp_usbkey.test.js): 查看证书 lists the medium's certificate
 * with its status as the hall's OCSP gives it (有效), 修改PIN码 has the
 * assistant ask the current and the new PIN in its pinentry dialog, and
 * the medium opens with the new PIN afterwards (pkcs11-tool, as a holder
 * would); a wrong current PIN is said so and changes nothing.  The
 * commands stay listed for administrators.  On main 我的证书 had the
 * commands only: no button.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { HALL, freshPhone } = require('../integ/lib/client');
const { operator, acceptedByTransfer, smsTo, tmpdir, psql, orgForm } = require('../integ/lib/pki');
const { openMedium, p11Skip } = require('../integ/lib/station');
const { pinentrySaid } = require('../integ/lib/native');
const { withAssistant } = require('./lib/assist');
const a11y = require('./lib/a11y');
const { signIn } = require('./lib/browser');

const SKIP = !process.env.HALL_URL || p11Skip;

test('我的证书: 查看证书 and 修改PIN码 of a USB key through the 证书助手, no terminal', { skip: SKIP }, async () => {
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const made = await (await operator()).post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(made.status, 200, made.text);
    const [serial, medium] = psql(`SELECT serial || '|' || medium_serial FROM certificates
        WHERE order_id = ${o.id} AND state = 'issued'`).split('|');
    const pin = (await smsTo(phone, new RegExp(`序列号${serial}`))).match(/PIN码为：(\d+)/)[1];
    const a = await withAssistant(tmpdir(), medium);
    const problems = [];
    try {
        await signIn(a.context, o.c);
        const page = await a.context.newPage();
        a11y.track(page);
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        await page.goto(`${HALL}/center/certs`);
        const row = page.locator(`#medium-${serial}`);
        assert.match(await row.locator('code.assist-list').innerText(), /^hall-assist list /,
            'the command stays for administrators');
        const out = page.locator(`#assist-out-${serial}`);

        /* 查看证书: the certificate and its status by OCSP */
        await row.locator('button.assist-view').click();
        await out.locator(`li[data-serial="${serial}"]`).waitFor({ timeout: 30000 });
        const li = await out.locator(`li[data-serial="${serial}"]`).innerText();
        assert.match(li, /状态：有效/, li);
        assert.match(await out.innerText(), new RegExp(`介质 ${medium}`));
        await a11y.check(page, '我的证书, 查看证书 by the 证书助手');

        /* 修改PIN码: a wrong current PIN first, nothing changed */
        fs.writeFileSync(a.pinFile, '99999999\n24681357\n');
        await row.locator('button.assist-pinchange').click();
        await out.locator('.err').filter({ hasText: '当前PIN码错误，PIN码未修改' }).waitFor({ timeout: 30000 });
        assert.equal(openMedium(medium, pin).status, 0, 'the old PIN still opens the medium');

        fs.writeFileSync(a.pinFile, `${pin}\n24681357\n`);
        await row.locator('button.assist-pinchange').click();
        await out.locator('.ok').filter({ hasText: 'PIN码已修改' }).waitFor({ timeout: 30000 });
        await a11y.check(page, '我的证书, 修改PIN码 by the 证书助手');
        assert.equal(openMedium(medium, '24681357').status, 0, 'the new PIN opens the medium');
        assert.notEqual(openMedium(medium, pin).status, 0, 'the old one no more');
        const said = pinentrySaid(a.log);
        const prompts = said.filter((l) => l.startsWith('SETPROMPT ')).slice(-3);
        assert.deepEqual(prompts, ['SETPROMPT 当前PIN码：', 'SETPROMPT 新PIN码：', 'SETPROMPT 再次输入新PIN码：']);
        assert.ok(said.some((l) => l.startsWith('SETDESC ') && l.includes(`网站 ${new URL(HALL).origin} 请求修改USB Key（介质 ${medium}）的PIN码`)));
        a11y.assertAllChecked(page);
    } finally {
        await a.context.close();
    }
    assert.deepEqual(problems, []);
});
