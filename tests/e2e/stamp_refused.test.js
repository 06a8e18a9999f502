'use strict';
/*
 * 在线盖章 refuses what hall-stamp sign refuses (issue 63 §0): a 机构个人章
 * cancelled a moment earlier (an operator's request, a second operator's
 * approval: the seal and its certificate revoked) stamps nothing in
 * headless Chromium.
 *   - chosen before the 注销, PIN typed, 盖章 after it: refused in the words
 *     hall-stamp sign prints (core/stamp/stamp_may.c), before the PIN opens
 *     the medium: no timestamp asked, nothing to download;
 *   - chosen after: refused as soon as the seal file is chosen, the PIN
 *     field and 盖章 disabled;
 *   - the hall cannot be asked: refused as a status that cannot be learnt;
 *   - the check passed (a race, simulated) but the evidence after the stamp
 *     says revoked: no file, no revoked OCSP answer kept in one.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL, applicant, freshPhone } = require('../integ/lib/client');
const { sealOrder, holderMakesKey } = require('../integ/lib/seal');
const { tmpdir, operator, operator2, psql, smsTo } = require('../integ/lib/pki');
const { HALL_STAMP } = require('../integ/lib/stamp');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');
const { tablePdf } = require('./lib/stamp');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
let browser, dir, person;
const file = (n) => path.join(dir, n);

/* a 机构个人章 produced: its .seseal (the agent's download), its medium and
 * PIN (the holder's: the key made on the holder's side, sql/159) */
async function personSeal() {
    const c = await applicant();
    const holder = freshPhone('135');
    const so = await sealOrder(c, {
        org_count: '0', biz_count: '0', person_count: '1', person_1_name: '王五',
        person_1_ric: '44011320141005001X', person_1_years: '1', person_1_style: 'auto', person_1_mobile: holder,
    }, { agent_mobile: freshPhone('138') });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${so.id}`);
    const made = await (await operator()).post('/admin/pki/issue', { id: so.id });
    assert.equal(made.status, 200, made.text);
    const item = psql(`SELECT id FROM seal_items WHERE order_id = ${so.id} AND kind = 'org_person'`);
    /* the holder makes the key (sql/159), its PKCS#12 under the holder's own PIN */
    const h = await holderMakesKey(holder, tmpdir());
    const r = await fetch(`${HALL}/seal/seseal?id=${item}`, { headers: { Cookie: c.cookieHeader() } });
    assert.equal(r.status, 200);
    const seal = Buffer.from(await r.arrayBuffer());
    return { c, item, seal, p12: fs.readFileSync(h.p12), pin: h.pin, serial: h.serial,
        esId: psql(`SELECT es_id FROM seseals WHERE item_id = ${item}`) };
}

/* 注销 by four eyes: operator asks, operator2 approves */
async function cancel(esId) {
    const ask = await (await operator()).post('/admin/seal/revoke', { es_id: esId, reason: '人员离职' });
    assert.equal(ask.status, 200, ask.text);
    assert.ok(ask.body.request_id > 0, ask.text);
    const ok = await (await operator2()).post('/admin/pki/revoke/approve', { id: ask.body.request_id });
    assert.equal(ok.status, 200, ok.text);
}

before(async () => {
    if (SKIP)
        return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    dir = tmpdir();
    person = await personSeal();
    for (const [name, bytes] of [['doc.pdf', tablePdf(1)], ['person.seseal', person.seal], ['person.p12', person.p12]])
        fs.writeFileSync(file(name), bytes);
});

after(async () => {
    if (browser)
        await browser.close();
});

async function openPage() {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
        acceptDownloads: true });
    const requests = [];
    context.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
    const page = await context.newPage();
    a11y.track(page);
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${HALL}/seal/stamp`);
    return { context, page, requests, problems };
}

async function chooseFiles(page) {
    await page.locator('#stamp-pdf').setInputFiles(file('doc.pdf'));
    await page.locator('#stamp-pages').filter({ hasText: '共 1 页' }).waitFor();
    await page.locator('#stamp-seseal').setInputFiles(file('person.seseal'));
    await page.locator('#stamp-seal-chosen').filter({ hasText: person.esId }).waitFor();
    await page.locator('#stamp-p12').setInputFiles(file('person.p12'));
}

async function placeSeal(page) {
    const canvas = page.locator('#stamp-canvas');
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    await canvas.click({ position: { x: box.width * 150 / 210, y: box.height * 230 / 297 } });
    await page.locator('#stamp-mark').waitFor();
}

/* 盖章 clicked: the stamp made (盖章完成) or a refusal under the seal's field */
async function stampOrRefused(page) {
    await page.locator('#stamp-go').click();
    await page.locator('#stamp-done:visible, #err-seseal:not(:empty)').first().waitFor({ timeout: 60000 });
}

const paths = (requests, re) => requests.filter((r) => re.test(new URL(r.url).pathname));

