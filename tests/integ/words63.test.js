'use strict';
/*
 * Issue 63 §6, the seeds' last words and small confusions, through nginx:
 * - 是否办理电子签章 names the seal's price (the product's
 *   seal_fee_per_year_fen, never a figure of the template) and what a seal
 *   is for (seed 001: 相当于单位公章使用);
 * - the order's 金额 lists every part of what is charged (证书费, 介质费,
 *   电子签章, 邮费), adding up to the total that is paid;
 * - the bundled 机构章, which has no 印章名称 of its own, is shown with the
 *   unit's name and its kind;
 * - the collection form is 电子签章采集表 (seed 001) and nothing else, but
 *   on 建筑工务署's 上传资料, whose guide (seed 003) names it 《数字证书印模
 *   采集表》 (sql/182; issue 72 §4): the row says that name, the template
 *   the hall's 电子签章采集表;
 * - the 电子签章 form's tax hint is seed 001's;
 * - a rejection reason quoting an ID number is not in clear in the
 *   database, is shown whole to the applicant and the reviewer, and is
 *   masked in the audit row; a reason written before is moved at start.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, freshPhone } = require('./lib/client');
const { psql, orgForm, inReview, staffLogin } = require('./lib/payflow');
const { pkitool } = require('./lib/pki');

const BASE = '/szjsgws';

async function sealOrder(years = '1') {
    const c = await applicant();
    assert.equal((await c.get(`${BASE}/new?project=szjsgws`)).status, 200);
    assert.equal((await c.post(`${BASE}/new/agree`, { project: 'szjsgws', agree1: 'on', agree2: 'on' })).status, 200);
    const step = await c.get(`${BASE}/new/seal?project=szjsgws`);
    assert.equal((await c.post(`${BASE}/new/seal`, { project: 'szjsgws', seal: 'yes' })).status, 200);
    const r = await c.post(`${BASE}/new/apply`, orgForm({ project: 'szjsgws', years,
        agent_mobile: freshPhone('137') }));
    assert.equal(r.status, 200, r.text);
    return { c, step, id: r.body.redirect.match(/id=(\d+)/)[1] };
}

test('words63__seal_step_names_the_price_from_the_product_and_what_a_seal_is_for', async () => {
    const { step } = await sealOrder();
    const fen = Number(psql(`SELECT max(seal_fee_per_year_fen) FROM products
        WHERE partner_code = 'szjsgws' AND business_type = 'new' AND active`));
    assert.ok(fen > 0);
    const yuan = (fen / 100).toFixed(2);
    assert.match(step.text, new RegExp(`id="seal-fee">电子签章费用：${yuan.replace('.', '\\.')}元/年`));
    assert.match(step.text, /id="seal-what">[^<]*相当于单位公章使用/);
});

test('words63__order_amount_lists_every_part_with_the_seal_and_adds_up', async () => {
    const { c, id } = await sealOrder('2');
    const page = await c.get(`/center/order?id=${id}`);
    assert.equal(page.status, 200);
    const amount = page.text.match(/<dd id="amount">([^<]*)<\/dd>/)[1];
    const [cert, ship, total] = psql(`SELECT cert_fen || '|' || shipping_fen || '|' || amount_fen
        FROM orders WHERE id = ${id}`).split('|').map(Number);
    assert.equal(cert, 116000, '(380 + 100 + 100) × 2');
    assert.ok(amount.startsWith(`${(total / 100).toFixed(2)}元（证书费760.00元，介质费200.00元，电子签章200.00元，`),
        amount);
    assert.ok(!/（证书1160\.00元/.test(amount), 'not the certificate alone');
    assert.ok(amount.includes(ship ? `邮费${(ship / 100).toFixed(2)}元` : '邮费'), amount);
});

test('words63__bundled_org_seal_named_by_its_unit_on_my_seals', async () => {
    const { c, id } = await sealOrder();
    const subject = psql(`SELECT subject FROM orders WHERE id = ${id}`);
    /* the bundled seal's row as production writes it (core/biz/sealprod.c
     * sp_bundle_item): no seal_name */
    psql(`INSERT INTO seal_items (order_id, kind, position, product_id, years, style, price_fen)
        SELECT id, 'org', 0, product_id, years, 'auto', 10000 FROM orders WHERE id = ${id}`);
    const page = await c.get(`${BASE}/seal/seals?id=${id}`);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    assert.match(page.text, new RegExp(`<td[^>]*>机构章</td><td[^>]*>${subject}机构章</td>`));
    assert.equal(psql(`SELECT seal_shown_name('org', NULL, ${id})`), `${subject}机构章`);
    /* a 机构章 given a name keeps it */
    assert.equal(psql(`SELECT seal_shown_name('org', '财务专用章', ${id})`), '财务专用章');
});

