'use strict';
/*
 * No money for what is not made or mailed, and the pay page says what is
 * (issue 72 §3):
 *   - an SM2 电子签章申请 makes no medium (its keys are born in the
 *     browser): no 介质费 in its products, its order or its page's prices,
 *     where the ECDSA one, made onto a mailed USB key, keeps it (sql/180);
 *   - a USB key's 证书变更 is the 证书助手's on the same key (hall-assist
 *     change): no 邮寄信息 asked, a posted 寄付 charges nothing, and its pay
 *     page says 不邮寄 and promises no PIN by SMS;
 *   - a browser-made certificate's 补办 (0.00元) shows no 发票用途 介质服务费.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP } = require('./lib/hall');
const { applicant, freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, psql, orgForm } = require('./lib/pki');
const { toApply } = require('./lib/seal');
const { freshAccount } = require('./lib/payflow');
const { holderKey } = require('./lib/holder');

const NEW_ORG = '深圳不邮寄变更科技有限公司';

async function sealForm(ca) {
    const c = await applicant();
    const key = await toApply(c);
    const f = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key, ca,
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '1', biz_years: '1',
        biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
    };
    delete f.years;
    return { c, f };
}

/* one year of the hall's seal product of a kind and algorithm: [per year, 介质费] */
function product(kind, ca) {
    const [fen, medium] = psql(`SELECT price_per_year_fen + fixed_fee_fen || '|' || coalesce(breakdown->>'介质费', '0')
        FROM products WHERE partner_code = 'hall' AND business_type = 'seal' AND cert_type = '${kind}'
        AND ca = '${ca}' AND active`).split('|').map(Number);
    return { fen, medium };
}

test('sm2_seal_order__no_medium_fee__ecdsa_keeps_its_medium', { skip: SKIP }, async () => {
    for (const kind of ['org', 'org_business', 'org_person']) {
        const ecc = product(kind, 'ecc'), sm2 = product(kind, 'sm2');
        assert.ok(ecc.medium > 0, `the ECDSA ${kind} keeps its 介质费`);
        assert.equal(sm2.medium, 0, `no 介质费 in the SM2 ${kind}`);
        assert.equal(sm2.fen, ecc.fen - ecc.medium, `the SM2 ${kind}: the ECDSA price less the 介质费`);
    }
    const org = product('org', 'sm2').fen, biz = product('org_business', 'sm2').fen;
    /* the page gives each algorithm's terms, SM2's without the 介质费 */
    const s = await sealForm('sm2');
    const page = (await s.c.get('/seal/apply')).text;
    assert.match(page, new RegExp(`data-fen-sm2="${org} 0" id="org-heading"`));
    assert.doesNotMatch(page, /价格相同/);
    const r = await s.c.post('/seal/apply', s.f);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT amount_fen || '|' || cert_fen || '|' || shipping_fen FROM orders WHERE id = ${id}`),
        `${org + biz}|${org + biz}|0`, 'the SM2 seals without 介质费, nothing mailed');
    /* the ECDSA order of the same seals keeps the 介质费 */
    const e = await sealForm('ecc');
    const x = await e.c.post('/seal/apply', { ...e.f, shipping: 'collect' });
    assert.equal(x.status, 200, x.text);
    const eid = Number(x.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT cert_fen FROM orders WHERE id = ${eid}`),
        String(product('org', 'ecc').fen + product('org_business', 'ecc').fen));
});

test('usb_key_change__no_address_no_courier__pay_page_says_nothing_is_mailed', { skip: SKIP }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer({ project: 'hall' });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.notEqual(psql(`SELECT coalesce(medium_serial, '') FROM certificates WHERE serial = '${serial}'`), '',
        'the certificate is on a USB key');
    assert.equal((await o.c.post('/change/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await o.c.get(`/change/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /id="no-mail">无需寄送：由证书助手在原USB Key上办理，不制作、不邮寄新介质/);
    assert.doesNotMatch(page.text, /name="mail_province"/);
    const key = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const f = { ...o.form, bank_account: freshAccount(), org_name: NEW_ORG, bank_account_name: NEW_ORG,
        invoice_title: NEW_ORG, shipping: 'prepaid' };
    delete f.cert_type;
    delete f.years;
    for (const k of Object.keys(f))
        if (k.startsWith('mail_'))
            delete f[k];
    /* no address: saved, and the 寄付 posted charges nothing */
    const r = await o.c.post('/change/apply', { project: 'hall', serial, submit_key: key, ...f });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT shipping_fen || '|' || (amount_fen = cert_fen) FROM orders WHERE id = ${id}`), '0|true');
    /* the pay page says so before payment, and promises no PIN by SMS */
    psql(`UPDATE orders SET status = 'unpaid' WHERE id = ${id}`);
    const pay = await o.c.get(`/pay?id=${id}`);
    assert.equal(pay.status, 200, pay.text);
    assert.match(pay.text, /id="delivery">不邮寄（由证书助手在原USB Key上办理/);
    assert.doesNotMatch(pay.text, /快递费用|PIN码将通过短信/);
    assert.match(pay.text, /USB Key的PIN码不变/);
});

test('browser_key_reissue__zero_fee__no_medium_invoice_purpose__pay_page_no_pin_promise', { skip: SKIP }, async () => {
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: freshAccount(), ca: 'sm2' }) });
    const serial = (await holderKey(o.c, o.id)).serial;
    await o.c.get('/reissue?project=hall');
    assert.equal((await o.c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await o.c.get(`/reissue/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    assert.doesNotMatch(page.text, /介质服务费/);
    assert.match(page.text, /id="invoice-purpose">本业务单费用为0.00元/);
    assert.match(page.text, /name="invoice" value="no" checked/);
    const key = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const form = orgForm({ agent_mobile: freshPhone('137'), bank_account: freshAccount(), invoice: 'no' });
    delete form.cert_type;
    delete form.years;
    delete form.ca;
    const r = await o.c.post('/reissue/apply', { project: 'hall', serial, submit_key: key, ...form });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)$/)[1]);
    const print = await o.c.get(`/reissue/print?id=${id}`);
    assert.doesNotMatch(print.text, /介质服务费/);
    psql(`UPDATE orders SET status = 'unpaid' WHERE id = ${id}`);
    const pay = await o.c.get(`/pay?id=${id}`);
    assert.equal(pay.status, 200, pay.text);
    assert.match(pay.text, /id="delivery">不邮寄（新的密钥在您的浏览器中生成/);
    assert.doesNotMatch(pay.text, /PIN码将通过短信|转账交易附言方式下发证书PIN码/);
    assert.match(pay.text, /证书PIN码由您生成密钥时自行设定/);
});
