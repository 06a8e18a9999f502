'use strict';
/*
 * The pages against the seeds in headless Chromium (issue 7, items 17 and
 * 19): an OCR error on the PC page of 在线认证 gives way to the later
 * success; the browser's Back from 打印申请表 returns to the same order and
 * a second submit makes no second order; the errors of a 汇款凭证 upload
 * stay on the pay page; 我的业务单 fits a 390-px phone.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client, applicant, HALL } = require('../integ/lib/client');
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

function psql(sql) {
    const { execFileSync } = require('node:child_process');
    const cmd = process.env.HALL_PSQL.split(/\s+/).filter(Boolean);
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

/* a browser context logged in as the applicant of client c */
async function contextOf(c, viewport = { width: 1200, height: 900 }, extra = {}) {
    const context = await browser.newContext({ viewport, locale: 'zh-CN', ...extra });
    await signIn(context, c);
    return context;
}

function tmpFile(name, data) {
    const p = path.join(os.tmpdir(), `hall-e2e-${process.pid}-${name}`);
    fs.writeFileSync(p, data);
    return p;
}

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);
const idPhoto = (name, ric) => Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${name}|${ric}\n`)]);

const PERSON = {
    cert_type: 'person', years: '1',
    app_name: '王五', app_ric: '44011320141005001X', app_mobile: '13700137000',
    app_email: 'wang@example.com',
    mail_province: '440000', mail_city: '440300', mail_district: '440305',
    mail_address: '科技园2号', mail_receiver: '王五', mail_mobile: '13700137000',
    shipping: 'collect', invoice: 'no',
};

/* an applicant with a jieyang 自然人证书 order made through the API */
async function personOrder(c) {
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const r = await c.post('/new/apply', { project: 'jieyang', ...PERSON });
    assert.equal(r.status, 200, r.text);
    return r.body.redirect.match(/id=(\d+)/)[1];
}

test('在线认证: the PC page drops an OCR error once a later try succeeds', { skip: SKIP }, async () => {
    const c = await applicant();
    const id = await personOrder(c);
    psql(`UPDATE orders SET step = 'upload', printed_at = now() WHERE id = ${id}`);
    const context = await contextOf(c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/new/identity?id=${id}`);
        await page.locator('.qr svg').waitFor();
        const t = new URL(await page.locator('#mobile-link').getAttribute('href')).searchParams.get('t');
        const phone = new Client();
        await phone.get(`/new/m/verify?t=${t}`);
        let r = await phone.postMultipart('/new/m/ocr', { t }, {
            front: { name: 'f.jpg', data: idPhoto('赵六', PERSON.app_ric) }, back: { name: 'b.jpg', data: BACK } });
        assert.equal(r.status, 400);
        await page.locator('#identity-error').filter({ hasText: '姓名与申请人姓名不一致' }).waitFor();
        await a11y.check(page, '在线认证 with the phone\'s error');
        r = await phone.postMultipart('/new/m/ocr', { t }, {
            front: { name: 'f.jpg', data: idPhoto(PERSON.app_name, PERSON.app_ric) },
            back: { name: 'b.jpg', data: BACK } });
        assert.equal(r.status, 200, r.text);
        await page.locator('#identity-status').filter({ hasText: '身份证识别通过' }).waitFor();
        assert.equal(await page.locator('#identity-error').textContent(), '',
            'the error of the earlier try is gone beside the success');
        await a11y.check(page, '在线认证, OCR passed');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});

