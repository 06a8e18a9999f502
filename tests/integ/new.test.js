'use strict';
/*
 * 证书新办 through nginx: project choice, agreements, information entry
 * with its validation, the printed form, and who may see an order.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { Client, applicant } = require('./lib/client');
const { sealStep } = require('./lib/payflow');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

/* a complete organisation application (values pass every check) */
function orgForm(extra = {}) {
    return {
        cert_type: 'org', years: '1',
        org_name: '深圳测试科技有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园1号',
        legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
        agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: '13900139000',
        agent_email: 'agent@example.com', agent_title: '行政专员',
        bank_account_name: '深圳测试科技有限公司', bank_branch_id: '19',
        bank_account: '4000 0210 0910 0123 456',
        mail_province: '440000', mail_city: '440300', mail_district: '440305',
        mail_town: '', mail_address: '科技园1号', mail_postcode: '518057',
        mail_receiver: '李四', mail_mobile: '13900139000', shipping: 'collect',
        invoice: 'yes', invoice_title_type: 'org', invoice_title: '深圳测试科技有限公司',
        invoice_taxid: '91110000600037341L',
        ...extra,
    };
}

function personForm(extra = {}) {
    return {
        cert_type: 'person', years: '2',
        app_name: '王五', app_ric: '44011320141005001x', app_mobile: '13700137000',
        app_email: 'wang@example.com',
        mail_province: '440000', mail_city: '441900', mail_town: '441900003',
        mail_address: '东城街道2号', mail_receiver: '王五', mail_mobile: '13700137000',
        shipping: 'collect', invoice: 'no',
        ...extra,
    };
}

async function agreed(c, project, base = '') {
    const page = await c.get(`${base}/new?project=${project}`);
    assert.equal(page.status, 200);
    const r = await c.post(`${base}/new/agree`, { project, agree1: 'on', agree2: 'on' });
    assert.equal(r.status, 200, r.text);
    return r.body.redirect;
}

test('new_projects__generic_hall__lists_jieyang', async () => {
    const c = await applicant();
    const r = await c.get('/new');
    assert.equal(r.status, 200);
    assert.match(r.text, /揭阳公共资源项目/);
    assert.match(r.text, /href="\/new\?project=jieyang"/);
});

test('new_flow__anonymous__sent_to_login', async () => {
    const c = new Client();
    const r = await c.get('/new/apply?project=jieyang');
    assert.equal(r.status, 303);
    assert.match(r.headers.get('location'), /^\/login\?next=/);
});

test('new_agree__unticked__400_and_apply_redirects_back', async () => {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    const r = await c.post('/new/agree', { project: 'jieyang', agree1: 'on' });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'agree2');
    assert.match(r.body.message, /敏感个人信息授权书/);
    const a = await c.get('/new/apply?project=jieyang');
    assert.equal(a.status, 303, 'apply without agreements goes back to them');
    assert.equal(a.headers.get('location'), '/new?project=jieyang');
});

test('new_agree__accepted__versions_and_ip_recorded', async () => {
    const c = await applicant();
    const next = await agreed(c, 'jieyang');
    assert.equal(next, '/new/apply?project=jieyang');
    const uid = psql(`SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1`);
    const rows = psql(`SELECT agreement_code || ':' || agreement_version || ':' || host(ip) FROM
        agreement_acceptances WHERE user_id = ${uid} ORDER BY agreement_code`);
    assert.match(rows, /cert_service:2026\.3:127\.0\.0\.1/);
    assert.ok(rows.split('\n').length >= 4, rows);
});

test('new_apply__jieyang_org__order_created_priced_and_encrypted', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const page = await c.get('/new/apply?project=jieyang');
    assert.equal(page.status, 200);
    assert.match(page.text, /600\.00元\/1年/);
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    const row = psql(`SELECT status || '|' || amount_fen || '|' || subject || '|' || order_no
        FROM orders WHERE id = ${id}`);
    const [status, amount, subject, no] = row.split('|');
    assert.equal(status, 'draft');
    assert.equal(amount, '60000');
    assert.equal(subject, '深圳测试科技有限公司');
    assert.match(no, /^N\d{8}\d{6}$/);
    /* the form is stored encrypted: no ID number, phone or account in clear */
    const raw = psql(`SELECT encode(form_enc, 'escape') FROM orders WHERE id = ${id}`);
    for (const secret of ['360426199101010071', '13900139000', '4000021009100123456'])
        assert.ok(!raw.includes(secret), 'PII in clear in orders.form_enc');
    const audit = psql(`SELECT action || ':' || coalesce(to_state, '') FROM audit_log
        WHERE entity = 'order' AND entity_id = '${id}'`);
    assert.equal(audit, 'create:draft');

    const pr = await c.get(`/new/print?id=${id}`);
    assert.equal(pr.status, 200);
    assert.ok(pr.text.includes(no), 'order number on the form');
    for (const s of ['授权委托及单位声明', '360426199101010071', '4000021009100123456',
        '中国工商银行深圳南山支行', '广东省深圳市南山区科技园1号', '600.00元'])
        assert.ok(pr.text.includes(s), `printed form shows ${s}`);
});

