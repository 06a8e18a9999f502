'use strict';
/*
 * 介质遗失补办, the applicant's pages (modules/reissue on the flow kit)
 * through nginx: 操作提示, agreements, 证书选择 by serial, 录入信息 for that
 * certificate (all field errors at once, nothing written on a refusal),
 * 迷失补办申请表, uploads, the identity check, 补办费 + 介质费 paid by WeChat,
 * the review, and after the approval the old certificate revoked (OCSP,
 * lookup) and the new one good.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Client, applicant, HALL, freshPhone } = require('./lib/client');
const {
    operator, reviewer, acceptedByTransfer, tmpdir, fetchPki, ocspQuery, psql, orgForm, staffRevoke,
} = require('./lib/pki');
const {
    freshAccount, waitStatus, payOnline, confirmTrade, lastTransfer, memoCode,
} = require('./lib/payflow');
const { mediumOf, openMedium } = require('./lib/station');

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);
const ORG = '深圳测试科技有限公司';
const INVOICE_PURPOSE = '介质服务费';

/* an issued organisation certificate of a new applicant (the certificate
 * store's side, as tests/integ/reissue.test.js makes it) */
async function issuedCert(op) {
    const o = await acceptedByTransfer();
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    return { ...o, serial };
}

/* the reissue form: the applicant's data again, a fresh basic account */
function reissueForm(serial, extra = {}) {
    const f = orgForm({ agent_mobile: freshPhone('137'), bank_account: freshAccount(), ...extra });
    delete f.cert_type;
    delete f.years;
    return { project: 'hall', serial, ...f };
}

/* notice, agreements, serial page, form page: the submit key of the form */
async function toForm(o) {
    const n = await o.c.get('/reissue/notice');
    assert.equal(n.status, 200);
    assert.match(n.text, /操作提示/);
    assert.match(n.text, /href="\/reissue"/, '确认 leads to the project choice of the generic hall');
    const projects = await o.c.get('/reissue');
    assert.match(projects.text, /href="\/reissue\?project=hall"/);
    const ag = await o.c.get('/reissue?project=hall');
    assert.equal(ag.status, 200);
    assert.match(ag.text, /《电子认证服务协议》/);
    assert.match(ag.text, /《敏感个人信息授权书》/);
    assert.match(ag.text, /agreement-body/, 'the texts are on the page before accepting');
    const a = await o.c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.redirect, '/reissue/serial?project=hall');
    const s = await o.c.get(`/reissue/serial?project=hall&serial=${o.serial}`);
    assert.equal(s.status, 200, s.text);
    assert.match(s.text, new RegExp(`id="cert-org">${ORG}<`));
    assert.match(s.text, /id="cert-type">机构证书</);
    assert.match(s.text, /id="cert-status">有效</);
    assert.match(s.text, /id="cert-validity">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 至 \d{4}/);
    const next = s.text.match(/id="serial-next" href="([^"]+)"/)[1].replace(/&amp;/g, '&');
    assert.equal(next, `/reissue/apply?project=hall&serial=${o.serial}`);
    const page = await o.c.get(next);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, new RegExp(`name="org_name" maxlength="100" value="${ORG}"`), 'the certificate\'s organisation');
    assert.match(page.text, new RegExp(`name="bank_account_name" maxlength="100" value="${ORG}"`), '基本户名称 = 机构名称');
    assert.match(page.text, /id="price-reissue">0\.00元</);
    assert.match(page.text, /id="price-medium">100\.00元</);
    assert.match(page.text, /id="total-amount">100\.00元</);
    assert.match(page.text, /发票用途：\* 介质服务费/);
    o.formPage = page.text;
    return page.text.match(/name="submit_key" value="([^"]+)"/)[1];
}

