'use strict';
/*
 * 签署 in headless Chromium through nginx (docs/modules/contract.md): the
 * initiator opens 我的签署, 发起签署, fills the form (the PDF, the company
 * party, the deadline) and lands on the flow's page (签署中, the party
 * 待签署); the party, logged in with the mobile the initiator named, sees
 * the flow in 我的签署 and its 签署区 on the flow's page, signs in the page
 * (在浏览器中签署: its .seseal and browser-made .p12 opened there under its
 * PIN, the current revision stamped by static/stamp's modules and posted),
 * and the page says 已完成.  axe checks every page; screenshots go to
 * tests/e2e/artifacts/contract-*.png.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant } = require('../integ/lib/client');
const { makePdf } = require('../integ/lib/stamp');
const { ORG, PIN, company } = require('../integ/lib/contract');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
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

function watch(page, problems) {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 500 || (r.status() === 404 && !/favicon\.ico$/.test(r.url())))
            problems.push(`${r.status()} ${r.url()}`);
    });
}

async function pageOf(c, problems) {
    const context = await browser.newContext();
    await signIn(context, c);
    const page = await context.newPage();
    watch(page, problems);
    a11y.track(page);
    return page;
}

test('contract: 发起签署 in the page, the party signs with its own seal, the flow completes',
    { skip: SKIP }, async () => {
        const problems = [];
        const [A, initiator] = await Promise.all([company(), applicant()]);
        const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'hall-contract-'));
        const pdf = path.join(dir, '采购合同.pdf');
        fs.writeFileSync(pdf, makePdf({ pages: 1, text: 'e2e contract' }));

        const p = await pageOf(initiator, problems);
        await p.goto(`${HALL}/contract/`);
        await a11y.check(p, '我的签署 (empty)');
        assert.match(await p.textContent('#contract-initiated-none'), /还没有发起签署/);
        await p.click('#contract-new-link');
        await p.waitForURL(/\/contract\/new$/);
        await a11y.check(p, '发起签署');
        await p.fill('input[name=title]', '采购合同');
        await p.setInputFiles('input[name=file]', pdf);
        await p.selectOption('select[name=order]', 'sequential');
        await p.fill('input[name=deadline]', new Date(Date.now() + 10 * 86400e3).toISOString().slice(0, 10));
        /* the parties as rows (static/contract/new.js): one company */
        assert.equal(await p.isVisible('textarea[name=parties]'), false, 'the JSON field is the fallback only');
        const row = p.locator('#contract-party-rows fieldset').first();
        await row.locator('select[name=p_kind]').selectOption('org');
        await row.locator('input[name=p_name]').fill(ORG);
        await row.locator('input[name=p_uscc]').fill(A.uscc);
        await row.locator('input[name=p_mobile]').fill(A.c.phone);
        await row.locator('input[name=p_x]').fill('60');
        await Promise.all([p.waitForURL(/\/contract\/flow\?id=\d+$/), p.click('#contract-new-form button[type=submit]')]);
        const id = Number(new URL(p.url()).searchParams.get('id'));
        assert.equal(await p.textContent('#contract-state'), '签署中');
        assert.match(await p.textContent('#contract-parties'), new RegExp(`${ORG}[\\s\\S]*${A.uscc}[\\s\\S]*待签署`));
        assert.equal(await p.locator('#contract-my-turn').count(), 0, 'the initiator is not a party');
        await a11y.check(p, '签署流程 (initiator)');
        await p.screenshot({ path: path.join(ARTIFACTS, 'contract-initiator.png'), fullPage: true });

        const q = await pageOf(A.c, problems);
        await q.goto(`${HALL}/contract/`);
        await a11y.check(q, '我的签署 (party)');
        await Promise.all([q.waitForURL(/\/contract\/flow\?id=/), q.click(`#contract-waiting a[href$="id=${id}"]`)]);
        assert.match(await q.textContent('#contract-my-turn'), /--page 1 --x 60\.0 --y 240\.0/);
        await a11y.check(q, '签署流程 (party)');
        /* 在浏览器中签署: its seal and browser-made .p12 opened in the page
         * under its PIN, the current revision stamped there and posted */
        await q.setInputFiles('#contract-browser-form input[name=seal]', A.seal);
        await q.setInputFiles('#contract-browser-form input[name=p12]', A.p12);
        await q.fill('#contract-browser-form input[name=pin]', PIN);
        await q.click('#contract-browser-form button[type=submit]');
        await q.waitForFunction(() => !document.getElementById('contract-browser-form')
            || /[^…]$/.test(document.getElementById('contract-browser-status').textContent || '…'),
        null, { timeout: 60000 });
        assert.equal(await q.locator('#contract-browser-form').count(), 0,
            `still asked to sign: ${await q.locator('#contract-browser-status').textContent().catch(() => '')}`);
        assert.equal(await q.textContent('#contract-state'), '已完成');
        assert.match(await q.textContent('#contract-parties'), /已签署/);
        await q.screenshot({ path: path.join(ARTIFACTS, 'contract-party.png'), fullPage: true });

        await p.goto(`${HALL}/contract/`);
        assert.match(await p.textContent('#contract-initiated'), /采购合同[\s\S]*已完成[\s\S]*1\/1/);
        assert.deepEqual(problems, []);
    });
