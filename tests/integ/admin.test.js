'use strict';
/*
 * The admin console through nginx: staff login and its separation from
 * applicants, the review queue by SLA due date, the order detail with its
 * materials and the changes since a rejection, approve / reject with the
 * seed's SMS texts (through the outbox to the sandbox), corporate transfers
 * for finance, role checks, conflicts and the audit log.
 *
 * Orders are created the real way (POST /new/apply); the steps between the
 * form and the review that are not built yet are done with SQL.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Client, SANDBOX, applicant, freshPhone } = require('./lib/client');
const { setCookies } = require('./lib/cookies');
const { staffSignIn, makeStaff, addStaff } = require('./lib/staff');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

const REVIEWER = ['reviewer', 'Reviewer2026demo'];
const FINANCE = ['finance', 'Finance2026demo'];

async function staff([login, password]) {
    const c = new Client();
    const r = await staffSignIn(c, login, password);
    assert.equal(r.status, 200, r.text);
    /* the form token of the staff session */
    const h = await c.get('/admin');
    assert.equal(h.status, 200);
    c.staffId = psql(`SELECT id FROM staff WHERE login = '${login}'`);
    return c;
}

function orgForm(extra = {}) {
    return {
        cert_type: 'org', years: '1',
        org_name: '深圳审核测试有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园1号',
        legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
        agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: freshPhone('137'),
        agent_email: 'agent@example.com', agent_title: '行政专员',
        bank_account_name: '深圳审核测试有限公司', bank_branch_id: '19',
        bank_account: '4000 0210 0910 0123 456',
        mail_province: '440000', mail_city: '440300', mail_district: '440305',
        mail_town: '', mail_address: '科技园1号', mail_postcode: '518057',
        mail_receiver: '李四', mail_mobile: '13900139000', shipping: 'collect',
        invoice: 'yes', invoice_title_type: 'org', invoice_title: '深圳审核测试有限公司',
        invoice_taxid: '91110000600037341L',
        ...extra,
    };
}

function personForm(extra = {}) {
    return {
        cert_type: 'person', years: '1',
        app_name: '王五', app_ric: '44011320141005001x', app_mobile: freshPhone('136'),
        app_email: 'wang@example.com',
        mail_province: '440000', mail_city: '441900', mail_town: '441900003',
        mail_address: '东城街道2号', mail_receiver: '王五', mail_mobile: '13700137000',
        shipping: 'collect', invoice: 'no',
        ...extra,
    };
}

/*
 * An applicant's order through the new module; status moved with SQL to
 * where the test needs it ('review' with a due date, 'transfer_review').
 */