test('reissue_flow__serial_step__format_unknown_revoked_foreign_refused_with_status', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    await toForm(o);
    const page = (s) => o.c.get(`/reissue/serial?project=hall&serial=${s}`);
    let r = await page(o.serial.toLowerCase());
    assert.equal(r.status, 400, 'case-sensitive');
    assert.match(r.text, /id="serial-error" role="alert">证书序列号应为16位十六进制数字/);
    assert.doesNotMatch(r.text, /serial-next/);
    r = await page('0000000000000001');
    assert.equal(r.status, 404);
    assert.match(r.text, /未找到该证书序列号对应的证书/);
    /* someone else's certificate: the public fields, no way on */
    const other = await issuedCert(op);
    r = await page(other.serial);
    assert.equal(r.status, 403);
    assert.match(r.text, /该证书序列号对应的证书不是您申请的证书/);
    assert.doesNotMatch(r.text, /cert-subject|serial-next/);
    /* the same for the form page and the submit: nothing written */
    const before = psql(`SELECT count(*) FROM orders WHERE business_type = 'reissue'`);
    const cases = [
        [o.serial.toLowerCase(), 400, /16位十六进制/],
        ['712C1B5A584A1BBG', 400, /16位十六进制/],
        ['0000000000000001', 404, /未找到/],
        [other.serial, 403, /不是您申请的证书/],
    ];
    for (const [s, status, re] of cases) {
        const g = await o.c.get(`/reissue/apply?project=hall&serial=${s}`);
        assert.equal(g.status, status, `GET apply ${s}`);
        const p = await o.c.post('/reissue/apply', reissueForm(s));
        assert.equal(p.status, status, `POST apply ${s}: ${p.text}`);
        assert.equal(p.body.field, 'serial');
        assert.match(p.body.message, re);
        assert.match(p.body.message, /证书序列号/, 'the message names the serial');
    }
    /* revoked meanwhile: 409 on every step */
    assert.equal((await staffRevoke(o.serial, 'superseded', op)).status, 200);
    r = await page(o.serial);
    assert.equal(r.status, 409);
    assert.match(r.text, /id="cert-status">已吊销</);
    assert.match(r.text, /已吊销，不能办理补办/);
    const p = await o.c.post('/reissue/apply', reissueForm(o.serial));
    assert.equal(p.status, 409);
    assert.equal(p.body.field, 'serial');
    assert.equal(psql(`SELECT count(*) FROM orders WHERE business_type = 'reissue'`), before, 'nothing written');
});

/* seed 004 (issue 40 §6): 补办's form says the invoice comes to the phone
 * and the mailbox (电子发票将发送至您预留的手机上和邮箱中), and the 电子发票
 * option carries its 实行电子发票公告 */
test('reissue_flow__form__invoice_to_phone_and_mailbox__the_invoice_notice', async () => {
    const o = await issuedCert(await operator());
    await toForm(o);
    assert.match(o.formPage, /id="invoice-hint">温馨提示：电子发票将发送至您预留的手机上和邮箱中。</);
    assert.match(o.formPage, /<details class="notice" id="invoice-notice"><summary>实行电子发票公告<\/summary>/);
});

