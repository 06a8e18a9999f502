'use strict';
/*
 * Issue 63 §6, layout, in headless Chromium by the boxes the page draws:
 * - 在线盖章's 骑缝章 checkbox sits on its label's line, before it (it was
 *   centred alone above the label);
 * - 我的电子印章's headers stay on one line at 1200 px (they wrapped a
 *   character a line), and at a phone's width the table becomes cards
 *   that fit the screen, each value with its label;
 * - a red value of 业务单详情 (证书状态 after a 变更, 驳回原因: dd.err) starts
 *   where the other values start (it was set left of the value column).
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { HALL, applicant, freshPhone } = require('../integ/lib/client');
const { psql, orgForm } = require('../integ/lib/payflow');
const { launchChromium, signIn } = require('./lib/browser');

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

/* a 建筑工务署 order with its 电子签章 and the bundled 机构章's row */
async function orderWithSeal() {
    const c = await applicant();
    await c.get('/szjsgws/new?project=szjsgws');
    assert.equal((await c.post('/szjsgws/new/agree', { project: 'szjsgws', agree1: 'on', agree2: 'on' })).status, 200);
    assert.equal((await c.post('/szjsgws/new/seal', { project: 'szjsgws', seal: 'yes' })).status, 200);
    const r = await c.post('/szjsgws/new/apply', orgForm({ project: 'szjsgws', years: '1',
        agent_mobile: freshPhone('137') }));
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    psql(`INSERT INTO seal_items (order_id, kind, position, product_id, years, style, price_fen)
        SELECT id, 'org', 0, product_id, years, 'auto', 10000 FROM orders WHERE id = ${id}`);
    return { c, id };
}

async function pageFor(c, width) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
    await signIn(context, c);
    return context.newPage();
}

test('words63__qifeng_checkbox_inline_before_its_label', { skip: SKIP }, async () => {
    const c = await applicant();
    const page = await pageFor(c, 1200);
    try {
        await page.goto(`${HALL}/seal/stamp`);
        const box = await page.locator('#stamp-qifeng').boundingBox();
        const label = await page.locator('label[for="stamp-qifeng"]').boundingBox();
        assert.ok(box && label, 'both drawn');
        assert.ok(box.width < 40, `the checkbox is a box, not a ${box.width}px line`);
        /* on the label's line, before its words */
        assert.ok(box.y >= label.y - 2 && box.y + box.height <= label.y + label.height + 2,
            `checkbox ${JSON.stringify(box)} on the line of ${JSON.stringify(label)}`);
        const words = await page.locator('label[for="stamp-qifeng"]').evaluate((el) => {
            const r = document.createRange();
            const t = [...el.childNodes].find((n) => n.nodeType === 3 && n.textContent.trim());
            r.selectNodeContents(t);
            return r.getBoundingClientRect().left;
        });
        assert.ok(box.x + box.width <= words, 'the checkbox comes before 加盖骑缝章');
        assert.ok(box.x < label.x + 10, 'at the start of the line, not centred');
    } finally {
        await page.context().close();
    }
});

test('words63__my_seals_headers_one_line_at_1200__cards_that_fit_on_a_phone', { skip: SKIP }, async () => {
    const { c, id } = await orderWithSeal();
    let page = await pageFor(c, 1200);
    try {
        await page.goto(`${HALL}/szjsgws/seal/seals?id=${id}`);
        const heads = await page.locator('#seal-list thead th').evaluateAll((ths) => ths.map((th) => ({
            text: th.textContent, h: th.getBoundingClientRect().height,
            line: parseFloat(getComputedStyle(th).lineHeight) || parseFloat(getComputedStyle(th).fontSize) * 1.6 })));
        assert.equal(heads.length, 7);
        for (const h of heads)
            assert.ok(h.h < h.line * 1.9 + 12, `${h.text}: ${h.h}px high, one line is ${h.line}px`);
    } finally {
        await page.context().close();
    }
    page = await pageFor(c, 375);
    try {
        await page.goto(`${HALL}/szjsgws/seal/seals?id=${id}`);
        const fit = await page.evaluate(() => ({
            doc: document.documentElement.scrollWidth, vw: window.innerWidth,
            table: document.getElementById('seal-list').getBoundingClientRect().right }));
        assert.ok(fit.doc <= fit.vw + 1 && fit.table <= fit.vw + 1, `fits the phone: ${JSON.stringify(fit)}`);
        /* each value with its label, the label on one line */
        const cells = await page.locator('#seal-list tbody tr:first-child td').evaluateAll((tds) => tds.map((td) => ({
            label: getComputedStyle(td, '::before').content,
            h: td.getBoundingClientRect().height })));
        assert.deepEqual(cells.slice(0, 4).map((x) => x.label), ['"序号"', '"印章类型"', '"印章名称"', '"印章编码"']);
        for (const x of cells.slice(0, 2))
            assert.ok(x.h < 40, `a short value on one line (${x.h}px)`);
    } finally {
        await page.context().close();
    }
});

test('words63__red_detail_row_aligned_with_the_value_column', { skip: SKIP }, async () => {
    const { c, id } = await orderWithSeal();
    /* the red rows share dd.err: 驳回原因 here, 证书状态 after a 变更 */
    psql(`UPDATE orders SET status = 'rejected', reject_reason = '营业执照未加盖公章' WHERE id = ${id}`);
    const page = await pageFor(c, 1200);
    try {
        await page.goto(`${HALL}/center/order?id=${id}`);
        const value = await page.locator('#order-no').boundingBox();
        const red = await page.locator('dl.detail dd.err').first().boundingBox();
        assert.ok(red, 'the red row is drawn');
        assert.ok(Math.abs(red.x - value.x) <= 1, `red row at x=${red.x}, the values at x=${value.x}`);
    } finally {
        await page.context().close();
    }
});
