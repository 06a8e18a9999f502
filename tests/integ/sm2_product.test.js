'use strict';
/*
 * 国密 (issue 40 §6): a product's algorithm is catalogue data (products.ca,
 * sql/114) and the generic hall sells its 机构证书 as SM2 too.  Through
 * nginx: the form's 证书算法, an SM2 order issued by the operator as an
 * ECDSA one is, its PIN by SMS opening the medium, the certificate
 * SM3withSM2 under the SM2 chain with the signer ID, OCSP good, 我的证书
 * naming SM2; a type sold on ECDSA only refuses SM2 naming the field.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, freshPhone, applicant } = require('./lib/client');
const {
    SM2_ID, operator, acceptedByTransfer, smsTo, tmpdir, openssl, fetchPki, ocspQuery, psql, orgForm, personForm,
} = require('./lib/pki');

test('sm2_product__hall_org_certificate_chosen_issued_delivered_checked', async () => {
    /* the form offers 证书算法 where a product is SM2: the hall, not Jieyang */
    const c0 = await applicant();
    await c0.get('/new?project=hall');
    assert.equal((await c0.post('/new/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await c0.get('/new/apply?project=hall');
    assert.match(page.text, /<select name="ca" id="ca"[^>]*><option value="ecc" selected>ECDSA（国际算法）<\/option><option value="sm2">SM2（国密算法）<\/option>/);
    assert.equal((page.text.match(/<option value="org"/g) || []).length, 1, 'one 机构证书 in the type list');
    await c0.get('/new?project=jieyang');
    await c0.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    assert.ok(!(await c0.get('/new/apply?project=jieyang')).text.includes('name="ca"'));

    /* SM2 for a type sold on ECDSA only: refused naming 证书算法, nothing written */
    const before = psql('SELECT count(*) FROM orders');
    const bad = await c0.post('/new/apply', { project: 'hall', ...personForm({ ca: 'sm2' }) });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.field, 'ca', bad.text);
    assert.match(bad.body.message, /该证书类型不提供所选算法/);
    assert.equal(psql('SELECT count(*) FROM orders'), before);

    /* an SM2 机构证书 of the hall, accepted (transfer), made by the operator */
    const op = await operator();
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: '4000021009100123456', ca: 'sm2' }) });
    assert.equal(psql(`SELECT p.ca || '|' || p.name || '|' || o.cert_fen FROM orders o JOIN products p
        ON p.id = o.product_id WHERE o.id = ${o.id}`), 'sm2|机构证书（国密SM2）|48000', 'the ECDSA one\'s price');
    const pr = await o.c.get(`/new/print?id=${o.id}`);
    assert.match(pr.text, /id="print-ca">SM2（国密算法）</);
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT ca || '|' || state FROM certificates WHERE order_id = ${o.id}`), 'sm2|issued');
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id}`);

    /* delivered: the medium, opened by the PIN of the SMS */
    const pin = (await smsTo(o.form.agent_mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    const dir = tmpdir();
    await fetchPki(dir);
    const m = await fetch(`${HALL}/pki/medium?id=${o.id}`, { headers: { Cookie: o.c.cookieHeader() } });
    assert.equal(m.status, 200);
    const p12 = path.join(dir, 'sm2.p12');
    fs.writeFileSync(p12, Buffer.from(await m.arrayBuffer()));
    const leaf = path.join(dir, 'leaf.pem');
    const x = openssl(['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', `pass:${pin}`, '-out', leaf]);
    assert.equal(x.status, 0, x.stderr);

    /* checked: SM3withSM2, the chain to the SM2 root with the signer ID, OCSP */
    const text = openssl(['x509', '-in', leaf, '-noout', '-text']).stdout;
    assert.match(text, /Signature Algorithm: SM2-with-SM3/);
    const link = (ca, cert) => openssl(['verify', '-partial_chain', '-CAfile', path.join(dir, `${ca}.crt`),
        '-vfyopt', `distid:${SM2_ID}`, cert]);
    assert.equal(link('sm2', leaf).status, 0, 'the leaf under the sm2 CA');
    assert.equal(link('sm2-root', path.join(dir, 'sm2.crt')).status, 0, 'the sm2 CA under the SM2 root');
    assert.match(ocspQuery(dir, 'sm2', serial).line, /: good$/);

    /* 我的证书 names the algorithm */
    const mine = await o.c.getJSON('/center/certs');
    const row = mine.body.certs.find((cx) => cx.serial === serial);
    assert.equal(row.ca, 'sm2');
    assert.equal(row.ca_label, 'SM2');
});
