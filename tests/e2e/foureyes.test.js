'use strict';
/*
 * Four eyes in the console (issue 26, part 3), headless Chromium through
 * nginx, axe on every page: an operator asks for a 吊销 on 证书管理 with a
 * reason and lands on 待批准, where the own request waits without buttons;
 * operator2 sees who asked, when and why, refuses one request with a note
 * and approves another; the certificate is then revoked, the refused one
 * still valid.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { HALL } = require('../integ/lib/client');
const { psql } = require('../integ/lib/payflow');
const { acceptedByTransfer, operator } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { launchChromium } = require('./lib/browser');
const { staffSignInPage } = require('./lib/staff');

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

/* the one place a browser test signs a staff member in */
async function staffPage(login, password, problems) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 500)
            problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('dialog', (d) => d.accept());
    await staffSignInPage(page, login, password, { check: (name) => a11y.check(page, `${name} (${login})`) });
    await a11y.check(page, `staff console (${login})`);
    return page;
}

async function issued() {
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    return psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
}

/* 证书管理 → 申请吊销 with a reason: lands on 待批准 */
async function askRevoke(page, serial, note) {
    await page.goto(`${HALL}/admin/pki/certs?serial=${serial}`);
    await a11y.check(page, '证书管理, a certificate');
    await page.selectOption('#revoke-form select[name="reason"]', 'keyCompromise');
    await page.fill('#revoke-form input[name="note"]', note);
    await Promise.all([page.waitForURL(`${HALL}/admin/approvals`), page.click('#revoke')]);
    await a11y.check(page, '待批准, after asking');
}

test('待批准: asked by operator, refused and approved by operator2, every page passes axe', { skip: SKIP }, async () => {
    const problems = [];
    const [keep, gone] = [await issued(), await issued()];
    const op = await staffPage('operator', 'Operator2026demo', problems);
    await askRevoke(op, keep, '误操作测试');
    await askRevoke(op, gone, '私钥已泄露');
    const mine = op.locator('#approvals-pending tr[data-kind="revoke"]', { hasText: gone });
    await mine.waitFor();
    assert.equal(await mine.locator('button').count(), 0, 'no buttons on the own request');
    assert.match(await mine.textContent(), /等待其他工作人员批准/);
    await a11y.check(op, '待批准, own requests');
    await op.goto(`${HALL}/admin/pki/certs?serial=${gone}`);
    await op.locator('#revoke-pending').waitFor();
    assert.equal(await op.locator('#revoke-form').count(), 0);
    await a11y.check(op, '证书管理, revocation pending');

    const op2 = await staffPage('operator2', 'Operator2026demo2', problems);
    await op2.click('#nav-approvals');
    await op2.waitForURL(`${HALL}/admin/approvals`);
    const row = (serial) => op2.locator('#approvals-pending tr[data-kind="revoke"]', { hasText: serial });
    const text = await row(gone).textContent();
    assert.match(text, /operator/);
    assert.match(text, /私钥已泄露/);
    assert.match(text, /\d{4}-\d\d-\d\d \d\d:\d\d/);
    await a11y.check(op2, '待批准, requests of another operator');

    await row(keep).locator('.approval-refuse input[name="note"]').fill('核实为误操作');
    await Promise.all([op2.waitForEvent('load'), row(keep).locator('.approval-refuse button').click()]);
    await a11y.check(op2, '待批准, after a refusal');
    /* approved: revoked at once, the page shows the certificate */
    await Promise.all([
        op2.waitForURL(`${HALL}/admin/pki/certs?serial=${gone}`),
        row(gone).locator('.approval-approve button').click(),
    ]);
    assert.equal(await op2.textContent('#cert-state'), '已吊销');
    await a11y.check(op2, '证书管理, revoked');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${gone}'`), 'revoked');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${keep}'`), 'issued');
    await op2.goto(`${HALL}/admin/approvals`);
    const done = op2.locator('#approvals-decided tr', { hasText: gone });
    await done.waitFor();
    assert.match(await done.textContent(), /已批准[^]*operator2/);
    const refused = op2.locator('#approvals-decided tr', { hasText: keep });
    assert.match(await refused.textContent(), /已拒绝[^]*核实为误操作/);
    await a11y.check(op2, '待批准, decided');
    a11y.assertAllChecked(op);
    a11y.assertAllChecked(op2);
    assert.deepEqual(problems, []);
});