test('打印申请表: Back returns to the same order, a second submit makes no second order', { skip: SKIP }, async () => {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const context = await contextOf(c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/new/apply?project=jieyang`);
        await a11y.check(page, '录入信息');
        await page.selectOption('#cert_type', 'person');
        const fill = async (name, v) => page.locator(`[name="${name}"]`).fill(v);
        await fill('app_name', PERSON.app_name);
        await fill('app_ric', PERSON.app_ric);
        await fill('app_mobile', PERSON.app_mobile);
        await fill('app_email', PERSON.app_email);
        await page.selectOption('select[name="mail_province"]', '440000');
        await page.locator('select[name="mail_city"] option[value="440300"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="mail_city"]', '440300');
        await page.locator('select[name="mail_district"] option[value="440305"]').waitFor({ state: 'attached' });
        await page.selectOption('select[name="mail_district"]', '440305');
        await fill('mail_address', PERSON.mail_address);
        await fill('mail_receiver', PERSON.mail_receiver);
        await fill('mail_mobile', PERSON.mail_mobile);
        await page.check('input[name="invoice"][value="no"]');
        await page.locator('#apply-next').click();
        await page.waitForURL(/\/new\/print\?id=\d+$/);
        const id = new URL(page.url()).searchParams.get('id');
        await a11y.check(page, '打印申请表');

        await page.goBack();
        await page.waitForURL(new RegExp(`/new/apply\\?id=${id}$`));
        assert.equal(await page.locator('input[name="app_name"]').inputValue(), PERSON.app_name,
            'Back shows the order just made, filled in');
        await a11y.check(page, '录入信息 after Back');
        await page.locator('input[name="mail_address"]').fill('科技园3号');
        await page.locator('#apply-next').click();
        await page.waitForURL(new RegExp(`/new/print\\?id=${id}$`));
        await page.locator('td', { hasText: '科技园3号' }).waitFor();
        await a11y.check(page, '打印申请表 after the second submit');
        const owner = psql(`SELECT user_id FROM orders WHERE id = ${id}`);
        assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${owner}`), '1',
            'one order for the two submits');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});

test('缴费: a bad or too large 汇款凭证 is refused on the pay page itself', { skip: SKIP }, async () => {
    const c = await applicant();
    const id = await personOrder(c);
    psql(`UPDATE orders SET status = 'unpaid' WHERE id = ${id}`);
    const context = await contextOf(c);
    const page = await context.newPage();
    a11y.track(page);
    const navigations = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
    try {
        await page.goto(`${HALL}/pay?id=${id}`);
        await a11y.check(page, '缴费');
        const before = navigations.length;
        const form = page.locator('#pay-transfer');
        await form.locator('input[name="voucher"]').setInputFiles(tmpFile('voucher.txt', 'not a picture'));
        await page.click('#pay-transfer-submit');
        await form.locator('.err[data-for="voucher"]').filter({ hasText: /jpg、png、pdf/ }).waitFor();
        await a11y.check(page, '缴费 with the voucher error');
        /* a file beyond what nginx takes at all */
        await form.locator('input[name="voucher"]').setInputFiles(
            tmpFile('big.jpg', Buffer.concat([JPEG, Buffer.alloc(3500 * 1024, 1)])));
        await page.click('#pay-transfer-submit');
        await form.locator('.err[data-for="voucher"]').filter({ hasText: '2MB' }).waitFor();
        assert.equal(navigations.length, before, 'the page stayed: no error page was loaded');
        assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, `/pay?id=${id}`);
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});

