'use strict';
/*
 * An SM2 seal order's certificates: every key is born in the browser of
 * the order's applicant, never in the hall (issue 64 §2, §4;
 * docs/modules/seal.md, "The holder's own key"; docs/internals/pki.md,
 * "Key birth").  No medium signs with SM2, so 制作证书 made the order's own
 * 机构证书 (the one its 机构章 lists) as a file whose key the hall made,
 * and before that the 业务章's too.  Now:
 *   - 制作证书 refuses the order on either medium (409: the key is born in
 *     the applicant's browser); the order page offers 生成密钥并下载证书;
 *   - the owner posts the request (POST /pki/csr): the 机构证书 is issued for
 *     that key (key_origin 'browser', no PKCS#12) and the 机构章 made
 *     listing it; the 业务章 gets no certificate, no file and no seal: it
 *     waits (a request for it before the 机构证书: 409);
 *   - the owner posts the request (POST /pki/seal-key, the seal's code and a
 *     PKCS#10 request signed with SM3 by its SM2 key): the 机构业务证书 is
 *     issued for that key with production's subject, key_origin 'browser',
 *     no PKCS#12, where its key was born audited, and the SESeal listing it
 *     made; hall-stamp stamps with the seal and a PKCS#12 the applicant
 *     assembled, and /sign/verify says 有效;
 *   - another applicant 403, a bad request 400 naming 证书请求 (csr), a
 *     malformed code 400 naming es_id, a second request 409, parallel
 *     requests one certificate;
 *   - no certificate of the order holds a PKCS#12, each says its key was
 *     born in the browser (certificates.key_origin, the audit's key_born);
 *   - its 机构证书's 更新 is the holder's request too, and the 机构章 is made
 *     again on the new certificate in the same steps (the old one 已替换).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { SKIP } = require('./lib/hall');
const { applicant, freshPhone } = require('./lib/client');
const { operator, tmpdir, openssl, psql } = require('./lib/pki');
const { toApply } = require('./lib/seal');
const { orgForm } = require('./lib/payflow');
const { makePdf, verifyPdf, stampWith } = require('./lib/stamp');
const { holderKey, holderRequest, scalarOf, replacingOrder } = require('./lib/holder');
const { scan } = require('./lib/custody');

/* an SM2 seal order (one 机构章, one 合同专用章) saved through /seal/apply, accepted */
async function accepted() {
    const c = await applicant();
    const key = await toApply(c);
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
    assert.equal(psql(`SELECT p.ca FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = ${id}`), 'sm2');
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    return { c, id, form };
}