test('words63__collection_form_is_电子签章采集表_everywhere_it_is_named', async () => {
    const { c, id } = await sealOrder();
    assert.equal((await c.post(`${BASE}/new/printed`, { id })).status, 200);
    const up = await c.get(`${BASE}/new/upload?id=${id}`);
    assert.equal(up.status, 200);
    /* 建筑工务署: seed 003's name on the row, the template's name beside it */
    assert.match(up.text, /id="material-seal_form">\* 数字证书印模采集表</, 'the upload row names it as seed 003');
    assert.ok(up.text.includes('（即电子签章采集表）模板'), 'the template is the 电子签章采集表');
    assert.ok(!up.text.includes('数字证书印章采集表'), 'not 数字证书印章采集表');
    /* 湖南's guide, on its agreements page (sql/023, sql/154) */
    const guide = await c.get('/hunan/new?project=hunan');
    assert.equal(guide.status, 200);
    const body = guide.text.match(/<details class="guide" id="guide"[\s\S]*?<\/details>/)[0];
    assert.ok(body.includes('申请表扫描件、营业执照扫描件、电子签章采集表'), '湖南\'s guide');
    assert.ok(!body.includes('数字证书印章采集表'));
    const tpl = await c.get(`${BASE}/seal/collect-form?id=${id}`);
    assert.equal(tpl.status, 200);
    /* the file offered for download has the same name (UTF-8 bytes in the header) */
    const cd = Buffer.from(tpl.headers.get('content-disposition') || '', 'latin1').toString('utf8');
    assert.match(cd, /filename="电子签章采集表-N\d+\.pdf"/);
});

test('words63__seal_form_tax_hint_is_seed_001s', async () => {
    const c = await applicant();
    await c.get('/seal?project=hall');
    assert.equal((await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const apply = await c.get('/seal/apply?project=hall');
    assert.equal(apply.status, 200);
    assert.match(apply.text, /id="taxid-hint">温馨提示：开票名称为机构、企业单位时，纳税人识别号为必填项，请正确填写。</);
    assert.ok(!apply.text.includes('否则无法作为报销凭证（个人、政府机关可不填写）'), 'not seed 000\'s');
    /* the certificate forms keep seed 000's / 004's */
    const n = await applicant();
    await n.get('/new?project=jieyang');
    assert.equal((await n.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' })).status, 200);
    const form = await n.get('/new/apply?project=jieyang');
    assert.match(form.text, /id="taxid-hint">温馨提示：电子发票纳税人识别号请务必正确填写/);
});

test('words63__reject_reason_with_an_id_number__encrypted_at_rest__whole_to_the_applicant__masked_in_audit', async () => {
    const o = await inReview(orgForm());
    const ric = '440301199003070036';
    const reason = `经办人身份证号${ric}与复印件不符，请重新上传`;
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    const r = await rv.post('/admin/order/reject', { id: o.id, reason });
    assert.equal(r.status, 200, r.text);
    /* the database: nowhere in clear */
    assert.equal(psql(`SELECT count(*) FROM orders WHERE id = ${o.id}
        AND (reject_reason LIKE '%${ric}%' OR reject_reason_enc IS NULL)`), '0');
    assert.equal(psql(`SELECT position('${ric}' IN encode(reject_reason_enc, 'escape')) FROM orders
        WHERE id = ${o.id}`), '0');
    assert.equal(psql(`SELECT reject_reason FROM orders WHERE id = ${o.id}`),
        '经办人身份证号******************与复印件不符，请重新上传');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${o.id}'
        AND detail::text LIKE '%${ric}%'`), '0');
    assert.equal(psql(`SELECT detail->>'reason' FROM audit_log WHERE entity = 'order'
        AND entity_id = '${o.id}' AND action = 'status' AND to_state = 'rejected'`),
        '经办人身份证号******************与复印件不符，请重新上传');
    assert.equal(psql(`SELECT count(*) FROM partner_events WHERE order_id = ${o.id}
        AND data::text LIKE '%${ric}%'`), '0');
    /* the applicant reads it whole, and the reviewer */
    const page = await o.c.get(`/center/order?id=${o.id}`);
    assert.ok(page.text.includes(reason), 'the applicant sees the reason as written');
    const staffPage = await rv.getJSON(`/admin/order?id=${o.id}`);
    assert.ok(JSON.stringify(staffPage.body).includes(reason), 'the reviewer too');
});

test('words63__reason_written_before_is_encrypted_and_masked_at_start', async () => {
    const o = await inReview(orgForm());
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    assert.equal((await rv.post('/admin/order/reject', { id: o.id, reason: '营业执照不清晰' })).status, 200);
    /* as an older hall left it: in clear, nothing encrypted */
    const ric = '440301199003070036';
    const old = `身份证号${ric}不符`;
    psql(`UPDATE orders SET reject_reason = '${old}', reject_reason_enc = NULL WHERE id = ${o.id}`);
    const run = pkitool(['partner-secrets']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /rejection reasons: [1-9]\d* moved from clear to encrypted/);
    assert.equal(psql(`SELECT reject_reason || '|' || (reject_reason_enc IS NOT NULL) FROM orders
        WHERE id = ${o.id}`), '身份证号******************不符|true');
    assert.ok((await o.c.get(`/center/order?id=${o.id}`)).text.includes(old));
    /* once: nothing left to move for this order */
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reject_reason IS NOT NULL
        AND reject_reason_enc IS NULL`), '0');
});
