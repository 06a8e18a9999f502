'use strict';
/*
 * The pages against the seeds (issue 7, items 17-18): 办理记录 in Chinese for
 * applicants and staff, no old 驳回原因 after a resubmission.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { Client, applicant } = require('./lib/client');
const { staffSignIn } = require('./lib/staff');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);

function orgForm(extra = {}) {
    return {
        project: 'jieyang', cert_type: 'org', years: '1',
        org_name: '深圳记录测试有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园1号',
        legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
        agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: '13900139000',
        agent_email: 'agent@example.com', agent_title: '行政专员',
        bank_account_name: '深圳记录测试有限公司', bank_branch_id: '19', bank_account: '4000021009100123456',
        mail_province: '440000', mail_city: '440300', mail_district: '440305',
        mail_address: '科技园1号', mail_receiver: '李四', mail_mobile: '13900139000',
        shipping: 'collect', invoice: 'no', ...extra,
    };
}

const RAW_CODES = ['upload', 'pay_online', 'finauth_wrong_code', 'finauth_wrong_pin', 'payment_surplus', 'create', 'edit'];

test('history__internal_codes__chinese_labels_for_applicant_and_staff; resubmitted__no_old_reject_reason', async () => {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const r = await c.post('/new/apply', orgForm());
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    await c.post('/new/printed', { id });
    await c.get(`/new/upload?id=${id}`);
    for (const kind of ['application', 'license', 'agent_id']) {
        const u = await c.postMultipart('/new/upload', { id, kind }, { file: { name: `${kind}.jpg`, data: JPEG } });
        assert.equal(u.status, 200, u.text);
    }
    /* what the pay and finauth modules write, as they write it */
    for (const a of ['pay_online', 'finauth_wrong_code', 'finauth_wrong_pin', 'payment_surplus'])
        psql(`INSERT INTO audit_log (actor, entity, entity_id, action) VALUES ('test', 'order', '${id}', '${a}')`);
    psql(`UPDATE orders SET status = 'rejected', reject_reason = '营业执照未加盖公章' WHERE id = ${id}`);
    let view = await c.get(`/center/order?id=${id}`);
    assert.match(view.text, /驳回原因<\/dt><dd class="err">营业执照未加盖公章/);

    const e = await c.post('/new/apply', { id, ...orgForm({ unit_address: '南山区科技园2号' }) });
    assert.equal(e.status, 200, e.text);
    const s = await c.post('/new/resubmit', { id });
    assert.equal(s.status, 200, s.text);

    view = await c.get(`/center/order?id=${id}`);
    assert.equal(view.status, 200);
    assert.ok(!view.text.includes('营业执照未加盖公章'), 'the old reason is gone after resubmitting');
    assert.ok(!view.text.includes('驳回原因'));
    const edit = await c.get(`/new/apply?id=${id}`);
    assert.ok(!edit.text.includes('营业执照未加盖公章'), 'nor on the form');
    const hist = view.text.match(/<ul class="history" id="history">([^]*?)<\/ul>/)[1];
    for (const code of RAW_CODES)
        assert.ok(!new RegExp(`\\b${code}\\b`).test(hist), `applicant history shows ${code}: ${hist}`);
    for (const label of ['上传资料', '发起在线支付', '随机验证码输入错误', '证书PIN码输入错误', '收到多付款项，将自动退还', '修改申请信息'])
        assert.ok(hist.includes(label), `applicant history has ${label}`);

    const staff = new Client();
    const l = await staffSignIn(staff, 'reviewer', 'Reviewer2026demo');
    assert.equal(l.status, 200, l.text);
    const page = await staff.get(`/admin/order?id=${id}`);
    assert.equal(page.status, 200);
    const table = page.text.match(/<table class="list" id="history">([^]*?)<\/table>/)[1];
    for (const code of RAW_CODES)
        assert.ok(!new RegExp(`<td>${code}</td>`).test(table), `staff history shows ${code}`);
    assert.ok(table.includes('上传资料') && table.includes('证书PIN码输入错误'));
});

test('footer__seed_support_line_and_site; 404__logged_in__no_login_register_links', async () => {
    const anon = new Client();
    const home = await anon.get('/');
    assert.match(home.text, /<footer>[^<]*400-112-3838[^<]*www\.szca\.com/);
    assert.ok(!home.text.includes('400-000-0000'));
    const nf = await anon.get('/no-such-page');
    assert.equal(nf.status, 404);
    assert.ok(nf.text.includes('id="nav-login"'), 'an anonymous visitor is offered 登录');

    const c = await applicant();
    for (const p of ['/no-such-page', '/hunan/no-such-page']) {
        const r = await c.get(p);
        assert.equal(r.status, 404, p);
        assert.ok(!r.text.includes('id="nav-login"') && !r.text.includes('id="nav-register"'), `${p} offers 登录/注册`);
        assert.ok(r.text.includes('id="nav-orders"'), `${p} shows the applicant's menu`);
    }
});

test('home__index_and_index_html_serve_the_home_page', async () => {
    const anon = new Client();
    const home = await anon.get('/');
    assert.equal(home.status, 200);
    const title = home.text.match(/<title>[^<]*<\/title>/)[0];
    for (const p of ['/index', '/index.html']) {
        const r = await anon.get(p);
        assert.equal(r.status, 200, `${p} answers the home page`);
        assert.ok(r.text.includes(title), `${p}: ${title}`);
    }
    /* a partner's hall: its own home page */
    const hunan = await anon.get('/hunan/');
    const r = await anon.get('/hunan/index.html');
    assert.equal(r.status, 200);
    assert.ok(r.text.includes(hunan.text.match(/<title>[^<]*<\/title>/)[0]));
});

test('readme__staff_table_names_every_demo_staff_account', () => {
    const fs = require('node:fs');
    const path = require('node:path');
    const root = path.join(__dirname, '..', '..');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const demo = fs.readFileSync(path.join(root, 'sql', 'demo-accounts.txt'), 'utf8');
    const staff = demo.split('\n').filter((l) => /^staff\s/.test(l)).map((l) => l.split(/\s+/));
    assert.ok(staff.length >= 4);
    for (const [, login, password] of staff)
        assert.ok(readme.includes(`| \`${login}\` | \`${password}\` |`),
            `README's staff table has ${login} with its password`);
});
