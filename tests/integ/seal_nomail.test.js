'use strict';
/*
 * An SM2 电子签章申请 mails nothing: its certificates' keys are born in the
 * applicant's browser (order_key_origin; docs/modules/seal.md), so the
 * form asks no 邮寄信息 and charges no 寄付 parcel (modules/seal/seal_apply.c
 * skips the mail group as a 证书新办's browser key does).  An ECDSA one,
 * whose USB key is mailed, still needs the address.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP } = require('./lib/hall');
const { applicant, freshPhone } = require('./lib/client');
const { psql } = require('./lib/pki');
const { toApply } = require('./lib/seal');
const { orgForm } = require('./lib/payflow');

async function form(ca) {
    const c = await applicant();
    const key = await toApply(c);
    const f = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key, ca,
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0', person_count: '0',
    };
    delete f.years;
    for (const k of Object.keys(f))
        if (k.startsWith('mail_'))
            delete f[k];
    return { c, f };
}

test('seal_nomail__sm2_seal_order__no_mailing_address_no_parcel__ecdsa_still_needs_one', { skip: SKIP }, async () => {
    /* ECDSA: the USB key is mailed, the address is asked for */
    const ecc = await form('ecc');
    delete ecc.f.shipping;
    const refused = await ecc.c.post('/seal/apply', ecc.f);
    assert.equal(refused.status, 400, refused.text);
    assert.ok(refused.body.errors.some((e) => /^mail_/.test(e.field)), refused.text);
    assert.ok(refused.body.errors.some((e) => e.field === 'shipping'), refused.text);

    /* SM2: no address, a posted 寄付 ignored, no parcel on the bill */
    const sm2 = await form('sm2');
    const page = await sm2.c.get('/seal/apply');
    assert.equal(page.status, 200);
    assert.match(page.text, /id="nomail-hint"[^>]*>国密SM2印章的证书密钥在您的浏览器中生成/);
    const r = await sm2.c.post('/seal/apply', { ...sm2.f, shipping: 'prepaid' });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT shipping_fen || '|' || (amount_fen = cert_fen) || '|' || order_key_origin(id)
        FROM orders WHERE id = ${id}`), '0|true|browser');
    /* the order's print says nothing is mailed */
    const print = await sm2.c.get(`/seal/print?id=${id}`);
    assert.equal(print.status, 200, print.text);
    assert.match(print.text, /不邮寄/);
    assert.doesNotMatch(print.text, /收件人/);
});