test('reissue_flow__bad_value_per_group__400_naming_field_all_at_once_nothing_written', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const count = () => psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`);
    const bad = {
        unit: ['org_id', { org_id: '91110000600037341X' }, /机构证件号码/],
        legal: ['legal_ric', { legal_ric: '360426199101010072' }, /法人身份证号码/],
        agent: ['agent_mobile', { agent_mobile: '1234' }, /经办人移动电话/],
        bank: ['bank_account_name', { bank_account_name: '别的公司有限公司' }, /基本户名称须与机构名称一致/],
        mail: ['mail_postcode', { mail_postcode: '12ab' }, /邮政编码/],
        invoice: ['invoice_title', { invoice: 'yes', invoice_title_type: 'org', invoice_title: '' }, /发票抬头/],
        cert: ['org_name', { org_name: '另一家科技有限公司', bank_account_name: '另一家科技有限公司' }, /原证书的机构名称（深圳测试科技有限公司）/],
    };
    for (const [group, [field, extra, re]] of Object.entries(bad)) {
        const r = await o.c.post('/reissue/apply', { ...reissueForm(o.serial, extra), submit_key: key });
        assert.equal(r.status, 400, `${group}: ${r.text}`);
        assert.equal(r.body.field, field, group);
        assert.match(r.body.message, re, group);
    }
    /* several at once: every one named */
    const r = await o.c.post('/reissue/apply', {
        ...reissueForm(o.serial, { org_id: 'x', agent_mobile: '1', mail_postcode: 'abcdef', legal_ric: '1' }),
        submit_key: key,
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors.map((e) => e.field).sort(),
        ['agent_mobile', 'legal_ric', 'mail_postcode', 'org_id']);
    assert.equal(count(), '0', 'nothing written');
});

test('reissue_flow__same_form_twice_concurrently__one_order_claiming_the_certificate', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const form = { ...reissueForm(o.serial), submit_key: key };
    const rs = await Promise.all([1, 2, 3].map(() => o.c.post('/reissue/apply', form)));
    for (const r of rs)
        assert.equal(r.status, 200, r.text);
    const ids = new Set(rs.map((r) => r.body.redirect));
    assert.equal(ids.size, 1, [...ids].join());
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`), '1');
    /* another form (another tab) for the same certificate: it is claimed */
    const tab = await o.c.get(`/reissue/apply?project=hall&serial=${o.serial}`);
    assert.equal(tab.status, 409, 'the form page says the certificate is being reissued');
    const again = await o.c.post('/reissue/apply', { ...reissueForm(o.serial), submit_key: 'x'.repeat(32) });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /正在办理中/);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`), '1');
});

/* the phone's OCR and liveness for the agent of the form */
async function identity(c, id, form) {
    const page = await c.get(`/reissue/identity?id=${id}`);
    assert.equal(page.status, 200, page.text);
    const href = page.text.match(/href="([^"]*\/reissue\/m\/verify\?t=[^"]+)"/)[1].replace(/&amp;/g, '&');
    const t = new URL(href, HALL).searchParams.get('t');
    const phone = new Client();
    assert.equal((await phone.get(`/reissue/m/verify?t=${t}`)).status, 200);
    let r = await phone.postMultipart('/reissue/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    r = await phone.postMultipart('/reissue/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    const st = await c.getJSON(`/reissue/identity/status?id=${id}`);
    assert.equal(st.body.status, 'passed');
    assert.equal(st.body.next, `/pay?id=${id}`);
}

test('reissue_flow__whole_path__wechat_fee_shown_is_charged__approval_revokes_old_issues_new', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const form = { ...reissueForm(o.serial), submit_key: key };
    const r = await o.c.post('/reissue/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/^\/reissue\/print\?id=(\d+)$/)[1]);
    assert.equal(psql(`SELECT business_type || '|' || reissue_of || '|' || cert_type || '|' || amount_fen
        || '|' || subject FROM orders WHERE id = ${id}`), `reissue|${o.serial}|org|10000|${ORG}`);

    /* 迷失补办申请表 */
    const pr = await o.c.get(`/reissue/print?id=${id}`);
    assert.equal(pr.status, 200);
    assert.match(pr.text, /迷失补办申请表/);
    assert.match(pr.text, /id="print-business">迷失补办申请</);
    assert.match(pr.text, new RegExp(`id="print-serial">${o.serial}<`));
    assert.match(pr.text, /id="print-reissue-fee">0\.00元</);
    assert.match(pr.text, /id="print-medium-fee">100\.00元</);
    assert.match(pr.text, /id="amount">100\.00元</);
    assert.match(pr.text, /id="print-invoice-purpose">介质服务费</);
    /* seed 004: the 授权委托 names both people with their ID numbers, from the day of the order */
    const day = psql(`SELECT to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'FMYYYY年FMMM月FMDD日') FROM orders WHERE id = ${id}`);
    const statement = pr.text.match(/id="print-statement">([^<]*)</)[1];
    assert.ok(statement.includes(`身份证号码：${form.legal_ric}`), statement);
    assert.ok(statement.includes(`身份证号：${form.agent_ric}`), statement);
    assert.ok(statement.includes(`委托期限：自${day}起至委托事项办结`), statement);
    const early = await o.c.get(`/reissue/upload?id=${id}`);
    assert.equal(early.headers.get('location'), `/reissue/print?id=${id}`, 'print first');
    const printed = await o.c.post('/reissue/printed', { id });
    assert.equal(printed.body.redirect, `/reissue/upload?id=${id}`);

    /* uploads: 申请表, 营业执照 and nothing else */
    const up = await o.c.get(`/reissue/upload?id=${id}`);
    assert.match(up.text, /申请表扫描件/);
    assert.match(up.text, /营业执照扫描件/);
    assert.doesNotMatch(up.text, /经办人身份证扫描件/);
    let u = await o.c.post('/reissue/uploaded', { id });
    assert.equal(u.status, 400);
    assert.deepEqual(u.body.errors.map((e) => e.field), ['application', 'license']);
    for (const [kind, data] of [['application', JPEG], ['license', PDF]]) {
        const x = await o.c.postMultipart('/reissue/upload', { id, kind }, { file: { name: `${kind}.jpg`, data } });
        assert.equal(x.status, 200, `${kind}: ${x.text}`);
    }
    u = await o.c.post('/reissue/uploaded', { id });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.redirect, `/reissue/identity?id=${id}`);
    await identity(o.c, id, form);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');

    /* 微信支付: the amount shown is the amount charged */
    const pay = await o.c.get(`/pay?id=${id}`);
    assert.equal(pay.status, 200);
    assert.match(pay.text, /介质遗失补办/);
    assert.match(pay.text, /id="amount">100\.00元</);
    assert.match(pay.text, /id="reissue-fee">0\.00元</);
    assert.match(pay.text, /id="medium-fee">100\.00元</);
    assert.match(pay.text, /value="wechat" checked/, 'seed 004: 选择微信支付');
    /* the steps bar is 补办's own, at its 在线支付 step */
    const bar = pay.text.match(/<ol class="steps"[^>]*>([\s\S]*?)<\/ol>/)[1];
    const names = [...bar.matchAll(/<li[^>]*>([^<]+)/g)].map((m) => m[1]);
    assert.deepEqual(names, ['介质遗失补办介绍', '阅读协议', '证书选择', '录入信息', '打印申请表',
        '上传资料', '在线认证', '在线支付']);
    assert.match(bar, /<li class="current" aria-current="step">在线支付<\/li>/);
    /* before payment too (issue 40 §6, seed 004): the deposit with the PIN
     * comes after 审核成功, and nothing is typed before review */
    const hint = pay.text.match(/<p class="hint" id="online-hint">([^<]*)</)[1];
    assert.match(hint, /支付成功后申请单直接进入资料审核环节/);
    assert.match(hint, /深圳CA审核成功后将向申请单位对公账户打款0\.01元，并以转账交易附言方式下发证书PIN码/);
    assert.doesNotMatch(hint, /输入|验证通过/, 'no code to type before review');
    const trade = await payOnline(o.c, id, 'wechat');
    await confirmTrade(trade);
    /* seed 004: straight to review; the 0.01 deposit with the PIN only
     * after 审核成功 */
    await waitStatus(id, 'review');
    assert.equal(psql(`SELECT method || '|' || amount_fen || '|' || status FROM payments WHERE order_id = ${id}`),
        'wechat|10000|paid');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${id}`), '0', 'no deposit before review');

    /* the reviewer sees the old serial and the certificate's details */
    const view = await rv.getJSON(`/admin/order?id=${id}`);
    assert.equal(view.status, 200);
    const row = (n) => view.body.fields.find((f) => f.name === n);
    assert.equal(row('reissue_serial').value, o.serial);
    assert.equal(row('reissue_subject').value, ORG);
    assert.match(row('reissue_valid').value, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 至 \d{4}-/);
    assert.equal(row('invoice_purpose').value, INVOICE_PURPOSE);
    const html = await rv.get(`/admin/order?id=${id}`);
    assert.match(html.text, /原证书序列号/);

    const a = await rv.post('/admin/order/approve', { id });
    assert.equal(a.status, 200, a.text);
    assert.equal(psql(`SELECT state || '|' || revoke_reason FROM certificates WHERE serial = '${o.serial}'`), 'revoked|1');
    /* 成功受理: the operator's 制作证书 makes it (none without it, sql/162) */
    const made = await op.post('/admin/pki/issue', { id });
    assert.equal(made.status, 200, made.text);
    const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);
    assert.match(fresh, /^[0-9A-F]{16}$/);
    /* approved: the 0.01 deposit carries the PIN, which opens the new medium */
    const memo = (await lastTransfer(form.bank_account)).memo;
    assert.match(memo, /PIN/);
    const pin = memoCode({ memo });
    /* no file to download: the key was born on the USB key, which the PIN opens */
    assert.equal((await o.c.get(`/pki/medium?id=${id}`)).status, 410);
    const opened = openMedium(mediumOf(id), pin);
    assert.equal(opened.status, 0, opened.out);
    assert.match(opened.key || '', /Private Key Object; EC/);
    assert.equal(psql(`SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE entity = 'order'
        AND entity_id = '${id}' AND action LIKE 'pin_deposit%'`), 'pin_deposit_sent');
    const dir = tmpdir();
    await fetchPki(dir);
    let q = ocspQuery(dir, 'ecc', o.serial);
    assert.ok(q.verified, q.out);
    assert.match(q.line, /: revoked$/, q.out);
    q = ocspQuery(dir, 'ecc', fresh);
    assert.ok(q.verified, q.out);
    assert.match(q.line, /: good$/, q.out);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [s, want] of [[o.serial, '已吊销'], [fresh, '有效']]) {
        const l = await (await fetch(`${HALL}/pki/lookup?serial=${s}`, { headers: { Accept: 'application/json' } })).json();
        assert.equal(l.cert.status_label, want, s);
    }
});