test('new_apply__years_and_seal__szjsgws_price_includes_seal', async () => {
    const c = await applicant();
    await agreed(c, 'szjsgws', '/szjsgws');
    await sealStep(c, 'yes');
    const page = await c.get('/szjsgws/new/apply?project=szjsgws');
    assert.equal(page.status, 200);
    assert.match(page.text, /电子签章办理：是/);
    assert.match(page.text, /送好礼/, 'promotion popup text from partner data');
    const r = await c.post('/szjsgws/new/apply', orgForm({ years: '3' }));
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    /* (480 + 100 seal) x 3 years */
    assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '174000');
});

test('new_apply__person_certificate__no_unit_groups_needed', async () => {
    const c = await applicant();
    await agreed(c, 'hunan', '/hunan');
    const r = await c.post('/hunan/new/apply', personForm());
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.equal(psql(`SELECT cert_type || '|' || amount_fen || '|' || subject FROM orders
        WHERE id = ${id}`), 'person|70000|王五');
    const pr = await c.get(`/hunan/new/print?id=${id}`);
    assert.ok(pr.text.includes('申请人声明'));
    assert.ok(!pr.text.includes('授权委托及单位声明'));
    assert.ok(pr.text.includes('44011320141005001X'), 'normalised upper-case X');
});

/* one bad value per field group: 400 naming the field, nothing written */
const badCases = [
    ['cert_type', { cert_type: 'vip' }, /证书类型/],
    ['years', { years: '6' }, /证书年限/],
    ['org_id', { org_id: '91110000600037341A' }, /统一社会信用代码/],
    ['legal_ric', { legal_ric: '360426199101010072' }, /法人身份证号码/],
    ['agent_mobile', { agent_mobile: '1234' }, /经办人移动电话/],
    ['agent_email', { agent_email: 'not-an-email' }, /邮箱/],
    ['bank_account_name', { bank_account_name: '别的公司' }, /基本户名称须与机构名称一致/],
    ['bank_branch_id', { bank_branch_id: '999999' }, /开户行/],
    ['bank_account', { bank_account: '12ab' }, /基本户账号/],
    ['mail_city', { mail_city: '110100' }, /地区不一致/],
    ['mail_district', { mail_district: '' }, /区县/],
    ['mail_postcode', { mail_postcode: '99999' }, /邮政编码/],
    ['invoice_taxid', { invoice_taxid: '' }, /纳税人识别号/],
    ['shipping', { shipping: 'prepaid' }, /到付/],
    ['org_name', { org_name: '' }, /请填写机构名称/],
];

test('new_apply__bad_value_per_group__400_names_field_writes_nothing', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const uid = psql(`SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1`);
    for (const [field, change, msg] of badCases) {
        const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm(change) });
        assert.equal(r.status, 400, `${field}: ${r.text}`);
        assert.equal(r.body.field, field, `${field}: ${r.text}`);
        assert.match(r.body.message, msg, field);
    }
    assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${uid}`), '0');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE actor = 'user:${uid}'
        AND entity = 'order'`), '0');
});

test('new_apply__edit_keeps_revisions', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    const edit = await c.get(`/new/apply?id=${id}`);
    assert.equal(edit.status, 200);
    assert.ok(edit.text.includes('value="南山区科技园1号"'), 'going back keeps what was entered');
    const r2 = await c.post('/new/apply', { id, ...orgForm({ years: '2' }) });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(psql(`SELECT form_rev || '|' || amount_fen FROM orders WHERE id = ${id}`), '2|120000');
    assert.equal(psql(`SELECT count(*) FROM order_revisions WHERE order_id = ${id}`), '2');
});

