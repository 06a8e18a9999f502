'use strict';
/*
 * The pages against the seeds (issue 7, items 17-18), second part: the PC
 * page of 在线认证 may be refreshed while the phone works on its link; the
 * pay page names the receiving account, the partner's own review time and
 * the one word for the memo's code; Hunan's print form and its guide.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant } = require('./lib/client');
const {
    psql, orgForm, personForm, unpaidOrder, waitStatus, payOnline, confirmTrade, lastTransfer, memoCode,
    upload, PNG,
} = require('./lib/payflow');

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);
const idPhoto = (name, ric) => Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${name}|${ric}\n`)]);

/* a draft order whose materials are done: the 在线认证 step */
async function identityOrder() {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    psql(`UPDATE orders SET step = 'upload', printed_at = now() WHERE id = ${id}`);
    return { c, id };
}

/* the one-time link of the QR code, as a fresh GET of the PC page shows it */
async function qrToken(c, id) {
    const page = await c.get(`/new/identity?id=${id}`);
    assert.equal(page.status, 200, page.text);
    return page.text.match(/\/new\/m\/verify\?t=([A-Za-z0-9_-]{43})/)[1];
}

test('identity__pc_refreshed_while_the_phone_works__the_phone_finishes_and_the_pc_sees_it', async () => {
    const { c, id } = await identityOrder();
    const t = await qrToken(c, id);
    const phone = new Client();
    assert.equal((await phone.get(`/new/m/verify?t=${t}`)).status, 200);
    /* the agent refreshes the PC page: a new QR code, the phone goes on */
    const t2 = await qrToken(c, id);
    assert.notEqual(t2, t);
    let r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto('李四', '412723199010050012') },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await c.getJSON(`/new/identity/status?id=${id}`)).body.status, 'ocr_ok');
    await qrToken(c, id); /* refreshed again, between the two steps */
    r = await phone.postMultipart('/new/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    const st = await c.getJSON(`/new/identity/status?id=${id}`);
    assert.equal(st.body.status, 'passed');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');
    /* the codes nobody opened died with the refreshes, and now the order is past them */
    assert.equal((await new Client().get(`/new/m/verify?t=${t2}`)).status, 410);
});

/* every 「PIN码」 of a text is the seeds' 「证书PIN码」 (机构证书PIN码 included), no other name */
function oneName(text, what) {
    assert.ok(!/随机验证码|随机码|金融认证码/.test(text), `${what} names the code otherwise`);
    for (const m of text.matchAll(/PIN码/g))
        assert.equal(text.slice(m.index - 2, m.index), '证书', `${what}: ${text.slice(m.index - 12, m.index + 4)}`);
}

test('code_name__pin_product__证书PIN码_on_pay_finauth_messages_and_history', async () => {
    const c = await applicant();
    const { id, account } = await unpaidOrder(c, { form: orgForm() });
    const pay = await c.get(`/pay?id=${id}`);
    oneName(pay.text, 'pay page');
    assert.ok(pay.text.includes('并将证书PIN码以转账交易附言方式发送至对公账户'));
    await confirmTrade(await payOnline(c, id));
    await waitStatus(id, 'finauth_ok');
    const memo = memoCode(await lastTransfer(account));
    const page = await c.get(`/finauth?id=${id}`);
    oneName(page.text, 'finauth page');
    assert.ok(page.text.includes('证书PIN码（6位数字）'));
    const status = await c.get(`/pay?id=${id}`);
    oneName(status.text, 'pay status page');
    const wrong = await c.post('/finauth/code', { id, code: memo === '000000' ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.message, /^证书PIN码不正确，您还可以输入\d次$/);
    const history = await c.get(`/center/order?id=${id}`);
    assert.ok(history.text.includes('证书PIN码输入错误'));
    oneName(history.text, 'order page');
});

test('pay_page__receiving_account_and_bank_of_the_partner', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c, { form: orgForm() });
    const [name, bank, account] = psql(`SELECT payee_name || '|' || payee_bank || '|' || payee_account
        FROM partners WHERE code = 'jieyang'`).split('|');
    const pay = await c.get(`/pay?id=${id}`);
    assert.ok(pay.text.includes(`<dd id="payee-name">${name}</dd>`));
    assert.ok(pay.text.includes(`<dt>收款开户行</dt><dd id="payee-bank">${bank}</dd>`));
    assert.ok(pay.text.includes(`<dt>收款账号</dt><dd id="payee-account">${account}</dd>`));
});