test('sm2_seal_order__business_seal_key_born_in_applicants_browser__produced_posted_listed_stamped', { skip: SKIP }, async () => {
    const o = await accepted();
    const op = await operator();
    const item = psql(`SELECT id FROM seal_items WHERE order_id = ${o.id} AND kind = 'org_business'`);
    const esId = psql(`SELECT 'SZCA' || lpad('${o.id}', 12, '0') || 'B01'`);
    const dir = tmpdir();
    /* 制作证书 makes no key for it, on a USB key or as a file */
    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.message, /浏览器中生成/);
    /* and no file medium is offered at all */
    const file = await op.post('/admin/pki/issue', { id: o.id, medium: 'p12' });
    assert.equal(file.status, 400, file.text);
    assert.equal(file.body.field, 'medium');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id}`), '0');
    /* the 业务章 waits for the order's 机构证书 */
    let x = await o.c.post('/pki/seal-key', { es_id: esId, csr: holderRequest(dir, 'SM2').b64 });
    assert.equal(x.status, 409, x.text);
    assert.match(x.body.message, /生成密钥并下载证书/);
    /* the order page makes the 机构证书's key in the applicant's browser */
    const page = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(page.text, /id="keygen" data-id="\d+" data-alg="sm2"/);
    assert.match(page.text, /id="keygen-go">生成密钥并下载证书</);
    assert.match(page.text, /id="keygen-seals">本业务单的电子印章随本证书制作[^<]*机构业务章的印章密钥随后在“我的电子印章”中/);
    /* 我的电子印章 sends the applicant there first */
    const before = (await o.c.get(`/seal/seals?id=${o.id}`)).text;
    assert.equal((before.match(/待制作（请先在业务单详情中生成密钥并下载证书，印章随证书制作）/g) || []).length, 2, before);
    const own = await holderKey(o.c, o.id, { dir });
    assert.equal(own.algorithm, 'sm2');
    /* the 机构章 lists it */
    assert.equal(psql(`SELECT cert_serial FROM seseals WHERE item_id = (SELECT id FROM seal_items
        WHERE order_id = ${o.id} AND kind = 'org') AND state = 'valid'`), own.serial);
    /* the 业务章 waits: no certificate (no key, no file) and no seal */
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item}`), '0');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE item_id = ${item}`), '0');
    /* 我的电子印章 says so and offers the step 生成印章密钥 */
    const waiting = (await o.c.get(`/seal/seals?id=${o.id}`)).text;
    assert.match(waiting, /待生成印章密钥（SM2印章的密钥由申请人在本浏览器中生成）/);
    assert.match(waiting, new RegExp(`<form class="bizkey" data-es="${esId}"`));
    assert.match(waiting, /生成印章密钥（合同专用章）/);

    const req = holderRequest(dir, 'SM2');
    /* another applicant: 403, nothing made */
    const other = await applicant();
    x = await other.post('/pki/seal-key', { es_id: esId, csr: req.b64 });
    assert.equal(x.status, 403, x.text);
    /* a request not signed by its key: 400 naming the request */
    const bad = Buffer.from(req.der);
    bad[bad.length - 5] ^= 1;
    x = await o.c.post('/pki/seal-key', { es_id: esId, csr: bad.toString('base64') });
    assert.equal(x.status, 400, x.text);
    assert.equal(x.body.field, 'csr');
    assert.match(x.body.message, /[\u4e00-\u9fff]/);
    /* a P-256 key for an SM2 seal: 400 naming the request */
    x = await o.c.post('/pki/seal-key', { es_id: esId, csr: holderRequest(dir, 'P-256').b64 });
    assert.equal(x.status, 400, x.text);
    assert.equal(x.body.field, 'csr');
    assert.match(x.body.message, /SM2/);
    /* a malformed seal code names its field */
    x = await o.c.post('/pki/seal-key', { es_id: 'SZCA1', csr: req.b64 });
    assert.equal(x.status, 400, x.text);
    assert.equal(x.body.field, 'es_id');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item}`), '0');

    /* parallel requests: one certificate, one seal */
    const all = await Promise.all([0, 1, 2].map(() => o.c.post('/pki/seal-key', { es_id: esId, csr: req.b64 })));
    const ok = all.filter((a) => a.status === 200);
    assert.equal(ok.length, 1, all.map((a) => `${a.status} ${a.text}`).join('\n'));
    for (const a of all.filter((b) => b.status !== 200))
        assert.equal(a.status, 409, a.text);
    const made = ok[0].body;
    assert.equal(made.es_id, esId);
    assert.equal(made.algorithm, 'sm2');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item}`), '1');
    const [origin, noP12, pop, ca] = psql(`SELECT key_origin || '|' || (p12_enc IS NULL) || '|'
        || (pop_checked_at IS NOT NULL) || '|' || ca FROM certificates WHERE serial = '${made.serial}'`).split('|');
    assert.deepEqual([origin, noP12, pop, ca], ['browser', 'true', 'true', 'sm2']);
    const born = JSON.parse(psql(`SELECT detail FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${made.serial}' AND action = 'key_born'`));
    assert.equal(born.born, 'browser');
    assert.equal(born.seal, esId);
    /* the certificate certifies the applicant's key, named as production names it */
    const crt = path.join(dir, 'biz.crt');
    fs.writeFileSync(crt, `-----BEGIN CERTIFICATE-----\n${made.cert.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`);
    const shown = openssl(['x509', '-in', crt, '-noout', '-pubkey', '-subject', '-nameopt', 'utf8']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`CN\\s*=\\s*${o.form.org_name}合同专用章`));
    const mine = openssl(['pkey', '-in', req.key, '-pubout']);
    assert.equal(shown.stdout.match(/-----BEGIN PUBLIC KEY-----[^-]+-----END PUBLIC KEY-----/)[0].trim(), mine.stdout.trim());
    /* the seal lists it and is listed on 我的电子印章 */
    assert.equal(psql(`SELECT cert_serial FROM seseals WHERE es_id = '${esId}' AND state = 'valid'`), made.serial);
    const listed = (await o.c.get(`/seal/seals?id=${o.id}`)).text;
    assert.match(listed, new RegExp(`<td data-label="印章编码">${esId}</td>\\s*<td class="seal-state" data-label="状态">有效`));
    assert.doesNotMatch(listed, /待生成印章密钥/);

    /* a second request: 409, nothing more */
    x = await o.c.post('/pki/seal-key', { es_id: esId, csr: holderRequest(dir, 'SM2').b64 });
    assert.equal(x.status, 409, x.text);
    assert.match(x.body.message, /已签发/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item}`), '1');

    /* the applicant's PKCS#12 (as the page assembles it) and the seal: hall-stamp, 有效 */
    const chain = path.join(dir, 'chain.pem');
    fs.writeFileSync(chain, made.ca);
    const who = { seal: path.join(dir, 'biz.seseal'), p12: path.join(dir, 'biz.p12') };
    fs.writeFileSync(who.seal, Buffer.from(made.seseal, 'base64'));
    const e = openssl(['pkcs12', '-export', '-inkey', req.key, '-in', crt, '-certfile', chain, '-name', esId,
        '-passout', 'pass:20261128', '-out', who.p12]);
    assert.equal(e.status, 0, e.stderr);
    const stamped = stampWith(makePdf({ text: 'sm2 business seal' }), who, '20261128', { x: 120, y: 200 });
    const v = await verifyPdf(stamped);
    assert.equal(v.status, 200, v.text);
    const s = v.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.seal.es_id, esId);
    assert.equal(s.signer.serial, made.serial);
    assert.equal(s.chain_to, '本CA SM2根证书');

    /* no certificate of the order holds a key: each born in the browser */
    assert.equal(psql(`SELECT string_agg(key_origin || '|' || (p12_enc IS NULL) || '|' || (pop_checked_at IS NOT NULL)
        || '|' || coalesce((SELECT a.detail->>'born' FROM audit_log a WHERE a.entity = 'certificate'
        AND a.entity_id = c.serial AND a.action = 'key_born'), '-'), ',') FROM certificates c
        WHERE c.order_id = ${o.id} AND c.state = 'issued'`), 'browser|true|true|browser,browser|true|true|browser');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id} AND p12_enc IS NOT NULL`), '0');

    /* the applicant's keys were never in the hall */
    const c = scan({ serials: [own.serial, made.serial], scalars: [own.scalar, scalarOf(req.key)] });
    assert.deepEqual(c.breaches, []);
});