test('new_order__another_users_order__404', async () => {
    const a = await applicant();
    await agreed(a, 'jieyang');
    const r = await a.post('/new/apply', { project: 'jieyang', ...orgForm() });
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    const b = await applicant();
    assert.equal((await b.get(`/new/print?id=${id}`)).status, 404);
    assert.equal((await b.get(`/new/apply?id=${id}`)).status, 404);
    await agreed(b, 'jieyang');
    const w = await b.post('/new/apply', { id, ...orgForm({ years: '5' }) });
    assert.equal(w.status, 404);
    assert.equal(psql(`SELECT years FROM orders WHERE id = ${id}`), '1');
});

test('new_apply__no_csrf__403', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() }, { csrf: false });
    assert.equal(r.status, 403);
});

test('new_printed__confirms_step', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    const p = await c.post('/new/printed', { id });
    assert.equal(p.status, 200, p.text);
    assert.equal(psql(`SELECT step || '|' || (printed_at IS NOT NULL) FROM orders WHERE id = ${id}`),
        'print|true');
});

test('new_lookups__divisions_cascade_and_bank_search', async () => {
    const c = await applicant();
    const p = await c.getJSON('/new/divisions');
    assert.ok(p.body.items.some((x) => x.code === '440000' && x.name === '广东省'));
    const d = await c.getJSON('/new/divisions?parent=440300');
    assert.ok(d.body.items.some((x) => x.name === '南山区'));
    const b = await c.getJSON('/new/banks?q=' + encodeURIComponent('工商 南山'));
    assert.equal(b.body.items[0].name, '中国工商银行深圳南山支行');
    const bad = await c.getJSON('/new/divisions?parent=abc');
    assert.equal(bad.status, 400);
});

test('center_orders__filters_pagination_and_own_orders_only', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const ids = [];
    for (let i = 0; i < 3; i++) {
        const r = await c.post('/new/apply', { project: 'jieyang',
            ...orgForm({ org_name: `分页测试${i}公司`, bank_account_name: `分页测试${i}公司` }) });
        assert.equal(r.status, 200, r.text);
        ids.push(r.body.redirect.match(/id=(\d+)/)[1]);
    }
    /* 22 more rows straight into the table: two pages */
    const uid = psql(`SELECT user_id FROM orders WHERE id = ${ids[0]}`);
    psql(`INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
            years, subject, cert_fen, created_at)
          SELECT 'T' || ${uid} || '-' || g, ${uid}, 'jieyang', 'new', product_id, 'org', 1,
                 '批量' || g, 60000, now() - make_interval(days => g)
            FROM orders, generate_series(1, 22) g WHERE id = ${ids[0]}`);
    const p1 = await c.getJSON('/center/orders');
    assert.equal(p1.status, 200);
    assert.equal(p1.body.total, 25);
    assert.equal(p1.body.pages, 2);
    assert.equal(p1.body.orders.length, 20);
    assert.equal(p1.body.orders[0].status, '填写中');
    assert.ok(p1.body.orders[0].actions.some((a) => a.label === '编辑'));
    const p2 = await c.getJSON('/center/orders?page=2');
    assert.equal(p2.body.orders.length, 5);
    assert.equal(p2.body.orders[0].seq, 21);
    const f = await c.getJSON('/center/orders?subject=' + encodeURIComponent('分页测试1'));
    assert.equal(f.body.total, 1);
    assert.equal(f.body.orders[0].subject, '分页测试1公司');
    const byNo = await c.getJSON('/center/orders?order_no=T' + uid + '-3');
    assert.equal(byNo.body.total, 1);
    const old = new Date(Date.now() - 10 * 86400e3).toISOString().slice(0, 10);
    const ranged = await c.getJSON(`/center/orders?to=${old}`);
    assert.ok(ranged.body.total >= 12 && ranged.body.total <= 13, String(ranged.body.total));
    const st = await c.getJSON('/center/orders?status=review');
    assert.equal(st.body.total, 0);
    const bad = await c.getJSON('/center/orders?status=nonsense');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'status');
    const badDate = await c.getJSON('/center/orders?from=2024-13-01');
    assert.equal(badDate.status, 400);
    /* the page itself: columns of the seeds */
    const html = await c.get('/center/orders');
    for (const col of ['序号', '申请单号', '业务类型', '主题', '金额', '创建日期', '更新日期', '状态', '操作'])
        assert.ok(html.text.includes(`<th>${col}</th>`), col);
    const other = await applicant();
    const o = await other.getJSON('/center/orders');
    assert.equal(o.body.total, 0);
    assert.equal((await other.get(`/center/order?id=${ids[0]}`)).status, 404);
    const mine = await c.get(`/center/order?id=${ids[0]}`);
    assert.equal(mine.status, 200);
    assert.match(mine.text, /填写中/);
});

