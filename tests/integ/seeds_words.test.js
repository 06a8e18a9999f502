'use strict';
/*
 * The seeds' pages and words (issue 22 §6): the navigation as seed 004
 * draws it (业务办理 · 大客户专区 · 签名验证 · 常见问题 · 欢迎您！138****1234 ·
 * 个人中心 · 退出), the 常见问题 page from the seeds' FAQ with the hotline and
 * 在线客服, the personal center's own menu and 清空, the hints the seeds
 * print on the form and the upload page, 上一步 on the form, and free text
 * that a spreadsheet would run as a formula refused, naming the field.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant } = require('./lib/client');
const { psql, orgForm, personForm, unpaidOrder, staffLogin, sealStep } = require('./lib/payflow');

const SKIP = !process.env.HALL_VAR;

function masked(phone) {
    return `${phone.slice(0, 3)}****${phone.slice(7)}`;
}

test('nav__seed_004_menu__greets_the_signed_in_phone_masked', { skip: SKIP }, async () => {
    const anon = new Client();
    const a = await anon.get('/');
    assert.equal(a.status, 200);
    for (const id of ['nav-biz', 'nav-channels', 'nav-verify', 'nav-faq', 'nav-login'])
        assert.ok(a.text.includes(`id="${id}"`), `an anonymous visitor's menu has ${id}`);
    assert.ok(!a.text.includes('欢迎您'), 'nobody is greeted before login');

    const c = await applicant();
    const home = await c.get('/');
    assert.match(home.text, new RegExp(`id="nav-who">欢迎您！${masked(c.phone).replace(/\*/g, '\\*')}<`));
    assert.ok(!home.text.includes(c.phone), 'the whole number is not on the page');
    for (const [id, label] of [['nav-biz', '业务办理'], ['nav-channels', '大客户专区'], ['nav-verify', '签名验证'],
        ['nav-faq', '常见问题'], ['nav-orders', '个人中心']])
        assert.match(home.text, new RegExp(`id="${id}">${label}</a>`));
    assert.match(home.text, /id="logout">退出</);
    /* a partner's hall keeps its own paths */
    const hunan = await c.get('/hunan/');
    assert.match(hunan.text, /href="\/hunan\/faq" id="nav-faq"/);
    /* the session row keeps only the mask */
    assert.equal(psql(`SELECT count(*) FROM sessions WHERE who LIKE '%${c.phone}%'`), '0');
});

test('faq__the_seeds_answers_hotline_and_online_service', { skip: SKIP }, async () => {
    const c = new Client();
    const r = await c.get('/faq');
    assert.equal(r.status, 200);
    for (const q of ['审核进度如何查询', '实名电信认证无法通过怎么办', '完成申请后，证书怎么领取',
        '数字证书PIN码怎么获取', '金融认证不通过如何处理', '关于发票怎么获取'])
        assert.ok(r.text.includes(q), `the FAQ answers ${q}`);
    assert.match(r.text, /id="hotline"><a href="tel:4001123838">400-112-3838</);
    assert.match(r.text, /id="online-service">[^<]*<a href="https:\/\/www\.szca\.com"/);
    /* the generic hall sends by 京东寄付 too; Jieyang only 到付 */
    assert.ok(r.text.includes('京东快递单号将通过短信方式下发至经办人'));
    const j = await c.get('/jieyang/faq');
    assert.equal(j.status, 200);
    assert.ok(j.text.includes('（邮费到付）'));
    assert.ok(!j.text.includes('京东快递单号'));
    /* Hunan's approval SMS names the platform, as seed 002 prints it */
    const h = await c.get('/hunan/faq');
    assert.ok(h.text.includes('您提交的湖南省公共资源交易服务平台新申请业务已经审核通过'));
    /* 大客户专区 lists the partner platforms; a projectId partner is entered from its own system */
    const p = await c.get('/partners');
    assert.equal(p.status, 200);
    assert.match(p.text, /<a href="\/hunan\/">进入湖南公共资源办理<\/a>/);
    assert.match(p.text, /请从建筑工务署系统内的“数字证书办理”链接进入/);
    assert.ok(!p.text.includes('href="/szjsgws/"'));
});

test('center__own_menu_and_clear_filter', { skip: SKIP }, async () => {
    const c = await applicant();
    const r = await c.get('/center/orders?status=review&order_no=N1');
    assert.equal(r.status, 200);
    assert.match(r.text, /<a class="button secondary" href="\/center\/orders" id="filters-clear">清空<\/a>/);
    for (const [id, href, label] of [['menu-profile', '/account/profile', '个人资料'],
        ['menu-password', '/account/password', '修改密码'], ['menu-orders', '/center/orders', '我的业务单-证书申请'],
        ['menu-online', '/center/finauth', '我的业务单-在线认证']])
        assert.ok(r.text.includes(`<a href="${href}" id="${id}">${label}</a>`), `the center's menu has ${label}`);
    const online = await c.get('/center/finauth');
    assert.equal(online.status, 200);
    const prof = await c.get('/account/profile');
    assert.ok(prof.text.includes('id="menu-orders"'), 'the menu is on 个人资料 too');
});