test('我的业务单 on a 390-px phone: no horizontal overflow, every action reachable', { skip: SKIP }, async () => {
    const c = await applicant();
    /* a draft (继续办理), an unpaid order (缴费) and a rejected one (编辑), long names */
    const ids = [];
    for (let i = 0; i < 3; i++)
        ids.push(await personOrder(c));
    psql(`UPDATE orders SET subject = '深圳市南山区某某科技创新股份有限公司第' || id || '分公司' WHERE id IN (${ids})`);
    psql(`UPDATE orders SET status = 'unpaid' WHERE id = ${ids[1]}`);
    psql(`UPDATE orders SET status = 'rejected', reject_reason = '资料不清晰' WHERE id = ${ids[2]}`);
    const context = await contextOf(c, { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/center/orders`);
        await page.locator('#orders tr[data-id]').first().waitFor();
        await page.screenshot({ path: path.join(ARTIFACTS, 'pages-orders-390.png'), fullPage: true });
        const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
        assert.ok(width <= 390, `the page is ${width} px wide on a 390-px screen`);
        await a11y.check(page, '我的业务单 at 390 px');
        const links = page.locator('#orders td.actions a');
        const n = await links.count();
        assert.ok(n >= 3, `actions shown: ${n}`);
        for (let i = 0; i < n; i++) {
            const box = await links.nth(i).boundingBox();
            assert.ok(box && box.x >= 0 && box.x + box.width <= 390,
                `action ${await links.nth(i).textContent()} lies within the screen: ${JSON.stringify(box)}`);
        }
        for (const sel of ['#filters button[type="submit"]', '#pager button[type="submit"]', '#nav-orders']) {
            const box = await page.locator(sel).boundingBox();
            assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${sel} within the screen`);
        }
        /* an action works by touch */
        await page.locator(`#orders tr[data-id="${ids[1]}"] td.actions a`, { hasText: '缴费' }).tap();
        await page.waitForURL(new RegExp(`/pay\\?id=${ids[1]}$`));
        const payWidth = await page.evaluate(() => document.scrollingElement.scrollWidth);
        assert.ok(payWidth <= 390, `the pay page is ${payWidth} px wide`);
        await a11y.check(page, '缴费 at 390 px');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});

/* what each cell of #orders' body rows exposes to assistive technology at
 * this width: the text of its accessibility-tree node and its descendants
 * (CDP Accessibility.getFullAXTree), in document order; and its ::before
 * label as drawn (text, colour, width) */
async function cellsExposed(page, cdp, tableSel) {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll',
        { nodeId: root.nodeId, selector: `${tableSel} tbody tr[data-id] > td` });
    const backend = [];
    for (const nodeId of nodeIds)
        backend.push((await cdp.send('DOM.describeNode', { nodeId })).node.backendNodeId);
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const text = (n) => {
        const own = !n.ignored && ['StaticText', 'link'].includes(n.role?.value) ? [n.name?.value ?? ''] : [];
        if (n.role?.value === 'link')
            return own; /* a link's words are its name */
        return own.concat(...(n.childIds ?? []).map((id) => (byId.has(id) ? text(byId.get(id)) : [])));
    };
    const exposed = backend.map((b) => {
        const n = nodes.find((x) => x.backendDOMNodeId === b);
        return n ? { role: n.role?.value, texts: text(n).filter((t) => t.trim() !== '') } : null;
    });
    const drawn = await page.$$eval(`${tableSel} tbody tr[data-id] > td`, (tds) => tds.map((td) => {
        const b = getComputedStyle(td, '::before');
        return { content: b.content, color: b.color, flex: b.flex, display: b.display };
    }));
    return { exposed, drawn };
}