test('center_refund__only_when_the_state_machine_allows', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    await c.get(`/center/order?id=${id}`);
    const early = await c.post('/center/refund', { id, reason: '不需要了' });
    assert.equal(early.status, 409, 'a draft cannot be refunded');
    psql(`UPDATE orders SET status = 'review' WHERE id = ${id}`);
    /* what is refunded is a payment: an order in review has one */
    psql(`INSERT INTO payments (order_id, attempt, method, amount_fen, status, out_trade_no, paid_at)
        VALUES (${id}, 1, 'alipay', 60000, 'paid', 'TEST-REFUND-${id}', now())`);
    const noReason = await c.post('/center/refund', { id, reason: '' });
    assert.equal(noReason.status, 400);
    assert.equal(noReason.body.field, 'reason');
    const ok = await c.post('/center/refund', { id, reason: '项目取消' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'refund_requested');
    assert.equal(psql(`SELECT from_state || '>' || to_state FROM audit_log WHERE entity = 'order'
        AND entity_id = '${id}' AND action = 'status'`), 'review>refund_requested');
    const again = await c.post('/center/refund', { id, reason: '项目取消' });
    assert.equal(again.status, 409);
});

test('new_apply__org_person_certificate__unit_and_applicant_both_required', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const missing = await c.post('/new/apply', { project: 'jieyang', ...orgForm({ cert_type: 'org_person' }) });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.field, 'app_name', 'the person inside the organisation is required');
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm({ cert_type: 'org_person',
        app_name: '赵六', app_ric: '44011320141005001X', app_mobile: '13700137001',
        app_email: 'zhao@example.com' }) });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.equal(psql(`SELECT cert_type || '|' || subject FROM orders WHERE id = ${id}`),
        'org_person|深圳测试科技有限公司');
    const pr = await c.get(`/new/print?id=${id}`);
    for (const s of ['机构个人证书', '授权委托及单位声明', '申请人信息', '赵六', '经办人信息'])
        assert.ok(pr.text.includes(s), s);
    await c.post('/new/printed', { id });
    const up = await c.get(`/new/upload?id=${id}`);
    for (const k of ['application', 'license', 'agent_id', 'applicant_id'])
        assert.ok(up.text.includes(`data-kind="${k}"`), k);
});

test('new_apply__prepaid_shipping__fee_from_courier_quote_added_to_bill', async () => {
    const c = await applicant();
    await agreed(c, 'hall');
    const q = await c.getJSON('/new/shipping?province=440000&city=440300&district=440305');
    assert.equal(q.status, 200);
    assert.equal(q.body.prepaid, true);
    assert.equal(q.body.fee_fen, 1300);
    const remote = await c.getJSON('/new/shipping?province=650000&city=650100');
    assert.equal(remote.body.prepaid, false);
    assert.match(remote.body.carrier, /顺丰/);
    const r = await c.post('/new/apply', { project: 'hall', ...orgForm({ shipping: 'prepaid' }) });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    /* hall organisation certificate 480 + 13 prepaid */
    assert.equal(psql(`SELECT cert_fen || '|' || shipping_fen || '|' || amount_fen FROM orders
        WHERE id = ${id}`), '48000|1300|49300');
    const pr = await c.get(`/new/print?id=${id}`);
    assert.ok(pr.text.includes('493.00元'));
    assert.ok(pr.text.includes('寄付'));
    /* a remote address cannot be prepaid: 400 on shipping, nothing written */
    const far = await c.post('/new/apply', { project: 'hall', ...orgForm({ shipping: 'prepaid',
        mail_province: '650000', mail_city: '650100', mail_district: '650102' }) });
    assert.equal(far.status, 400, far.text);
    assert.equal(far.body.field, 'shipping');
    assert.match(far.body.message, /顺丰速运到付/);
    /* collect (到付) adds nothing */
    const col = await c.post('/new/apply', { id, ...orgForm({ shipping: 'collect' }) });
    assert.equal(col.status, 200);
    assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '48000');
});

/* issue 8: a submit with several bad fields gets every error back at once,
 * each naming its field, the first also as field/message; nothing written */