test('apply_form__seed_hints_and_previous_step', { skip: SKIP }, async () => {
    const c = await applicant();
    await c.get('/hunan/new?project=hunan');
    const a = await c.post('/hunan/new/agree', { project: 'hunan', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const f = await c.get('/hunan/new/apply?project=hunan');
    assert.equal(f.status, 200);
    assert.match(f.text, /id="agent_mobile-hint">温馨提示：请填写实名手机号码</);
    assert.match(f.text, /id="unit-area-hint">温馨提示：请以单位证件照上的省市信息为准。</);
    assert.match(f.text, /id="tender-hint">温馨提示：办理证书类型，具体以招标文件为准或咨询招标方（招标代理）。</);
    assert.match(f.text, /id="apply-back" href="\/hunan\/new\?project=hunan">上一步</);
    /* the certificate's PIN travels in the memo for 证书新办 */
    assert.match(f.text, /id="bank-memo-hint">如付款方式选择支付宝\/微信，则需要进行单位金融认证，证书PIN码将以转账交易附言方式/);
});

test('seal_form__memo_hint_says_random_code_and_pin_by_sms', { skip: SKIP }, async () => {
    const c = await applicant();
    await c.get('/seal?project=hall');
    const a = await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const f = await c.get('/seal/apply?project=hall');
    assert.equal(f.status, 200);
    assert.match(f.text, /id="bank-memo-hint">[^<]*交易附言里备注随机验证码[^<]*证书PIN码将以短信方式发送给经办人/);
    assert.ok(!/id="bank-memo-hint">[^<]*证书PIN码将以转账交易附言方式/.test(f.text));
});

test('upload_page__material_notes_in_the_seeds_words', { skip: SKIP }, async () => {
    const c = await applicant();
    const o = await unpaidOrder(c);
    psql(`UPDATE orders SET status = 'draft', printed_at = now() WHERE id = ${o.id}`);
    const r = await c.get(`/new/upload?id=${o.id}`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /id="note-license">如已更换三合一的新版营业执照，请上传新版营业执照。上传的图片必须真实有效和清晰可见，不得做任何修改。</);
    assert.match(r.text, /id="note-application">请把打印出来的申请表加盖公章/);
    assert.ok(r.text.includes('（需加盖公章）'));
    /* seed 004: the print step says to print first */
    const pr = await c.get(`/new/print?id=${o.id}`);
    assert.equal(pr.status, 200, pr.text);
    assert.match(pr.text, /id="print-hint">请先打印申请表，再点击下一步。/);
});

test('upload_page__person_certificate__application_signed_not_sealed', { skip: SKIP }, async () => {
    const c = await applicant();
    const o = await unpaidOrder(c, { form: personForm() });
    psql(`UPDATE orders SET status = 'draft', printed_at = now() WHERE id = ${o.id}`);
    const r = await c.get(`/new/upload?id=${o.id}`);
    assert.equal(r.status, 200, r.text);
    /* seed 002: 自然人证书 … (无需加盖公章) */
    assert.match(r.text, /id="note-application">请在打印出来的申请表上签名[^<]*自然人证书无需加盖公章/);
    assert.ok(!r.text.includes('加盖公章，'), 'no row asks a person for a company seal');
    assert.ok(!r.text.includes('（需加盖公章）'));
});

test('apply__leading_formula_characters__refused_naming_each_field_nothing_written', { skip: SKIP }, async () => {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const before = psql('SELECT count(*) FROM orders');
    for (const [field, value] of [['org_name', '=HYPERLINK("http://x","公司")'], ['unit_address', '+1+1'],
        ['agent_title', '@SUM(A1)'], ['mail_address', '-2+3'], ['invoice_title', '=1+1']]) {
        const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm({ [field]: value }) });
        assert.equal(r.status, 400, `${field}: ${r.text}`);
        assert.equal(r.body.field, field);
        assert.match(r.body.message, /不能以=、\+、-、@开头/);
    }
    const after = psql('SELECT count(*) FROM orders');
    assert.equal(after, before, 'no order was written');
    /* an ordinary hyphen inside the text is fine */
    const ok = await c.post('/new/apply', { project: 'jieyang', ...orgForm({ unit_address: '南山区科技园1-2号' }) });
    assert.equal(ok.status, 200, ok.text);
});