test('sm2_seal_order__its_certificate_renewed_in_the_browser__the_seal_made_again_on_the_new_one', { skip: SKIP }, async () => {
    const o = await accepted();
    const dir = tmpdir();
    const own = await holderKey(o.c, o.id, { dir });
    const first = psql(`SELECT s.es_id FROM seseals s JOIN seal_items i ON i.id = s.item_id
        WHERE i.order_id = ${o.id} AND i.kind = 'org' AND s.state = 'valid'`);
    assert.match(first, /^SZCA\d{12}O\d{2}$/);
    /* 更新 of the 机构证书: no station makes it, its holder does */
    const renew = replacingOrder(o.id, own.serial, 'renew');
    assert.equal(psql(`SELECT order_key_origin(${renew})`), 'browser');
    const refused = await (await operator()).post('/admin/pki/issue', { id: renew, medium: 'pkcs11' });
    assert.equal(refused.status, 409, refused.text);
    const next = await holderKey(o.c, renew, { dir });
    assert.equal(psql(`SELECT key_origin || '|' || (p12_enc IS NULL) || '|' || ca FROM certificates
        WHERE serial = '${next.serial}'`), 'browser|true|sm2');
    /* the 机构章 made again on it, the old one replaced */
    assert.equal(psql(`SELECT state || '|' || replaced_by FROM seseals WHERE es_id = '${first}'`), `replaced|${first}R01`);
    assert.equal(psql(`SELECT cert_serial || '|' || state FROM seseals WHERE es_id = '${first}R01'`), `${next.serial}|valid`);
    const c = scan({ serials: [own.serial, next.serial], scalars: [own.scalar, next.scalar] });
    assert.deepEqual(c.breaches, []);
});
