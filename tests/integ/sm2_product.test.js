'use strict';
/*
 * 国密 (issue 40 §6): a product's algorithm is catalogue data (products.ca,
 * sql/114) and the generic hall sells its 机构证书 as SM2 too.  Through
 * nginx: the form's 证书算法; an SM2 certificate's key is born in its
 * holder's browser (sql/161: no USB key signs with SM2, the hall makes no
 * file): the USB key refused for it naming 密钥生成, the operator unable to
 * make it, the holder's request issued at the ECDSA one's 证书费, the
 * certificate SM3withSM2 under the SM2 chain with the signer ID, OCSP good,
 * 我的证书 naming SM2; a type sold on ECDSA only refuses SM2 naming the
 * field.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { freshPhone, applicant } = require('./lib/client');
const {
    SM2_ID, operator, reviewer, acceptedByTransfer, tmpdir, openssl, fetchPki, ocspQuery, psql, orgForm,
    personForm,
} = require('./lib/pki');
const { holderKey, holderRequest } = require('./lib/holder');

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

    /* 证书算法 SM2 with 密钥生成 USB Key: refused naming 密钥生成 (no medium
     * signs with SM2), nothing written */
    const usb = await c0.post('/new/apply', { project: 'hall', ...orgForm({ ca: 'sm2', key_origin: 'hall' }) });
    assert.equal(usb.status, 400, usb.text);
    assert.ok(usb.body.errors.some((x) => x.field === 'key_origin' && /只能在浏览器中生成密钥/.test(x.message)),
        usb.text);
    assert.equal(psql('SELECT count(*) FROM orders'), before);

    /* an SM2 机构证书 of the hall (no 密钥生成 sent: the browser's, sql/161),
     * accepted (transfer); the operator cannot make it, its holder does */
    const op = await operator();
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: '4000021009100123456', ca: 'sm2' }) });
    assert.equal(psql(`SELECT p.ca || '|' || p.name || '|' || o.cert_fen || '|' || p.key_origin FROM orders o
        JOIN products p ON p.id = o.product_id WHERE o.id = ${o.id}`),
    'sm2|机构证书（国密SM2，浏览器生成密钥）|38000|browser', 'the ECDSA one\'s 证书费, no 介质费');
    const pr = await o.c.get(`/new/print?id=${o.id}`);
    assert.match(pr.text, /id="print-ca">SM2（国密算法）</);
    const refused = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.body.message, /SM2证书的密钥由申请人在浏览器中生成/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id}`), '0');
    const orderPage = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(orderPage.text, /id="keygen-go">生成密钥并下载证书</);

    /* the holder's SM2 key and request; the file saved under the holder's PIN */
    const dir = tmpdir();
    await fetchPki(dir);
    const made = await holderKey(o.c, o.id, { dir, pin: '24681357' });
    assert.equal(made.algorithm, 'sm2');
    assert.equal(psql(`SELECT ca || '|' || state || '|' || key_origin || '|' || (p12_enc IS NULL)
        FROM certificates WHERE order_id = ${o.id}`), 'sm2|issued|browser|true');
    const serial = made.serial;
    const leaf = path.join(dir, 'leaf.pem');
    const x = openssl(['pkcs12', '-in', made.p12, '-clcerts', '-nokeys', '-passin', 'pass:24681357', '-out', leaf]);
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

/*
 * 电子签章申请 with 证书算法 (issue 63 §2, sql/147): the form offers it,
 * ECDSA by default; SM2 chosen makes every seal of the order SM2 — the
 * order's 机构章 product and each seal's, at the ECDSA price less the
 * 介质费 (no medium is made: sql/180) — the print and
 * the reviewer's page say so, and production issues each seal's certificate
 * under the sm2 CA; an algorithm not on the list is refused naming the field.
 */
test('sm2_product__seal_application_chooses_sm2__every_seal_certificate_sm2__ecdsa_default_unchanged', async () => {
    const { toApply, sealOrder } = require('./lib/seal');
    const c0 = await applicant();
    await toApply(c0);
    const page = await c0.get('/seal/apply?project=hall');
    assert.match(page.text, /<select name="ca" id="ca"[^>]*><option value="ecc" selected>ECDSA（国际算法）<\/option><option value="sm2">SM2（国密算法）<\/option>/);
    assert.match(page.text, /data-fen-ecc="50000 0" data-fen-sm2="40000 0" id="org-heading">机构章（<span class="yearly">500\.00<\/span>元\/年）/,
        'the prices of the algorithm shown, each algorithm\'s terms for the page');

    /* an algorithm not on the list: 400 naming 证书算法, nothing written */
    const before = psql('SELECT count(*) FROM orders');
    const key = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const bad = await c0.post('/seal/apply', { ...orgForm(), app_name: '赵敏', app_ric: '11010519491231002X',
        app_mobile: '13700137000', app_email: 'zhaomin@example.com', project: 'hall', submit_key: key,
        org_count: '1', org_years: '1', ca: 'rsa' });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /"field":"ca"/);
    assert.match(bad.text, /证书算法/);
    assert.equal(psql('SELECT count(*) FROM orders'), before);

    const seals = { org_count: '1', org_years: '2', org_style: 'auto', biz_count: '1', biz_years: '1',
        biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0' };
    const kinds = (id) => psql(`SELECT string_agg(i.kind || ':' || p.ca, ',' ORDER BY i.kind) FROM seal_items i
        JOIN products p ON p.id = i.product_id WHERE i.order_id = ${id}`);
    /* no choice: ECDSA as before */
    const ecc = await sealOrder(await applicant(), seals);
    assert.equal(psql(`SELECT p.ca || '|' || o.cert_fen FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.id = ${ecc.id}`), 'ecc|140000');
    assert.equal(kinds(ecc.id), 'org:ecc,org_business:ecc');

    /* SM2: the order and each seal, no 介质费: 2 × 400 + 300 */
    const c = await applicant();
    const so = await sealOrder(c, { ...seals, ca: 'sm2' }, { agent_mobile: freshPhone('137') });
    assert.equal(psql(`SELECT p.ca || '|' || p.name || '|' || o.cert_fen FROM orders o
        JOIN products p ON p.id = o.product_id WHERE o.id = ${so.id}`), 'sm2|机构章（国密SM2）|110000');
    assert.equal(kinds(so.id), 'org:sm2,org_business:sm2');
    assert.match((await c.get(`/seal/print?id=${so.id}`)).text, /id="print-ca">SM2（国密算法）</);
    assert.match((await c.get(`/seal/apply?id=${so.id}`)).text, /<option value="sm2" selected>/);
    const rv = await reviewer();
    assert.match((await rv.get(`/admin/order?id=${so.id}`)).text,
        /<tr data-field="ca"><td>证书算法<\/td><td>SM2（国密算法）/);

    /* made: both certificates under the sm2 CA, both seals made; the
     * 机构证书's key is born in the applicant's browser (POST /pki/csr) */
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${so.id}`);
    const own = await holderKey(c, so.id);
    assert.equal(own.algorithm, 'sm2');
    /* the 机构业务章's key is born in the applicant's browser (POST /pki/seal-key) */
    const esId = psql(`SELECT 'SZCA' || lpad('${so.id}', 12, '0') || 'B01'`);
    const k = await c.post('/pki/seal-key', { es_id: esId, csr: holderRequest(tmpdir(), 'SM2').b64 });
    assert.equal(k.status, 200, k.text);
    assert.equal(psql(`SELECT string_agg(ca, ',') FROM certificates WHERE order_id = ${so.id}
        AND state = 'issued'`), 'sm2,sm2');
    assert.equal(psql(`SELECT count(*) FROM seseals s JOIN certificates x ON x.serial = s.cert_serial
        WHERE s.order_id = ${so.id} AND s.state = 'valid' AND x.ca = 'sm2'`), '2');
});