/* what hall-stamp sign says of the same seal, without its name */
function toolWords() {
    const t = spawnSync(HALL_STAMP, ['sign', '--in', file('doc.pdf'), '--out', file('tool.pdf'),
        '--seal', file('person.seseal'), '--p12', file('person.p12'), '--page', '1', '--x', '100', '--y', '100',
        '--tsa', `${HALL}/tsa`, '--pin-fd', '0'],
    { input: `${person.pin}\n`, encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
    assert.equal(t.status, 4, `hall-stamp sign: ${t.stdout}${t.stderr}`);
    assert.equal(fs.existsSync(file('tool.pdf')), false);
    return t.stderr.trim().replace(/^hall-stamp：/, '');
}

test('在线盖章 with a 机构个人章 cancelled a moment earlier: refused in hall-stamp\'s words, before the PIN, no file',
    { skip: SKIP }, async () => {
        /* chosen while valid: the PIN asked, the seal placed */
        const a = await openPage();
        await chooseFiles(a.page);
        await a.page.locator('#stamp-pin:enabled').fill(person.pin);
        await placeSeal(a.page);

        /* the seal cancelled (four eyes) a moment before 盖章 */
        await cancel(person.esId);
        const words = toolWords();
        assert.match(words, new RegExp(`^签章人证书（序列号 ${person.serial}）已于 \\d{4}-\\d{2}-\\d{2} ` +
            '\\d{2}:\\d{2}:\\d{2} 吊销（原因：停止使用），不能再盖章。未盖章$'));
        await stampOrRefused(a.page);
        assert.equal(await a.page.locator('#stamp-done').isHidden(), true, 'stamped with a cancelled seal');
        assert.equal(await a.page.locator('#err-seseal').innerText(), words, 'the tool\'s words, the same');
        assert.equal(await a.page.locator('#stamp-download').getAttribute('href'), null);
        assert.doesNotMatch(await a.page.locator('#stamp-status').innerText(), /盖章完成/);
        assert.deepEqual(paths(a.requests, /^\/(tsa|sign\/evidence)$/), [], 'no timestamp, no evidence: nothing signed');
        assert.equal(await a.page.locator('#stamp-pin').isDisabled(), true);
        await a11y.check(a.page, '在线盖章, a cancelled seal refused at 盖章');
        await a.page.screenshot({ path: path.join(ARTIFACTS, 'stamp-refused-01-at-stamp.png'), fullPage: true });
        assert.deepEqual(a.problems, []);
        await a.context.close();

        /* chosen after: refused at once, the PIN never asked */
        const b = await openPage();
        await chooseFiles(b.page);
        await b.page.locator('#stamp[data-seal-check="refused"]').waitFor();
        assert.equal(await b.page.locator('#err-seseal').innerText(), words);
        assert.equal(await b.page.locator('#stamp-pin').isDisabled(), true, 'no PIN asked');
        assert.equal(await b.page.locator('#stamp-go').isDisabled(), true, 'no 盖章');
        assert.equal(await b.page.locator('#stamp-done').isHidden(), true);
        assert.deepEqual(paths(b.requests, /^\/(tsa|sign\/evidence)$/), []);
        await a11y.check(b.page, '在线盖章, a cancelled seal refused when chosen');
        await b.page.screenshot({ path: path.join(ARTIFACTS, 'stamp-refused-02-chosen.png'), fullPage: true });
        assert.deepEqual(b.problems, []);
        await b.context.close();

        /* opened by its own 在线盖章 address (我的电子印章's link): the hall's
         * 410 said on the page, not an empty form (issue 72 §4) */
        const own = await openPage();
        await signIn(own.context, person.c);
        await own.page.goto(`${HALL}/seal/stamp?id=${person.item}`);
        await own.page.locator('#stamp[data-seal-check="refused"]').waitFor();
        assert.equal(await own.page.locator('#err-seseal').innerText(), '该电子印章已注销，其文件和证书不再提供下载');
        assert.equal(await own.page.locator('#stamp-go').isDisabled(), true, 'no 盖章');
        await a11y.check(own.page, '在线盖章, its own address of a cancelled seal');
        await own.context.close();
    });

test('在线盖章 when the hall cannot be asked: refused as a status that cannot be learnt', { skip: SKIP }, async () => {
    const c = await openPage();
    await c.page.route('**/sign/stamp-check*', (r) => r.abort('connectionrefused'));
    await chooseFiles(c.page);
    await c.page.locator('#stamp[data-seal-check="refused"]').waitFor();
    assert.equal(await c.page.locator('#err-seseal').innerText(),
        `无法查询签章人证书（序列号 ${person.serial}）的吊销状态：无法连接网上营业厅。未盖章；请联网后重试`);
    assert.equal(await c.page.locator('#stamp-pin').isDisabled(), true);
    await c.context.close();
});

test('在线盖章 whose evidence says revoked after the stamp: no file, the revoked answer kept nowhere', { skip: SKIP },
    async () => {
        const d = await openPage();
        /* the check before the PIN answered yes (a revocation just after it) */
        await d.page.route('**/sign/stamp-check*', (r) => r.fulfill({ status: 200, contentType: 'application/json',
            body: JSON.stringify({ ok: true, check: { verdict: 'yes', code: 'ok', message: '' } }) }));
        let downloads = 0;
        d.page.on('download', () => downloads++);
        await chooseFiles(d.page);
        await d.page.locator('#stamp-pin:enabled').fill(person.pin);
        await placeSeal(d.page);
        await stampOrRefused(d.page);
        assert.equal(await d.page.locator('#stamp-done').isHidden(), true, 'stamped with a revoked answer in the file');
        assert.match(await d.page.locator('#err-seseal').innerText(), /吊销（原因：停止使用），不能再盖章。未盖章$/);
        assert.equal(paths(d.requests, /^\/sign\/evidence$/).length, 1, 'the evidence was asked');
        assert.equal(await d.page.locator('#stamp-done').isHidden(), true, 'nothing to download');
        assert.equal(await d.page.locator('#stamp-download').getAttribute('href'), null);
        assert.equal(downloads, 0);
        assert.deepEqual(d.problems, []);
        await d.context.close();
    });