/* seed 003: 送好礼 by years and seal, and 审核无误后三个工作日寄出 */
test('szjsgws__gift_by_years_and_seal__ship_by_three_working_days_sorted_and_flagged', { skip: SKIP }, async () => {
    const c = await applicant();
    await c.get('/szjsgws/new?project=szjsgws');
    const ag = await c.post('/szjsgws/new/agree', { project: 'szjsgws', agree1: 'on', agree2: 'on' });
    assert.equal(ag.status, 200, ag.text);
    await sealStep(c, 'yes');
    const r = await c.post('/szjsgws/new/apply', { project: 'szjsgws', ...orgForm({ years: '1' }) });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    const gift = () => psql(`SELECT coalesce(gift, '-') FROM orders WHERE id = ${id}`);
    assert.equal(gift(), '品牌充电宝10000毫安');
    /* the same order edited: 1 year without the seal earns nothing, 3 years the earphones */
    await sealStep(c, 'no', { id });
    await c.get(`/szjsgws/new/apply?id=${id}`);
    let e = await c.post('/szjsgws/new/apply', { project: 'szjsgws', id, ...orgForm({ years: '1' }) });
    assert.equal(e.status, 200, e.text);
    assert.equal(gift(), '-');
    await c.get(`/szjsgws/new/apply?id=${id}`);
    e = await c.post('/szjsgws/new/apply', { project: 'szjsgws', id, ...orgForm({ years: '3' }) });
    assert.equal(e.status, 200, e.text);
    assert.equal(gift(), '联想无线蓝牙耳机');
    /* submitted: the gift stays what was promised */
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    psql(`UPDATE orders SET years = 5 WHERE id = ${id}`);
    assert.equal(gift(), '联想无线蓝牙耳机');
    psql(`UPDATE orders SET years = 3 WHERE id = ${id}`);

    /* a generic-hall order approved too: no promise, no gift */
    const c2 = await applicant();
    const plain = await unpaidOrder(c2);
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date WHERE id = ${plain.id}`);

    const s = await staffLogin('reviewer', 'Reviewer2026demo');
    for (const oid of [plain.id, id]) {
        await s.get(`/admin/order?id=${oid}`);
        const a = await s.post('/admin/order/approve', { id: oid });
        assert.equal(a.status, 200, a.text);
    }
    const want = psql("SELECT to_char(add_workdays((now() AT TIME ZONE 'Asia/Shanghai')::date, 3), 'YYYY-MM-DD')");
    assert.equal(psql(`SELECT to_char(ship_by, 'YYYY-MM-DD') FROM orders WHERE id = ${id}`), want);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE id = ${plain.id} AND ship_by IS NULL AND gift IS NULL`), '1');
    const page = await s.get(`/admin/order?id=${id}`);
    assert.match(page.text, /id="gift">联想无线蓝牙耳机/);
    assert.match(page.text, new RegExp(`id="ship-by">${want}前寄出`));

    /* the operator's queue: the promised order first, with its gift; flagged once the day passed */
    const op = await staffLogin('operator', 'Operator2026demo');
    let q = await op.getJSON('/admin/pki/production');
    assert.equal(q.status, 200);
    const first = q.body.orders.findIndex((o) => o.id === id);
    const other = q.body.orders.findIndex((o) => o.id === plain.id);
    assert.ok(first >= 0 && other >= 0 && first < other, 'the order with a ship-by day comes first');
    assert.equal(q.body.orders[first].gift, '联想无线蓝牙耳机');
    assert.equal(q.body.orders[first].ship_by, want);
    assert.equal(q.body.orders[first].ship_late, false);
    psql(`UPDATE orders SET ship_by = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 WHERE id = ${id}`);
    const html = await op.get('/admin/pki/production');
    assert.match(html.text, new RegExp(`data-id="${id}">[\\s\\S]*?<span class="tag overdue">已超期</span>[\\s\\S]*?联想无线蓝牙耳机`));
});