async function order({ project = 'jieyang', form = orgForm(), status = 'review', due = 1 } = {}) {
    const c = await applicant();
    const base = project === 'jieyang' || project === 'hall' ? '' : `/${project}`;
    const page = await c.get(`${base}/new?project=${project}`);
    assert.equal(page.status, 200);
    const a = await c.post(`${base}/new/agree`, { project, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const r = await c.post(`${base}/new/apply`, { project, ...form });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    if (status === 'review')
        psql(`UPDATE orders SET status = 'review', submitted_at = now(),
            review_due = current_date + ${due} WHERE id = ${id}`);
    else
        psql(`UPDATE orders SET status = '${status}', updated_at = now() WHERE id = ${id}`);
    return { id, c, form, base, no: psql(`SELECT order_no FROM orders WHERE id = ${id}`) };
}

/* the sandbox's messages to phone matching re (the outbox delivers them) */
async function smsTo(phone, re) {
    for (let i = 0; i < 100; i++) {
        const r = await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}`);
        const j = await r.json();
        const m = (j.messages || []).filter((x) => re.test(x.text));
        if (m.length > 0)
            return m;
        await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`no SMS matching ${re} reached the sandbox for ${phone}`);
}

function statusOf(id) {
    return psql(`SELECT status FROM orders WHERE id = ${id}`);
}

function statusAudit(id) {
    return psql(`SELECT actor || '|' || from_state || '|' || to_state FROM audit_log
        WHERE entity = 'order' AND entity_id = '${id}' AND action = 'status' ORDER BY id`);
}

/* ---- login and separation ------------------------------------------------ */

test('admin_login__good_password__staff_cookie_scoped_to_admin', async () => {
    const c = new Client();
    await c.get('/admin/login');
    const res = await fetch(`${c.base}/admin/login`, {
        method: 'POST',
        headers: {
            Cookie: c.cookieHeader(), Accept: 'application/json', 'X-CSRF-Token': c.csrf,
            'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ login: 'reviewer', password: REVIEWER[1] }),
    });
    assert.equal(res.status, 200);
    const cookie = setCookies(res).find((x) => x.startsWith('hall_staff='));
    assert.ok(cookie, 'a staff cookie of its own');
    assert.match(cookie, /Path=\/admin;/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    /* the password alone: on to the second factor (tests/integ/totp.test.js) */
    assert.equal((await res.json()).redirect, '/admin/login/code?next=%2Fadmin');
    const s = await staff(REVIEWER);
    const home = await s.get('/admin');
    assert.match(home.text, /审核员/);
    assert.match(home.text, /id="nav-review"/);
    assert.ok(!home.text.includes('id="nav-login"'), 'no applicant navigation');
    assert.ok(psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff'
        AND entity_id = '${s.staffId}' AND action = 'login'`) >= 1);
});

