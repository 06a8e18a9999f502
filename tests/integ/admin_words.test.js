'use strict';
/*
 * The console speaks to staff in words, not in the hall's internal values:
 * the reviewer's order page (no bank or region codes, no `carrier`, no row
 * twice), 证书管理 (the state and the CA in words), the report page
 * (amounts in 元) and 待批准 (a large refund names its order).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, freshPhone } = require('./lib/client');
const {
    psql, personForm, orgForm, unpaidOrder, waitStatus, payOnline, confirmTrade, staffLogin,
} = require('./lib/payflow');
const { acceptedByTransfer, operator, reviewer } = require('./lib/pki');

const SKIP = !process.env.HALL_URL;

/* the text of an HTML fragment, tags dropped */
const text = (html) => html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();

test('reviewer order page: regions and banks by name, no codes, no carrier, no row twice', { skip: SKIP }, async () => {
    const o = await acceptedByTransfer();
    const rv = await reviewer();
    const page = await rv.get(`/admin/order?id=${o.id}`);
    assert.equal(page.status, 200);
    const table = page.text.match(/<table class="form" id="form-fields">([\s\S]*?)<\/table>/)[1];
    const rows = [...table.matchAll(/<tr data-field="([^"]+)"[^>]*><td>([^<]*)<\/td><td>([\s\S]*?)<\/td><\/tr>/g)]
        .map((m) => ({ name: m[1], label: m[2], value: text(m[3]) }));
    assert.ok(rows.length > 10, table);
    const names = rows.map((r) => r.name);
    for (const code of ['unit_province', 'unit_city', 'mail_province', 'mail_city', 'mail_district',
        'mail_town', 'bank_id', 'bank_branch_id', 'carrier'])
        assert.ok(!names.includes(code), `${code} is not shown: ${names}`);
    assert.doesNotMatch(table, /（编号）|（代码）|>carrier</);
    const labels = rows.map((r) => r.label);
    assert.deepEqual(labels.filter((l, i) => labels.indexOf(l) !== i), [], 'no label twice');
    const by = Object.fromEntries(rows.map((r) => [r.name, r.value]));
    assert.equal(by.mail_region, '广东省深圳市南山区');
    assert.equal(by.unit_region, '广东省深圳市');
    assert.match(by.bank_branch_name, /银行/);
    assert.match(by.shipping, /到付$/);
    for (const r of rows.filter((x) => x.name !== 'mail_postcode'))
        assert.doesNotMatch(r.value, /^\d{2,9}$/, `${r.label}: ${r.value} is not a code`);
});

test('reviewer order page: 证书算法 closes 证书信息, no one-row 其他 heading', { skip: SKIP }, async () => {
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: '4000021009100123456', ca: 'sm2' }) });
    const rv = await reviewer();
    const page = await rv.get(`/admin/order?id=${o.id}`);
    assert.equal(page.status, 200);
    const table = page.text.match(/<table class="form" id="form-fields">([\s\S]*?)<\/table>/)[1];
    /* the headings and rows in order: each row under the last heading */
    const seq = [...table.matchAll(/<th colspan="2">([^<]*)<\/th>|<tr data-field="([^"]+)"/g)]
        .map((m) => (m[1] !== undefined ? { head: m[1] } : { field: m[2] }));
    const heads = seq.filter((x) => x.head).map((x) => x.head);
    assert.ok(!heads.includes('其他'), `headings: ${heads}`);
    let under = '';
    const groupOf = {};
    for (const x of seq)
        if (x.head)
            under = x.head;
        else
            groupOf[x.field] = under;
    assert.equal(groupOf.ca, '证书信息', JSON.stringify(groupOf));
    assert.match(table, /<tr data-field="ca"><td>证书算法<\/td><td>SM2（国密算法）/);
});

test('证书管理: the state and the issuing CA in words', { skip: SKIP }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    const page = await op.get(`/admin/pki/certs?serial=${serial}`);
    assert.equal(page.status, 200);
    const detail = page.text.match(/<table class="form" id="cert-detail">([\s\S]*?)<\/table>/)[1];
    assert.match(detail, /<td id="cert-state" data-state="issued">有效<\/td>/);
    assert.match(detail, /<td id="cert-ca">ECC 签发CA（ECDSA P-256）<\/td>/);
    assert.doesNotMatch(text(detail), /\b(issued|revoked|ecc|sm2)\b/);
});

/* a Hunan natural person's order paid online (1,050.00 for 3 years), its refund asked for */
async function refundAsked() {
    const c = await applicant();
    const { id } = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: personForm({ years: '3' }) });
    await confirmTrade(await payOnline(c, id, 'wechat', '/hunan'));
    await waitStatus(id, 'review');
    await c.get(`/center/order?id=${id}`);
    const r = await c.post('/center/refund', { id, reason: '项目取消，不再需要证书' });
    assert.equal(r.status, 200, r.text);
    const rid = Number(psql(`SELECT id FROM refunds WHERE order_id = ${id} AND kind = 'request'
        ORDER BY id DESC LIMIT 1`));
    return { id, rid, no: psql(`SELECT order_no FROM orders WHERE id = ${id}`) };
}

test('待批准: a large refund names its order and links to it; the report page shows 元', { skip: SKIP }, async () => {
    const { id, rid, no } = await refundAsked();
    const f = await staffLogin('finance', 'Finance2026demo');
    const ask = await f.post('/admin/refund/approve', { id: rid });
    assert.equal(ask.status, 200, ask.text);
    const req = ask.body.request_id;
    assert.ok(req > 0, ask.text);
    const f2 = await staffLogin('finance2', 'Finance2026demo2');
    const page = await f2.get('/admin/approvals');
    const row = page.text.match(new RegExp(`<tr data-id="${req}" data-kind="refund">([\\s\\S]*?)</tr>`))[1];
    assert.ok(text(row).includes(`业务单 ${no}：退费编号 ${rid}，金额 1050.00 元`), text(row));
    assert.ok(row.includes(`<a href="/admin/order?id=${id}" class="approval-order">`), row);
    const j = (await f2.getJSON('/admin/approvals')).body.pending.find((r) => r.id === req);
    assert.deepEqual(j.order, { order_no: no, id: Number(id) });

    /* the report page: the paid 1,050.00 counted in 元, never in 分 */
    const rep = await staffLogin('report', 'Report2026demo');
    const r = await rep.get('/report/');
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /（分）|金额单位为分/);
    const orders = r.text.match(/<table class="list report-table" id="table-orders">([\s\S]*?)<\/table>/)[1];
    assert.match(orders, /<th>已缴费金额（元）<\/th>/);
    const total = orders.match(/<tr class="total">([\s\S]*?)<\/tr>/)[1];
    const cells = [...total.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
    assert.match(cells[3], /^\d+\.\d\d$/, `the paid amount in 元: ${cells[3]}`);
    assert.ok(Number(cells[3]) >= 1050, cells[3]);
});