/* the agreement's clause 3: 不同意发布, said at application */
test('no_publish__recorded_with_the_agreement__reviewer_sees_it__lookup_hides_the_name', { skip: SKIP }, async () => {
    const made = [];
    for (const optOut of [true, false]) {
        const c = await applicant();
        await c.get('/new?project=jieyang');
        const a = await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on', ...(optOut ? { no_publish: 'on' } : {}) });
        assert.equal(a.status, 200, a.text);
        const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm(((n) => ({ org_name: n, bank_account_name: n, invoice_title: n }))(optOut ? '深圳不公开科技有限公司' : '深圳公开科技有限公司')) });
        assert.equal(r.status, 200, r.text);
        const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
        assert.equal(psql(`SELECT no_publish FROM orders WHERE id = ${id}`), optOut ? 't' : 'f');
        assert.equal(psql(`SELECT bool_and(a.no_publish) FROM agreement_acceptances a JOIN orders o ON o.user_id = a.user_id WHERE o.id = ${id}`), optOut ? 't' : 'f');
        made.push({ id, optOut });
    }
    /* the agreements page offers it */
    const c = await applicant();
    const page = await c.get('/new?project=jieyang');
    assert.match(page.text, /name="no_publish"[^>]*> 我不同意深圳CA将数字证书发布至OCSP等信息库/);
    /* reviewer sees the choice; produced, the public lookup answers the status without the name */
    const s = await staffLogin('reviewer', 'Reviewer2026demo');
    const op = await staffLogin('operator', 'Operator2026demo');
    for (const o of made) {
        const v = await s.get(`/admin/order?id=${o.id}`);
        assert.match(v.text, o.optOut ? /id="publish"><strong>不同意发布<\/strong>/ : /id="publish">同意发布</);
        psql(`UPDATE orders SET status = 'accepted' WHERE id = ${o.id}`);
        await op.get('/admin/pki/production');
        const m = await op.post('/admin/pki/issue', { id: o.id });
        assert.equal(m.status, 200, m.text);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued' AND seal_item_id IS NULL`);
        const l = await new (require('./lib/client').Client)().getJSON(`/pki/lookup?serial=${serial}`);
        assert.equal(l.status, 200);
        assert.equal(l.body.cert.status, 'good');
        if (o.optOut) {
            assert.equal(l.body.cert.organization, undefined);
            assert.equal(l.body.cert.unlisted, true);
        } else {
            assert.equal(l.body.cert.organization, '深圳公开科技有限公司');
        }
    }
});

/* the home page names 金融认证: a standalone entry to the orders it concerns */
test('finauth_entry__home_links_it__lists_the_orders_waiting', { skip: SKIP }, async () => {
    const c = await applicant();
    const home = await c.get('/');
    assert.match(home.text, /<a href="\/finauth" id="biz-finauth">金融认证<\/a>/);
    let r = await c.get('/finauth');
    assert.equal(r.status, 200);
    assert.ok(r.text.includes('id="finauth-empty"'));
    const o = await unpaidOrder(c);
    const o2 = await unpaidOrder(c);
    psql(`UPDATE orders SET status = 'finauth_failed' WHERE id = ${o.id}`);
    psql(`UPDATE orders SET status = 'finauth_ok' WHERE id = ${o2.id}`);
    r = await c.get('/finauth');
    assert.match(r.text, new RegExp(`<a href="/finauth\\?id=${o.id}">金融认证</a>`));
    assert.match(r.text, new RegExp(`<a href="/finauth\\?id=${o2.id}">待认证</a>`));
    /* another applicant sees none of them */
    const other = await applicant();
    const x = await other.get('/finauth');
    assert.ok(!x.text.includes(`/finauth?id=${o.id}`));
});