test('admin_login__bad_password_or_unknown_login__400_no_session', async () => {
    const c = new Client();
    await c.get('/admin/login');
    const bad = await c.post('/admin/login', { login: 'reviewer', password: 'wrong-password-1' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'password');
    assert.match(bad.body.message, /登录名或密码不正确/);
    const unknown = await c.post('/admin/login', { login: 'nobody', password: 'whatever12345' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.message, bad.body.message, 'no hint which one was wrong');
    const empty = await c.post('/admin/login', { login: '', password: 'x' });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.field, 'login');
    assert.match(empty.body.message, /登录名/);
    assert.ok(!c.jar.has('hall_staff'));
    assert.equal((await c.getJSON('/admin/review')).status, 401);
    /* the demo account is not locked by one wrong password */
    psql(`UPDATE staff SET failed_logins = 0 WHERE login = 'reviewer'`);
});

test('admin_login__no_csrf__403', async () => {
    const c = new Client();
    await c.get('/admin/login');
    const r = await c.post('/admin/login', { login: 'reviewer', password: REVIEWER[1] },
        { csrf: false });
    assert.equal(r.status, 403);
});

test('admin_login__repeated_failures__locked_429', async () => {
    addStaff('locktest', 'reviewer', 'LockTest2026pw');
    const c = new Client();
    await c.get('/admin/login');
    let last;
    for (let i = 0; i < 5; i++)
        last = await c.post('/admin/login', { login: 'locktest', password: `wrong${i}pass` });
    assert.equal(last.status, 429);
    assert.match(last.body.message, /锁定/);
    const right = await c.post('/admin/login', { login: 'locktest', password: 'LockTest2026pw' });
    assert.equal(right.status, 429, 'locked even with the right password');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff' AND action = 'locked'
        AND entity_id = (SELECT id::text FROM staff WHERE login = 'locktest')`), '1');
});

test('admin__applicant_session__cannot_open_admin', async () => {
    const a = await applicant();
    const page = await a.get('/admin/review');
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/admin/login?next=%2Fadmin%2Freview');
    assert.equal((await a.getJSON('/admin/review')).status, 401);
    assert.equal((await a.getJSON('/admin')).status, 401);
    const { id } = await order();
    const r = await a.post('/admin/order/approve', { id });
    assert.equal(r.status, 401);
    /* the applicant's token presented as a staff token is nothing either */
    a.jar.set('hall_staff', a.jar.get('hall_sid'));
    assert.equal((await a.getJSON('/admin/review')).status, 401);
    assert.equal(statusOf(id), 'review');
});

test('admin__staff_session__cannot_use_applicant_routes', async () => {
    const s = await staff(REVIEWER);
    for (const p of ['/account/profile', '/new/apply?project=jieyang', '/new']) {
        const r = await s.get(p);
        assert.equal(r.status, 303, p);
        assert.match(r.headers.get('location'), /^\/login\?next=/, p);
    }
    /* nor as an applicant cookie */
    s.jar.set('hall_sid', s.jar.get('hall_staff'));
    assert.equal((await s.get('/account/profile')).status, 303);
    const login = await s.get('/login');
    assert.equal(login.status, 200);
    assert.ok(login.text.includes('id="nav-login"'), 'the hall sees an anonymous visitor');
});

test('admin_logout__session_ends', async () => {
    const s = await staff(REVIEWER);
    const token = s.jar.get('hall_staff');
    const r = await s.post('/admin/logout');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, '/admin/login');
    assert.ok(!s.jar.has('hall_staff'));
    s.jar.set('hall_staff', token);
    assert.equal((await s.getJSON('/admin/review')).status, 401, 'the old token is dead');
});

test('admin__partner_prefix__404', async () => {
    const c = new Client();
    assert.equal((await c.get('/hunan/admin/login')).status, 404);
});

test('hall_staff_cli__add_is_idempotent_and_checks_roles', async () => {
    /* a fresh login each run: the database may be reused (script/server) */
    const login = `cli${Date.now() % 1000000}`;
    const first = addStaff(login, 'operator,report', 'CliTest2026pw');
    assert.match(first, /approved: staff_add/);
    const again = addStaff(login, 'reviewer', 'Other2026password');
    assert.match(again, /exists/);
    assert.equal(psql(`SELECT array_to_string(roles, ',') FROM staff WHERE login = '${login}'`),
        'operator,report');
    assert.throws(() => addStaff(`${login}x`, 'boss', 'CliTest2026pw'));
    assert.throws(() => addStaff(`${login}y`, 'reviewer', 'short1'));
    assert.equal(psql(`SELECT count(*) FROM staff WHERE login IN ('${login}x', '${login}y')`), '0');
    assert.ok(!psql(`SELECT password_hash FROM staff WHERE login = '${login}'`).includes('CliTest'));
});

/* ---- queue and detail ------------------------------------------------------ */

test('review_queue__ordered_by_due_date__overdue_flagged', async () => {
    const late = await order({ due: 3 });
    const overdue = await order({ due: -1 });
    const soon = await order({ due: 1 });
    const draft = await order({ status: 'draft' });
    const s = await staff(REVIEWER);
    const q = await s.getJSON('/admin/review');
    assert.equal(q.status, 200);
    const ids = q.body.orders.map((o) => String(o.id));
    assert.ok(!ids.includes(draft.id), 'only orders in review');
    const pos = [overdue.id, soon.id, late.id].map((id) => ids.indexOf(id));
    assert.ok(pos.every((p) => p >= 0), JSON.stringify(ids));
    assert.deepEqual([...pos].sort((a, b) => a - b), pos, 'by due date');
    const dues = q.body.orders.map((o) => o.review_due);
    assert.deepEqual([...dues].sort(), dues, 'the whole queue by due date');
    const o = q.body.orders[pos[0]];
    assert.equal(o.overdue, true);
    assert.equal(o.order_no, overdue.no);
    assert.equal(o.partner_name, '揭阳公共资源');
    assert.equal(o.business_label, '证书新办');
    assert.equal(o.subject, '深圳审核测试有限公司');
    assert.equal(o.amount, '600.00');
    assert.ok(o.submitted_at);
    assert.equal(q.body.orders[pos[1]].overdue, false);
    assert.ok(q.body.overdue_total >= 1);

    const page = await s.get('/admin/review');
    assert.equal(page.status, 200);
    for (const x of ['申请单号', '合作方', '业务类型', '主题', '金额', '审核截止', overdue.no, '已超期'])
        assert.ok(page.text.includes(x), x);
    assert.ok(page.text.indexOf(overdue.no) < page.text.indexOf(soon.no));
    assert.ok(page.text.indexOf(soon.no) < page.text.indexOf(late.no));
});

test('order_detail__every_field_and_materials_as_attachments', async () => {
    /* a material uploaded the applicant's way (stored encrypted), then to review */
    const { id, no, form, c } = await order({ status: 'draft' });
    await c.post('/new/printed', { id });
    await c.get(`/new/upload?id=${id}`);
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n');
    const up = await c.postMultipart('/new/upload', { id, kind: 'license' },
        { file: { name: 'license.pdf', data: pdf } });
    assert.equal(up.status, 200, up.text);
    const fid = psql(`SELECT id FROM order_files WHERE order_id = ${id} AND kind = 'license'`);
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    const s = await staff(REVIEWER);
    const d = await s.getJSON(`/admin/order?id=${id}`);
    assert.equal(d.status, 200);
    assert.equal(d.body.order.order_no, no);
    const fields = Object.fromEntries(d.body.fields.map((f) => [f.name, f.value]));
    assert.equal(fields.legal_ric, '360426199101010071');
    assert.equal(fields.agent_mobile, form.agent_mobile);
    assert.equal(fields.bank_account, '4000021009100123456');
    assert.equal(fields.bank_branch_name, '中国工商银行深圳南山支行');
    assert.equal(fields.mail_region, '广东省深圳市南山区');
    assert.equal(d.body.files.length, 1);
    assert.equal(d.body.files[0].label, '营业执照扫描件');
    /* no raw member: the algorithm in words, as the print says it */
    const raw = d.body.fields.filter((x) => x.label === x.name);
    assert.deepEqual(raw.map((x) => `${x.label} ${x.value}`), []);
    /* no empty row of a member the hall fills (开户行联行号) */
    const emptyHall = d.body.fields.filter((x) => x.name === 'bank_cnaps' && x.value === '');
    assert.deepEqual(emptyHall, [], 'an empty 开户行联行号 row');
    const ca = d.body.fields.find((x) => x.name === 'ca');
    if (ca)
        assert.match(`${ca.label} ${ca.value}`, /^证书算法 (ECDSA（国际算法）|SM2（国密算法）)$/);

    const page = await s.get(`/admin/order?id=${id}`);
    for (const x of ['机构名称', '深圳审核测试有限公司', '法人身份证号码', '经办人移动电话',
        '基本户账号', '收件地址', '纳税人识别号', '营业执照扫描件', `/admin/file?id=${fid}`,
        'id="approve"', 'id="reject"'])
        assert.ok(page.text.includes(x), x);

    const f = await fetch(`${s.base}/admin/file?id=${fid}`, { headers: { Cookie: s.cookieHeader() } });
    assert.equal(f.status, 200);
    assert.equal(f.headers.get('content-type'), 'application/pdf');
    assert.match(f.headers.get('x-content-type-options'), /^nosniff/);
    assert.equal(f.headers.get('content-disposition'),
        `attachment; filename="${no}-license.pdf"`);
    assert.deepEqual(Buffer.from(await f.arrayBuffer()), pdf);
    assert.equal((await s.getJSON('/admin/file?id=999999999')).status, 404);
    assert.equal((await s.getJSON('/admin/order?id=999999999')).status, 404);
    const bad = await s.getJSON('/admin/order?id=abc');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'id');

    const anon = await fetch(`${s.base}/admin/file?id=${fid}`);
    assert.equal(anon.status, 401, 'materials need a staff session');
});

/* ---- decisions -------------------------------------------------------------- */

test('approve__hunan_person__accepted_sms_to_applicant_with_partner_name', async () => {
    const { id, form } = await order({ project: 'hunan', form: personForm() });
    const s = await staff(REVIEWER);
    const r = await s.post('/admin/order/approve', { id });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, `/admin/order?id=${id}`);
    assert.equal(statusOf(id), 'accepted');
    assert.equal(statusAudit(id), `staff:${s.staffId}|review|accepted`);
    const [m] = await smsTo(form.app_mobile, /审核通过/);
    assert.equal(m.text, '【深圳CA】您好，您提交的湖南省公共资源交易服务平台新申请业务已经审核通过。' +
        '请登录深圳CA申请页面-网上营业厅--个人中心-我的业务单-进行查看。');
    /* the SMS is queued encrypted and never logged */
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE idem_key LIKE 'sms-review-${id}-%'`), '1');
    for (const log of ['admin.log', 'outbox.log']) {
        const text = fs.readFileSync(path.join(process.env.HALL_VAR, 'log', log), 'utf8');
        assert.ok(!text.includes(form.app_mobile), `${log} has the phone`);
        assert.ok(!text.includes('审核通过'), `${log} has the text`);
    }
});