test('reissue_flow__home_page_links_where_products_allow', async () => {
    const c = await applicant();
    /* the agreements come before the serial step, and lead back to it with the certificate */
    const early = await c.get('/reissue/serial?project=hall&serial=712C1B5A584A1BBE');
    assert.ok([302, 303].includes(early.status), String(early.status));
    assert.equal(early.headers.get('location'), '/reissue?project=hall&serial=712C1B5A584A1BBE');
    const home = await c.get('/');
    assert.match(home.text, /<a href="\/reissue\/notice" id="biz-reissue">介质遗失补办<\/a>/);
    /* jieyang's own reissue products (sql/043): the link below it */
    const jy = await c.get('/jieyang/');
    assert.equal(jy.status, 200);
    assert.match(jy.text, /<a href="\/jieyang\/reissue\/notice" id="biz-reissue">介质遗失补办<\/a>/);
    assert.match(jy.text, /href="\/jieyang\/new"/);
});

test('reissue_notice__partner_review_days_as_its_pay_page__deposit_after_approval', async () => {
    for (const code of ['jieyang', 'hunan']) {
        const days = Number(psql(`SELECT review_sla_days FROM partners WHERE code = '${code}'`));
        const words = ['', '一', '两', '三', '四', '五', '六', '七', '八', '九', '十'][days] + '个工作日';
        const r = await new Client().get(`/${code}/reissue/notice`);
        assert.equal(r.status, 200, r.text);
        const steps = r.text.match(/<ol id="reissue-notice">([\s\S]*?)<\/ol>/)[1];
        assert.ok(steps.includes(`等待深圳CA${words}审核`), `${code}: ${words}`);
        /* seed 004's 注: the 0.01 元 comes after the approval */
        assert.match(r.text, /id="reissue-pin-note">注：若使用微信支付，深圳CA审核成功后SZCA将向申请单位对公账户打款0\.01元/);
    }
});