test('new_apply__several_bad_fields__all_errors_at_once', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const uid = psql(`SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1`);
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm({
        years: '9', org_id: '91110000600037341A', legal_ric: '360426199101010072',
        agent_mobile: '1234', agent_title: '', bank_account: '12ab', mail_postcode: '99999',
        bank_branch_id: '999999',
    }) });
    assert.equal(r.status, 400, r.text);
    const fields = r.body.errors.map((e) => e.field);
    for (const f of ['years', 'org_id', 'legal_ric', 'agent_mobile', 'agent_title',
        'bank_account', 'mail_postcode', 'bank_branch_id'])
        assert.ok(fields.includes(f), `${f} in ${JSON.stringify(r.body.errors)}`);
    assert.equal(r.body.field, 'years', 'the first error is the one named first');
    assert.equal(r.body.errors[0].message, r.body.message);
    assert.match(r.body.errors.find((e) => e.field === 'agent_title').message, /请填写经办人职务/);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${uid}`), '0');
});

/* issue 7, item 18: 职务 is required (marked *) */
test('new_apply__agent_title_missing__400_and_marked_required', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const page = await c.get('/new/apply?project=jieyang');
    assert.match(page.text, /\* 职务<input name="agent_title"/);
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm({ agent_title: ' ' }) });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'agent_title');
    assert.equal(r.body.message, '请填写经办人职务');
});

/* issue 7, item 18: the agreements' texts are readable before accepting */
test('new_agree__page_shows_each_agreement_text', async () => {
    const c = await applicant();
    const page = await c.get('/new?project=jieyang');
    assert.equal(page.status, 200);
    assert.match(page.text, /<details class="agreement" id="agreement-cert_service">/);
    assert.match(page.text, /用户在申请数字证书时，须按照SZCA的有关规定办理申请/);
    assert.match(page.text, /id="agreement-sensitive_pi_authorization"/);
});

/* issue 63 §6: the privacy texts an applicant reads are real, not the
 * sandbox's placeholders: what, why, how long, who receives it, the rights */
test('new_agree__privacy_texts__say_what_why_how_long_who_and_the_rights', async () => {
    const c = await applicant();
    const bodies = (html) => Object.fromEntries([...html.matchAll(
        /<details class="agreement" id="agreement-([a-z_]+)">[\s\S]*?<div class="agreement-body"[^>]*>([\s\S]*?)<\/div>/g)]
        .map((m) => [m[1], m[2]]));
    const hall = bodies((await c.get('/new?project=jieyang')).text);
    const gws = bodies((await c.get('/szjsgws/new?project=szjsgws')).text);
    assert.deepEqual(Object.keys(gws).sort(),
        ['cert_service', 'pi_authorization', 'sensitive_pi_authorization', 'szjsgws_privacy']);
    for (const [code, body] of [...Object.entries(hall), ...Object.entries(gws)].filter(([k]) => k !== 'cert_service')) {
        assert.doesNotMatch(body, /上线前须替换|沙箱版本|不具有法律效力/, code);
        assert.match(body, /400-112-3838/, `${code}: how to exercise the rights`);
        assert.match(body, /五年/, `${code}: how long it is kept`);
    }
    const policy = hall.privacy_policy;
    for (const who of ['短信服务商', '身份核验服务商', '银行', '支付机构', '电子发票', '快递公司', '合作平台'])
        assert.ok(policy.includes(who), `the policy names ${who}`);
    for (const right of ['查阅、复制', '更正、补充', '删除', '撤回同意', '注销账号'])
        assert.ok(policy.includes(right), `the policy names the right to ${right}`);
    /* the separate consent PIPL art. 29 asks for sensitive data */
    assert.match(hall.sensitive_pi_authorization, /第二十九条[\s\S]*单独同意/);
    assert.match(gws.szjsgws_privacy, /建筑工务署/);
});

/* the generic HTML page (no JavaScript) lists every error too */
test('new_apply__several_bad_fields__html_page_lists_them', async () => {
    const c = await applicant();
    await agreed(c, 'jieyang');
    const body = new URLSearchParams({ project: 'jieyang', _csrf: c.csrf,
        ...orgForm({ agent_title: '', mail_postcode: '99999' }) });
    const res = await fetch(c.base + '/new/apply', { method: 'POST', body, redirect: 'manual',
        headers: { Cookie: c.cookieHeader(), Accept: 'text/html',
            'Content-Type': 'application/x-www-form-urlencoded' } });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.match(text, /请填写经办人职务/);
    assert.match(text, /邮政编码应为6位数字/);
});