test('approve__twice__409_and_nothing_more_written', async () => {
    const { id } = await order();
    const s = await staff(REVIEWER);
    assert.equal((await s.post('/admin/order/approve', { id })).status, 200);
    const again = await s.post('/admin/order/approve', { id });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /成功受理/);
    const rej = await s.post('/admin/order/reject', { id, reason: '太晚了' });
    assert.equal(rej.status, 409);
    assert.equal(statusAudit(id).split('\n').length, 1);
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE idem_key LIKE 'sms-review-${id}-%'`), '1');
    assert.equal(psql(`SELECT reject_reason IS NULL FROM orders WHERE id = ${id}`), 't');
});

test('approve__generic_hall_without_sms_name__text_omits_it', async () => {
    const { id, form } = await order({ project: 'hall' });
    const s = await staff(REVIEWER);
    assert.equal((await s.post('/admin/order/approve', { id })).status, 200);
    const [m] = await smsTo(form.agent_mobile, /审核通过/);
    assert.match(m.text, /^【深圳CA】您好，您提交的新申请业务已经审核通过。/);
});

test('reject__without_or_overlong_reason__400_names_field_nothing_written', async () => {
    const { id } = await order();
    const s = await staff(REVIEWER);
    const none = await s.post('/admin/order/reject', { id });
    assert.equal(none.status, 400);
    assert.equal(none.body.field, 'reason');
    assert.match(none.body.message, /驳回原因/);
    const blank = await s.post('/admin/order/reject', { id, reason: '   ' });
    assert.equal(blank.status, 400);
    assert.equal(blank.body.field, 'reason');
    const long = await s.post('/admin/order/reject', { id, reason: '错'.repeat(201) });
    assert.equal(long.status, 400);
    assert.equal(long.body.field, 'reason');
    assert.match(long.body.message, /200/);
    const noid = await s.post('/admin/order/reject', { reason: '缺少公章' });
    assert.equal(noid.status, 400);
    assert.equal(noid.body.field, 'id');
    assert.equal(statusOf(id), 'review');
    assert.equal(statusAudit(id), '');
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE idem_key LIKE 'sms-review-${id}-%'`), '0');
});