test('pay_page__transfer_text_uses_the_partners_review_time', async () => {
    const hn = await applicant();
    const { id } = await unpaidOrder(hn, { project: 'hunan', base: '/hunan', form: orgForm() });
    let pay = await hn.get(`/hunan/pay?id=${id}`);
    assert.ok(pay.text.includes('将在一个工作日内核实款项到账情况'), 'Hunan promises one working day');
    assert.ok(!pay.text.includes('三个工作日'));
    const v = await upload(hn, '/hunan/pay/transfer', { id }, { bytes: PNG, name: 'v.png', type: 'image/png' });
    assert.equal(v.status, 200, v.text);
    pay = await hn.get(`/hunan/pay?id=${id}`);
    assert.match(pay.text, /汇款凭证已提交。深圳CA工作人员将在一个工作日内核实款项到账情况/);
    const jy = await applicant();
    const o = await unpaidOrder(jy, { form: orgForm() });
    assert.ok((await jy.get(`/pay?id=${o.id}`)).text.includes('将在两个工作日内核实款项到账情况'));
});

test('pay_page__natural_person__no_company_account_wording', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c, { form: personForm() });
    const pay = await c.get(`/pay?id=${id}`);
    assert.equal(pay.status, 200);
    for (const s of ['贵司', '对公账户', '公对公', '经办人'])
        assert.ok(!pay.text.includes(s), `a natural person's pay page says ${s}`);
    for (const s of ['银行转账', '无需进行金融认证', '证书PIN码将通过短信方式发至申请人手机号码'])
        assert.ok(pay.text.includes(s), `a natural person's pay page says ${s}`);
    oneName(pay.text, 'person pay page');
});

test('print__hunan_price_includes_the_seal__电子签章_办理', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c, { project: 'hunan', base: '/hunan', form: orgForm() });
    psql(`UPDATE orders SET status = 'draft' WHERE id = ${id}`);
    const pr = await c.get(`/hunan/new/print?id=${id}`);
    assert.equal(pr.status, 200);
    assert.match(pr.text, /<td id="print-seal">办理（证书费用已含签章费）<\/td>/);
    assert.match(pr.text, /350\.00元/);
    const j = await applicant();
    const o = await unpaidOrder(j, { form: orgForm() });
    psql(`UPDATE orders SET status = 'draft' WHERE id = ${o.id}`);
    assert.match((await j.get(`/new/print?id=${o.id}`)).text, /<td id="print-seal">不办理<\/td>/,
        'a product without 签章费 still says 不办理');
});

test('agreements__hunan_shows_its_证书办理指南_before_the_agreements', async () => {
    const c = await applicant();
    const page = await c.get('/hunan/new');
    assert.equal(page.status, 200);
    assert.match(page.text, /请先阅读《证书办理指南》/);
    const guide = page.text.match(/<div class="guide-body"[^>]*>([^]*?)<\/div>/)[1];
    for (const s of ['阅读《证书办理指南》并同意勾选《电子认证服务协议》《敏感个人信息授权书》',
        '一个工作日内审核', '说明1：如付款方式选择支付宝/微信', '400-112-3838'])
        assert.ok(guide.includes(s), `the guide says ${s}`);
    assert.ok(guide.indexOf('说明1') < guide.indexOf('说明2'));
    const other = await c.get('/new?project=jieyang');
    assert.ok(!other.text.includes('证书办理指南'), 'only the partner that has one');
});