test('我的业务单 at 390 px: each cell shows and reads its column\'s label from the stylesheet, as the data-label of every cell did', { skip: SKIP }, async () => {
    const c = await applicant();
    const ids = [];
    for (let i = 0; i < 3; i++)
        ids.push(await personOrder(c));
    psql(`UPDATE orders SET status = 'unpaid' WHERE id = ${ids[1]}`);
    psql(`UPDATE orders SET status = 'rejected', reject_reason = '资料不清晰' WHERE id = ${ids[2]}`);
    const context = await contextOf(c, { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/center/orders`);
        await page.locator('#orders tr[data-id]').first().waitFor();
        await a11y.check(page, '我的业务单 at 390 px');
        const heads = await page.$$eval('#orders thead th', (ths) => ths.map((th) => th.textContent));
        assert.deepEqual(heads, ['序号', '申请单号', '业务类型', '主题', '金额', '创建日期', '更新日期', '状态', '操作']);
        /* the page carries no label per cell: the stylesheet has them, by column */
        assert.equal(await page.locator('#orders td[data-label]').count(), 0, 'cells with a data-label of their own');
        const cdp = await context.newCDPSession(page);
        await cdp.send('Accessibility.enable');
        const now = await cellsExposed(page, cdp, '#orders');
        assert.equal(now.exposed.length, 3 * 9);
        now.drawn.forEach((d, i) => assert.equal(d.content, `"${heads[i % 9]}"`, `cell ${i}'s label`));
        /* the same rows as the old markup wrote them (a data-label on every
         * cell, the header's word) in a copy of the table beside it: each
         * cell reads and shows the same */
        await page.evaluate(() => {
            const old = document.querySelector('#orders').cloneNode(true);
            old.id = 'orders-old';
            const words = [...old.querySelectorAll('thead th')].map((th) => th.textContent);
            for (const tr of old.querySelectorAll('tbody tr[data-id]'))
                [...tr.children].forEach((td, i) => td.setAttribute('data-label', words[i]));
            document.querySelector('#orders').after(old);
        });
        const was = await cellsExposed(page, cdp, '#orders-old');
        assert.deepEqual(now.exposed, was.exposed);
        assert.deepEqual(now.drawn, was.drawn);
        /* a cell reads its label before its value: 序号 1, 申请单号 N..., 操作 查看 ... */
        assert.deepEqual(now.exposed[0].texts, ['序号', '1']);
        assert.equal(now.exposed[1].texts[0], '申请单号');
        assert.equal(now.exposed[8].texts[0], '操作');
        assert.ok(now.exposed[8].texts.includes('查看'), JSON.stringify(now.exposed[8]));
        /* on a desktop the table keeps its header row and the cells show no label */
        await page.setViewportSize({ width: 1200, height: 900 });
        await page.evaluate(() => document.querySelector('#orders-old').remove());
        const wide = await cellsExposed(page, cdp, '#orders');
        wide.drawn.forEach((d, i) => assert.equal(d.content, 'none', `cell ${i} at 1200 px`));
        assert.deepEqual(wide.exposed[0].texts, ['1']);
        const { nodes } = await cdp.send('Accessibility.getFullAXTree');
        const headers = nodes.filter((n) => n.role?.value === 'columnheader').map((n) => n.name?.value);
        assert.deepEqual(headers, heads);
        assert.ok(wide.exposed.every((e) => e.role === 'cell'), JSON.stringify(wide.exposed.map((e) => e.role)));
        await a11y.check(page, '我的业务单 at 1200 px');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});

test('湖南: 《证书办理指南》 before the agreements; 发票抬头 defaults to 个人 for a 个人证书', { skip: SKIP }, async () => {
    const c = await applicant();
    const context = await contextOf(c);
    const page = await context.newPage();
    a11y.track(page);
    try {
        await page.goto(`${HALL}/hunan/new`);
        await page.locator('#guide summary', { hasText: '请先阅读《证书办理指南》' }).waitFor();
        assert.ok(await page.locator('#guide .guide-body').isVisible(), 'the guide is open to read');
        await a11y.check(page, '湖南 协议 with the guide');
        await page.locator('input[name="agree1"]').check();
        await page.locator('input[name="agree2"]').check();
        await page.locator('#agree button[type="submit"]').click();
        await page.waitForURL(/\/hunan\/new\/apply/);
        await a11y.check(page, '湖南 录入信息');
        const title = (v) => page.locator(`input[name="invoice_title_type"][value="${v}"]`);
        assert.equal(await title('org').isChecked(), true, '机构证书: 单位');
        await page.selectOption('#cert_type', 'person');
        assert.equal(await title('person').isChecked(), true, '个人证书: 个人');
        await page.selectOption('#cert_type', 'org');
        assert.equal(await title('org').isChecked(), true);
        /* the applicant's own choice stays */
        await title('person').check();
        await page.selectOption('#cert_type', 'person');
        await page.selectOption('#cert_type', 'org');
        assert.equal(await title('person').isChecked(), true, 'a chosen title type is not overridden');
        a11y.assertAllChecked(page);
    } finally {
        await context.close();
    }
});