test('reject__then_applicant_edits__reviewer_sees_the_changes', async () => {
    const { id, c, form } = await order();
    const s = await staff(REVIEWER);
    const reason = '身份证复印件未加盖公章。';
    const r = await s.post('/admin/order/reject', { id, reason });
    assert.equal(r.status, 200, r.text);
    assert.equal(statusOf(id), 'rejected');
    assert.equal(psql(`SELECT reject_reason || '|' || rejected_rev FROM orders WHERE id = ${id}`),
        `${reason}|1`);
    assert.equal(statusAudit(id), `staff:${s.staffId}|review|rejected`);
    assert.equal(psql(`SELECT detail->>'reason' FROM audit_log WHERE entity = 'order'
        AND entity_id = '${id}' AND action = 'status'`), reason);
    const [m] = await smsTo(form.agent_mobile, /审核驳回/);
    assert.equal(m.text, '【深圳CA】您好，您提交的揭阳公共资源新申请业务已被审核驳回。' +
        '驳回原因：身份证复印件未加盖公章。请尽快登录深圳CA申请页面-个人中心-我的业务单-证书申请进行修改。');

    /* not edited yet */
    let d = await s.getJSON(`/admin/order?id=${id}`);
    assert.equal(d.body.unchanged_since_reject, true);
    assert.equal(d.body.has_diff, false);

    /* the applicant sees the reason and edits the rejected order */
    const edit = await c.get(`/new/apply?id=${id}`);
    assert.equal(edit.status, 200);
    assert.ok(edit.text.includes('身份证复印件未加盖公章'), 'the reason is shown to the applicant');
    const e = await c.post('/new/apply', { id, ...form, unit_address: '南山区科技园2号',
        agent_title: '办公室主任' });
    assert.equal(e.status, 200, e.text);
    assert.equal(statusOf(id), 'rejected', 'editing does not resubmit');
    assert.equal(psql(`SELECT count(*) FROM order_revisions WHERE order_id = ${id}`), '2');
    /* approving a rejected order is not a transition */
    assert.equal((await s.post('/admin/order/approve', { id })).status, 409);

    d = await s.getJSON(`/admin/order?id=${id}`);
    assert.equal(d.status, 200);
    assert.equal(d.body.has_diff, true);
    const changes = Object.fromEntries(d.body.changes.map((x) => [x.name, [x.before, x.after]]));
    assert.deepEqual(changes.unit_address, ['南山区科技园1号', '南山区科技园2号']);
    assert.deepEqual(changes.agent_title, ['行政专员', '办公室主任']);
    assert.equal(d.body.changes.length, 2, JSON.stringify(d.body.changes));
    const page = await s.get(`/admin/order?id=${id}`);
    assert.match(page.text, /<tr data-field="unit_address" class="changed">/);
    assert.ok(page.text.includes('修改前：南山区科技园1号'));
    assert.ok(page.text.includes('id="changes"'));

    /* resubmitted (the applicant's step is not built yet): in the queue
     * marked, and the history keeps both decisions */
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date
        WHERE id = ${id}`);
    const q = await s.getJSON('/admin/review');
    assert.equal(q.body.orders.find((o) => String(o.id) === id).resubmitted, true);
    assert.equal((await s.post('/admin/order/approve', { id })).status, 200);
    assert.equal(statusOf(id), 'accepted');
    d = await s.getJSON(`/admin/order?id=${id}`);
    const h = d.body.history.filter((x) => x.action === 'status').map((x) => `${x.from}>${x.to}`);
    assert.deepEqual(h, ['review>rejected', 'review>accepted']);
    assert.equal(d.body.history.find((x) => x.to === 'rejected').reason, reason);
    assert.match(d.body.history.find((x) => x.to === 'rejected').who, /reviewer/);
});

/* ---- corporate transfers and roles -------------------------------------------- */

test('transfer__finance_confirms__review_with_working_day_due_date', async () => {
    const { id, no } = await order({ project: 'hunan', form: personForm(), status: 'transfer_review' });
    const f = await staff(FINANCE);
    const q = await f.getJSON('/admin/finance');
    assert.equal(q.status, 200);
    assert.ok(q.body.orders.some((o) => o.order_no === no));
    const page = await f.get('/admin/finance');
    assert.ok(page.text.includes(no));
    /* the next working day is a holiday for this test: the SLA skips it */
    const next = psql(`SELECT add_workdays(current_date, 1)`);
    const added = psql(`INSERT INTO holidays (day, is_workday, name) VALUES ('${next}', false,
        '测试假日') ON CONFLICT DO NOTHING RETURNING day`);
    try {
        const detail = await f.get(`/admin/order?id=${id}`);
        assert.ok(detail.text.includes('id="confirm"'));
        assert.ok(!detail.text.includes('id="approve"'), 'finance does not review');
        const r = await f.post('/admin/transfer/confirm', { id });
        assert.equal(r.status, 200, r.text);
    } finally {
        if (added)
            psql(`DELETE FROM holidays WHERE day = '${next}' AND name = '测试假日'`);
    }
    assert.equal(statusOf(id), 'review');
    const due = psql(`SELECT review_due FROM orders WHERE id = ${id}`);
    if (added)
        assert.ok(due > next, `${due} skips the holiday ${next}`);
    assert.equal(psql(`SELECT submitted_at IS NOT NULL FROM orders WHERE id = ${id}`), 't');
    assert.equal(statusAudit(id), `staff:${f.staffId}|transfer_review|review`);
    assert.equal((await f.post('/admin/transfer/confirm', { id })).status, 409);
});

test('transfer__finance_refuses_with_reason__unpaid', async () => {
    const { id } = await order({ status: 'transfer_review' });
    const f = await staff(FINANCE);
    const none = await f.post('/admin/transfer/refuse', { id });
    assert.equal(none.status, 400);
    assert.equal(none.body.field, 'reason');
    assert.match(none.body.message, /退回原因/);
    assert.equal(statusOf(id), 'transfer_review');
    const r = await f.post('/admin/transfer/refuse', { id, reason: '未查询到该笔汇款' });
    assert.equal(r.status, 200, r.text);
    assert.equal(statusOf(id), 'unpaid');
    assert.equal(statusAudit(id), `staff:${f.staffId}|transfer_review|unpaid`);
});

test('transfer__refusal_reason_on_the_order_and_by_sms_once__two_parallel_clicks', async () => {
    const phone = freshPhone('135');
    const { id, c, no } = await order({ status: 'unpaid', form: orgForm({ agent_mobile: phone }) });
    await c.get(`/pay?id=${id}`);
    assert.equal((await c.postMultipart('/pay/transfer', { id },
        { voucher: { name: 'v.pdf', data: Buffer.from('%PDF-1.4\n%%EOF\n') } })).status, 200);
    assert.equal(statusOf(id), 'transfer_review');
    /* two finance staff press 退回 at once, each with a reason of their own */
    const [f1, f2] = await Promise.all([staff(FINANCE), staff(FINANCE)]);
    const reasons = ['未查询到该笔汇款', '汇款金额与应付金额不符'];
    const rs = await Promise.all([f1, f2].map((f, i) =>
        f.post('/admin/transfer/refuse', { id, reason: reasons[i] })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 409], rs.map((r) => r.text).join());
    const won = reasons[rs.findIndex((r) => r.status === 200)];
    assert.equal(statusOf(id), 'unpaid');
    assert.equal(psql(`SELECT string_agg(status || ':' || coalesce(refused_reason, ''), ',')
        FROM payments WHERE order_id = ${id}`), `refused:${won}`);
    /* one SMS, in the seeds' words, with the reason that won */
    const sms = await smsTo(phone, /转账凭证已被退回/);
    assert.equal(psql(`SELECT count(*) FROM outbox WHERE kind = 'sms'
        AND idem_key LIKE 'sms-review-${id}-refused-%'`), '1', 'one SMS queued');
    assert.equal(sms.length, 1);
    assert.match(sms[0].text, new RegExp(`^【深圳CA】您好，您提交的.*业务的对公转账凭证已被退回。退回原因：${won}。`));
    /* the applicant's order page and pay page say why */
    const page = await c.get(`/center/order?id=${id}`);
    assert.match(page.text, new RegExp(`<dt>转账凭证退回原因</dt><dd class="err" id="transfer-refused">${won}</dd>`));
    const pay = await c.get(`/pay?id=${id}`);
    assert.match(pay.text, new RegExp(`退回原因：<span id="refused-reason">${won}</span>`));
    assert.ok(no);
});

test('roles__reviewer_cannot_confirm__finance_cannot_review__403', async () => {
    const t = await order({ status: 'transfer_review' });
    const rv = await order();
    const s = await staff(REVIEWER);
    const f = await staff(FINANCE);
    const c1 = await s.post('/admin/transfer/confirm', { id: t.id });
    assert.equal(c1.status, 403);
    assert.match(c1.body.message, /权限/);
    assert.equal((await s.post('/admin/transfer/refuse', { id: t.id, reason: 'x' })).status, 403);
    assert.equal((await s.getJSON('/admin/finance')).status, 403);
    assert.equal((await f.post('/admin/order/approve', { id: rv.id })).status, 403);
    assert.equal((await f.post('/admin/order/reject', { id: rv.id, reason: 'x' })).status, 403);
    assert.equal((await f.getJSON('/admin/review')).status, 403);
    assert.equal(statusOf(t.id), 'transfer_review');
    assert.equal(statusOf(rv.id), 'review');
    /* a report-only account reads no orders */
    makeStaff('reportonly', 'report', 'Report2026demo');
    const r = await staff(['reportonly', 'Report2026demo']);
    assert.equal((await r.getJSON(`/admin/order?id=${rv.id}`)).status, 403);
    assert.equal((await r.getJSON('/admin/review')).status, 403);
    assert.equal((await r.get('/admin')).status, 200);
});

test('decisions__no_csrf__403', async () => {
    const { id } = await order();
    const s = await staff(REVIEWER);
    const r = await s.post('/admin/order/approve', { id }, { csrf: false });
    assert.equal(r.status, 403);
    /* an applicant's form token is not a staff token */
    const a = await applicant();
    await a.get('/');
    s.csrf = a.csrf;
    assert.equal((await s.post('/admin/order/approve', { id })).status, 403);
    assert.equal(statusOf(id), 'review');
});

test('transfer__finance_decision_kept_with_the_payment__applicant_sees_refusal', async () => {
    const { id, c } = await order({ status: 'unpaid' });
    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
    await c.get(`/pay?id=${id}`);
    assert.equal((await c.postMultipart('/pay/transfer', { id },
        { voucher: { name: 'v.pdf', data: pdf } })).status, 200);
    const f = await staff(FINANCE);
    const r = await f.post('/admin/transfer/refuse', { id, reason: '未查询到该笔汇款' });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT string_agg(status, ',' ORDER BY id) FROM payments WHERE order_id = ${id}`),
        'refused');
    const page = await c.get(`/pay?id=${id}`);
    assert.match(page.text, /汇款未能核实到账/);
    assert.equal((await c.postMultipart('/pay/transfer', { id },
        { voucher: { name: 'v2.pdf', data: pdf } })).status, 200);
    await f.get(`/admin/order?id=${id}`);
    assert.equal((await f.post('/admin/transfer/confirm', { id })).status, 200);
    assert.equal(psql(`SELECT string_agg(status || ':' || (paid_at IS NOT NULL), ',' ORDER BY id)
        FROM payments WHERE order_id = ${id}`), 'refused:false,paid:true');
    assert.equal(statusOf(id), 'review');
});

test('admin_home__operator__lists_the_seal_console_as_the_menu_does', async () => {
    const s = await staff(['operator', 'Operator2026demo']);
    const home = await s.get('/admin');
    assert.equal(home.status, 200);
    const links = home.text.match(/<ul class="links">([\s\S]*?)<\/ul>/)[1];
    /* every console the menu offers the operator is on the home page too */
    for (const href of ['/admin/pki/production', '/admin/pki/shipping', '/admin/pki/certs', '/admin/seal'])
        assert.ok(links.includes(`href="${href}"`), href);
});
