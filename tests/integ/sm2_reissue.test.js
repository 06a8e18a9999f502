'use strict';
/*
 * 介质遗失补办 of an SM2 certificate: the new certificate is SM2 again,
 * under the SM2 chain, as 更新, 变更 and 解锁 keep the old certificate's
 * algorithm (core/biz/produce.c).  Before, a reissue took the 补办
 * product's CA, and an SM2 机构证书 came back ECDSA.  An SM2 certificate's
 * key is born with its holder (sql/161, functions/order_key_origin.sql):
 * the first one's and the reissued one's are made by the holder
 * (tests/integ/lib/holder.js, as the order page does), never by the hall.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, HALL, freshPhone } = require('./lib/client');
const { operator, reviewer, acceptedByTransfer, psql, orgForm } = require('./lib/pki');
const { holderKey } = require('./lib/holder');
const { freshAccount, waitFor, waitStatus } = require('./lib/payflow');

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);

test('sm2_reissue__a_lost_sm2_medium_is_reissued_sm2', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: freshAccount(), ca: 'sm2' }) });
    const serial = (await holderKey(o.c, o.id)).serial;
    assert.equal(psql(`SELECT ca FROM certificates WHERE serial = '${serial}'`), 'sm2');

    /* 补办 of it, through the flow's steps */
    await o.c.get('/reissue?project=hall');
    assert.equal((await o.c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await o.c.get(`/reissue/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    const key = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const form = orgForm({ agent_mobile: freshPhone('137'), bank_account: freshAccount() });
    delete form.cert_type;
    delete form.years;
    delete form.ca;
    const r = await o.c.post('/reissue/apply', { project: 'hall', serial, submit_key: key, ...form });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)$/)[1]);
    assert.equal((await o.c.post('/reissue/printed', { id })).status, 200);
    for (const kind of ['application', 'license']) {
        const x = await o.c.postMultipart('/reissue/upload', { id, kind }, { file: { name: `${kind}.jpg`, data: JPEG } });
        assert.equal(x.status, 200, `${kind}: ${x.text}`);
    }
    assert.equal((await o.c.post('/reissue/uploaded', { id })).status, 200);
    const ident = await o.c.get(`/reissue/identity?id=${id}`);
    const href = ident.text.match(/href="([^"]*\/reissue\/m\/verify\?t=[^"]+)"/)[1].replace(/&amp;/g, '&');
    const t = new URL(href, HALL).searchParams.get('t');
    const phone = new Client();
    await phone.get(`/reissue/m/verify?t=${t}`);
    assert.equal((await phone.postMultipart('/reissue/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
        back: { name: 'b.jpg', data: BACK } })).status, 200);
    assert.equal((await phone.postMultipart('/reissue/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } })).status, 200);
    /* made in the browser: no medium, so no 介质费 and nothing to pay (sql/170) */
    assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '0');
    await waitStatus(id, 'review');
    assert.equal((await rv.post('/admin/order/approve', { id })).status, 200);
    /* 成功受理: the holder's to make, neither the hall's tick nor the operator's */
    await waitFor('accepted', () => psql(`SELECT status FROM orders WHERE id = ${id}`) === 'accepted');
    assert.equal(psql(`SELECT order_key_origin(${id})`), 'browser');
    const refused = await op.post('/admin/pki/issue', { id });
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.body.message, /SM2证书的密钥由申请人在浏览器中生成/);
    const made = await holderKey(o.c, id);
    assert.equal(made.algorithm, 'sm2');
    assert.equal(psql(`SELECT key_origin || '|' || (p12_enc IS NULL) FROM certificates WHERE serial = '${made.serial}'`),
        'browser|true');

    /* the new certificate: SM2, same subject; the old one revoked */
    assert.equal(psql(`SELECT ca || '|' || subject_cn FROM certificates WHERE order_id = ${id} AND state = 'issued'`),
        `sm2|${psql(`SELECT subject_cn FROM certificates WHERE serial = '${serial}'`)}`);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${serial}'`), 'revoked');
});
