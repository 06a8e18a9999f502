'use strict';
/*
 * The seeds' last words (issue 40 §6), through nginx: what a user of each
 * hall still met that the seeds word otherwise — the printed forms of
 * 建筑工务署 and 湖南 with their titles and the legal person's 授权委托;
 * 我的业务单-在线认证 listing the orders' 金融认证 records; the invoice's
 * 实行电子发票公告 and the FAQ's SMS naming the partner's site; the seeds'
 * step names, 建筑工务署's 进入新办 and 产品方案 in the navigation.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const {
    psql, orgForm, freshAccount, unpaidOrder, waitStatus, payOnline, confirmTrade, lastTransfer, memoCode,
    sealStep,
} = require('./lib/payflow');

/* a draft 证书新办 order of a new applicant in project's hall */
async function draft(project, base, form = orgForm()) {
    const c = await applicant();
    assert.equal((await c.get(`${base}/new?project=${project}`)).status, 200);
    const a = await c.post(`${base}/new/agree`, { project, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    /* 建筑工务署: 是否办理电子签章 is the step before (seed 003) */
    if (form.seal)
        await sealStep(c, form.seal, { base, project });
    const r = await c.post(`${base}/new/apply`, { project, ...form });
    assert.equal(r.status, 200, r.text);
    return { c, id: Number(r.body.redirect.match(/id=(\d+)/)[1]) };
}

/* seeds 002, 003, 004: each hall's form title, and the 申请单位法定代表人授权委托
 * of seed 004 naming the legal person and the agent */
test('print__hunan_and_szjsgws__the_seeds_titles_and_the_legal_persons_authorisation', async () => {
    for (const [project, base, title, form] of [
        ['hunan', '/hunan', '电子招投标数字证书申请表（通用）', orgForm()],
        ['szjsgws', '/szjsgws', '机构数字证书申请表', orgForm({ seal: 'no' })],
        ['jieyang', '', '数字证书申请表', orgForm()],
    ]) {
        const { c, id } = await draft(project, base, form);
        const pr = await c.get(`${base}/new/print?id=${id}`);
        assert.equal(pr.status, 200, `${project}: ${pr.text}`);
        assert.match(pr.text, new RegExp(`id="print-title">${title}<`), `${project}'s title`);
        assert.match(pr.text, /id="print-authorisation">申请单位法定代表人授权委托及单位声明/);
        const st = pr.text.match(/id="print-statement">([^<]*)</)[1];
        assert.match(st, /^姓名：张三　身份证号码：360426199101010071　系本单位的法定代表人，现委托本单位员工姓名：李四　身份证号：412723199010050012　为我方代理人/);
        assert.match(st, /委托期限：自\d{4}年\d{1,2}月\d{1,2}日起至委托事项办结，代理人不得转让委托权限/);
        assert.match(st, /《深圳市电子商务安全证书管理有限公司电子认证服务协议》/);
        assert.equal(psql(`SELECT partner_code FROM orders WHERE id = ${id}`), project);
    }
});

/* seed 001's menu: 我的业务单-在线认证 lists the micro-deposits of the
 * applicant's orders with their results and what to do next */
test('center_finauth__lists_the_orders_micro_deposits__results_and_actions__own_only', async () => {
    const c = await applicant();
    let r = await c.get('/center/finauth');
    assert.equal(r.status, 200);
    assert.match(r.text, /<h1>我的业务单-在线认证<\/h1>/);
    assert.ok(r.text.includes('id="finauth-records-empty"'), 'none yet');
    assert.match(r.text, /<a href="\/center\/finauth" id="menu-online">我的业务单-在线认证<\/a>/);

    const ok = await unpaidOrder(c);
    const bad = await unpaidOrder(c, { form: orgForm({ bank_account: freshAccount(true) }) });
    for (const o of [ok, bad])
        await confirmTrade(await payOnline(c, o.id));
    await waitStatus(ok.id, 'finauth_ok');
    await waitStatus(bad.id, 'finauth_failed');

    r = await c.getJSON('/center/finauth');
    assert.equal(r.status, 200, r.text);
    const byOrder = Object.fromEntries(r.body.records.map((x) => [x.order_id, x]));
    assert.equal(r.body.records.length, 2);
    assert.equal(byOrder[ok.id].result, 'sent');
    assert.equal(byOrder[ok.id].result_label, '打款成功，待输入证书PIN码');
    assert.deepEqual(byOrder[ok.id].actions.map((a) => [a.label, a.url]),
        [['待认证', `/finauth?id=${ok.id}`], ['查看', `/center/order?id=${ok.id}`]]);
    assert.equal(byOrder[bad.id].result, 'failed');
    assert.equal(byOrder[bad.id].result_label, '打款失败');
    assert.deepEqual(byOrder[bad.id].actions.map((a) => a.label), ['金融认证', '查看']);
    assert.match(byOrder[ok.id].created, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

    /* the code typed: 认证成功 with its time, nothing left to do but 查看 */
    const v = await c.post('/finauth/code', { id: ok.id, code: memoCode(await lastTransfer(ok.account)) });
    assert.equal(v.status, 200, v.text);
    const page = await c.get('/center/finauth');
    const row = page.text.match(new RegExp(`<tr data-order="${ok.id}" data-result="verified">([\\s\\S]*?)</tr>`))[1];
    assert.match(row, /认证成功/);
    assert.match(row, /银行金融认证/);
    assert.ok(!row.includes('待认证'));
    assert.match(page.text, new RegExp(`<tr data-order="${bad.id}" data-result="failed">[\\s\\S]*?<a href="/finauth\\?id=${bad.id}">金融认证</a>`));

    /* another applicant sees none of them */
    const other = await applicant();
    const x = await other.getJSON('/center/finauth');
    assert.deepEqual(x.body.records, []);
});

/* seeds 001-004: 电子发票 (实行电子发票公告) on every form; the FAQ's example
 * SMS names the site the real SMS names (seed 003: www.szca.com) */
test('invoice_notice_on_the_form__faq_sms_example_names_the_partners_site', async () => {
    const { c, id } = await draft('jieyang', '');
    const f = await c.get(`/new/apply?id=${id}`);
    assert.equal(f.status, 200);
    assert.match(f.text, /<details class="notice" id="invoice-notice"><summary>实行电子发票公告<\/summary>/);
    assert.match(f.text, /国家税务总局公告2015年第84号/);
    assert.match(f.text, /id="invoice-hint">温馨提示：电子发票会通过短信方式发送到您预留的手机上</);
    const s = await c.get('/szjsgws/faq');
    assert.equal(s.status, 200);
    assert.match(s.text, /您提交的新申请业务已经审核通过。请登录<span id="faq-sms-site">www\.szca\.com<\/span>-网上营业厅--个人中心/);
    const h = await c.get('/faq');
    assert.match(h.text, /请登录<span id="faq-sms-site">深圳CA申请页面<\/span>-网上营业厅/);
});

function stepNames(html) {
    const bar = html.match(/<ol class="steps"[^>]*>([\s\S]*?)<\/ol>/);
    assert.ok(bar, 'the page has a steps bar');
    return [...bar[1].matchAll(/<li[^>]*>([^<]+)/g)].map((m) => m[1]);
}

/* seeds 001-003: the bars end with 在线支付; 建筑工务署's reads 展示申请表 and
 * 活体认证 (seed 003) and its agreements go on with 进入新办; seed 001's
 * navigation has 产品方案 */
test('steps_and_buttons__the_seeds_names__szjsgws_进入新办__产品方案_in_the_navigation', async () => {
    const c = await applicant();
    const ag = await c.get('/szjsgws/new?project=szjsgws');
    assert.equal(ag.status, 200);
    assert.match(ag.text, /<button type="submit" id="agree-next">进入新办<\/button>/);
    const hall = await c.get('/new?project=jieyang');
    assert.match(hall.text, /<button type="submit" id="agree-next">下一步<\/button>/);
    const seal = await c.get('/seal?project=hall');
    assert.match(seal.text, /<button type="submit" id="agree-next">下一步<\/button>/, '进入新办 is 证书新办\'s only');

    const o = await draft('szjsgws', '/szjsgws', orgForm({ seal: 'no' }));
    const pr = await o.c.get(`/szjsgws/new/print?id=${o.id}`);
    assert.deepEqual(stepNames(pr.text), ['选择应用', '录入信息', '展示申请表', '上传资料', '活体认证', '在线支付']);
    const j = await draft('jieyang', '');
    const jp = await j.c.get(`/new/print?id=${j.id}`);
    assert.deepEqual(stepNames(jp.text), ['选择应用', '录入信息', '打印申请表', '上传资料', '在线认证', '在线支付']);

    const home = await c.get('/');
    assert.match(home.text, /<a href="\/seal\/product" id="nav-product">产品方案<\/a>/);
    const product = await c.get('/seal/product');
    assert.match(product.text, /<h1>产品方案<\/h1>/);
    const hunan = await c.get('/hunan/');
    assert.ok(!hunan.text.includes('id="nav-product"'), 'a partner that sells no seal has none');
});
