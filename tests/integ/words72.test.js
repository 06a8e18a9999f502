'use strict';
/*
 * Words that promised what does not happen (issue 72 §4), read in the pages
 * through nginx:
 *   - a browser-made certificate's 补办, 变更 and 解锁 forms no longer say
 *     证书PIN码将以转账交易附言方式发送至对公账户 (the holder sets the PIN);
 *     a USB key's 变更 by the 证书助手 says the key's PIN stays;
 *   - the order page's key step no longer says 代替打款附言或短信通知的PIN码;
 *   - an SM2 seal order's page shows its own 机构证书's serial, not the
 *     机构业务章's made after it;
 *   - the SM2 seal order's page before its key is made: 印章费 as the form
 *     totals it (not 证书900.00元), no 新的密钥 on a first certificate, no
 *     印章证书 to download; the form's 机构个人章 hint and 我的电子印章's
 *     caption promise no SMS PIN, no 介质下载码, no one-time download;
 *   - 常见问题 of a channel that sells no product whose key is born in the
 *     browser (湖南, 建筑工务署) does not describe one; the hall's does.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP } = require('./lib/hall');
const { freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, psql, orgForm, tmpdir } = require('./lib/pki');
const { applicant } = require('./lib/client');
const { freshAccount } = require('./lib/payflow');
const { holderKey, holderRequest } = require('./lib/holder');
const { toApply } = require('./lib/seal');

const hint = (html) => (html.match(/id="bank-memo-hint">([^<]*)</) || [])[1];

test('browser_key_replacing_forms__no_pin_by_memo_or_sms__the_holder_sets_it', { skip: SKIP }, async () => {
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: freshAccount(), ca: 'sm2' }) });
    /* the key step before: the PIN is the holder's, nothing replaces a memo */
    const step = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(step.text, /id="keygen-note">[^<]*证书PIN码由您在此自己设定，网上营业厅不知道、也不通过转账交易附言或短信发送PIN码/);
    assert.doesNotMatch(step.text, /代替打款附言/);
    const serial = (await holderKey(o.c, o.id)).serial;
    for (const flow of ['reissue', 'change', 'unlock']) {
        assert.equal((await o.c.post(`/${flow}/agree`, { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200, flow);
        const page = await o.c.get(`/${flow}/apply?project=hall&serial=${serial}`);
        assert.equal(page.status, 200, `${flow}: ${page.text}`);
        assert.equal(hint(page.text), '证书的密钥在您的浏览器中生成，证书PIN码由您生成密钥时自行设定，不以转账交易附言或短信发送。',
            flow);
        assert.doesNotMatch(page.text, /PIN码将以转账交易附言方式|PIN码将通过短信方式/, flow);
    }
});

test('usb_key_change_form__the_keys_pin_stays__no_pin_sent', { skip: SKIP }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer({ project: 'hall' });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.equal((await o.c.post('/change/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await o.c.get(`/change/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    assert.equal(hint(page.text), '由证书助手在原USB Key上办理：USB Key的PIN码不变，不以转账交易附言或短信发送PIN码。');
});

test('faq__browser_key_answers_only_where_such_a_product_is_sold', { skip: SKIP }, async () => {
    const { Client } = require('./lib/client');
    const c = new Client();
    for (const [base, code] of [['/hunan', 'hunan'], ['/szjsgws', 'szjsgws']]) {
        assert.equal(psql(`SELECT count(*) FROM products WHERE partner_code = '${code}' AND active
            AND business_type IN ('new', 'seal') AND (key_origin = 'browser' OR ca = 'sm2')`), '0',
            `${code} sells no browser-key product`);
        const page = await c.get(`${base}/faq`);
        assert.equal(page.status, 200, `${base}: ${page.text}`);
        assert.doesNotMatch(page.text, /浏览器生成|在您的浏览器中生成|生成密钥并下载证书/, base);
        assert.match(page.text, /id="faq-medium-key">您的私钥在USB Key内部生成、不能导出：网上营业厅从不持有您的私钥/, base);
    }
    const hall = await c.get('/faq');
    assert.match(hall.text, /id="faq-delivery-browser">选择“浏览器生成密钥”产品的，不邮寄USB Key/);
    assert.match(hall.text, /id="faq-pin-browser">/);
});

test('sm2_seal_order_page__its_own_certificate_serial__not_the_business_seals', { skip: SKIP }, async () => {
    const c = await applicant();
    const key = await toApply(c);
    const form = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key, ca: 'sm2',
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '1', biz_years: '1',
        biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    const dir = tmpdir();
    const own = await holderKey(c, id, { dir });
    const esId = psql(`SELECT 'SZCA' || lpad('${id}', 12, '0') || 'B01'`);
    const x = await c.post('/pki/seal-key', { es_id: esId, csr: holderRequest(dir, 'SM2').b64 });
    assert.equal(x.status, 200, x.text);
    const biz = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND seal_item_id IS NOT NULL`);
    assert.notEqual(biz, '');
    const page = await c.get(`/center/order?id=${id}`);
    assert.match(page.text, new RegExp(`id="cert-serial">${own.serial}<`), 'the order\'s own 机构证书');
    assert.doesNotMatch(page.text, new RegExp(`id="cert-serial">${biz}<`));
});

test('sm2_seal_order_page_before_the_key__印章费__no_new_key_words__no_certificate_download', { skip: SKIP }, async () => {
    const c = await applicant();
    const key = await toApply(c);
    const apply = (await c.get('/seal/apply?project=hall')).text;
    assert.match(apply, /id="person-hint">[^<]*持有人在“机构个人章密钥生成”页面于自己的浏览器中生成密钥/);
    assert.doesNotMatch(apply, /介质下载码/);
    const form = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key, ca: 'sm2',
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '2', org_style: 'auto', biz_count: '1', biz_years: '1',
        biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    const fen = Number(psql(`SELECT cert_fen FROM orders WHERE id = ${id}`));
    const page = (await c.get(`/center/order?id=${id}`)).text;
    assert.match(page, new RegExp(`id="amount">[^<]*（印章费${(fen / 100).toFixed(2)}元，`), 'the form\'s 印章费');
    assert.doesNotMatch(page, /id="amount">[^<]*（证书\d/);
    assert.match(page, /id="keygen-later">[^<]*由您的浏览器生成密钥/);
    assert.doesNotMatch(page, /新的密钥/, 'a first certificate, not a new key');
    assert.match(page, /id="seals"[^>]*>查看电子印章，下载印章文件（印章证书的密钥在浏览器中生成/);
    const seals = (await c.get(`/seal/seals?id=${id}`)).text;
    assert.doesNotMatch(seals, /只能下载一次/, 'no medium to download once');
});
