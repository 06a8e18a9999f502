'use strict';
/*
 * A bundled seal on SM2 (issue 63 §2, "and for a bundled seal where the
 * partner offers it"): no partner that bundles the seal sells SM2 today,
 * so this test gives 建筑工务署 an SM2 机构证书 for its duration (catalogue
 * data, as sql/114 gives the hall's, made in the browser as every SM2
 * certificate is (sql/161); made inactive at the end).  Its
 * 录入信息 then offers 证书算法 beside 是否办理电子签章; an order with SM2
 * and the seal pays the certificate (no 介质费) with the seal's 100 元, and
 * the applicant's request (tests/integ/lib/holder.js) makes the 机构章 on
 * the order's SM2 certificate: the seal's signer is
 * SM2, hall-stamp stamps a GB/T 38540 SES_Signature with the downloads and
 * /sign/verify calls it 有效, chained to the SM2 root.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant, freshPhone } = require('./lib/client');
const { psql, orgForm, sealStep } = require('./lib/payflow');
const { operator } = require('./lib/pki');
const { holderKey } = require('./lib/holder');
const { makePdf, verifyPdf, stampWith, tmpdir } = require('./lib/stamp');

test('seal_bundle_sm2__partner_selling_sm2_with_the_seal__the_bundled_seal_is_sm2_and_stamps_valid', async () => {
    const product = psql(`INSERT INTO products SELECT (jsonb_populate_record(NULL::products, to_jsonb(p)
        || jsonb_build_object('id', nextval(pg_get_serial_sequence('products', 'id')),
            'name', '机构证书（国密SM2，浏览器生成密钥）', 'ca', 'sm2', 'key_origin', 'browser',
            'price_per_year_fen', p.price_per_year_fen - coalesce((p.breakdown->>'介质费')::int, 0),
            'breakdown', p.breakdown - '介质费', 'pin_by_memo', false))).*
        FROM products p WHERE partner_code = 'szjsgws' AND business_type = 'new' AND cert_type = 'org'
        AND ca = 'ecc' ON CONFLICT (partner_code, business_type, cert_type, ca, key_origin) DO UPDATE SET active = true
        RETURNING id`).split('\n')[0];
    try {
        const base = '/szjsgws';
        const c = await applicant();
        assert.equal((await c.get('/szjsgws/getLogin?projectId=0535cc2aee346b5dc3f9e5b852f00369')).status, 200);
        assert.equal((await c.get(`${base}/new?project=szjsgws`)).status, 200);
        const a = await c.post(`${base}/new/agree`, { project: 'szjsgws', agree1: 'on', agree2: 'on' });
        assert.equal(a.status, 200, a.text);
        await sealStep(c, 'yes');
        const page = await c.get(`${base}/new/apply?project=szjsgws`);
        assert.match(page.text, /电子签章办理：是/);
        assert.match(page.text, /<select name="ca" id="ca"[^>]*><option value="ecc" selected>ECDSA（国际算法）<\/option><option value="sm2">SM2（国密算法）<\/option>/);
        const form = orgForm({ project: 'szjsgws', years: '1', ca: 'sm2', agent_mobile: freshPhone('137') });
        const r = await c.post(`${base}/new/apply`, form);
        assert.equal(r.status, 200, r.text);
        const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
        /* the certificate's price without 介质费, and the seal's 100 元 */
        const yearly = Number(psql(`SELECT price_per_year_fen FROM products WHERE id = ${product}`));
        assert.equal(psql(`SELECT p.ca || '|' || p.key_origin || '|' || o.seal || '|' || o.cert_fen FROM orders o
            JOIN products p ON p.id = o.product_id WHERE o.id = ${id}`), `sm2|browser|true|${yearly + 10000}`);

        /* accepted (the steps between are the kit's, as on ECDSA); no
         * medium signs SM2, so the key is born in the applicant's browser:
         * the operator's 制作证书 says so, the holder's request is issued */
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
            WHERE id = ${id}`);
        const op = await operator();
        /* neither a USB key nor a file: the hall makes no key for it */
        const refused = await op.post('/admin/pki/issue', { id, medium: 'pkcs11' });
        assert.equal(refused.status, 409, refused.text);
        assert.match(refused.body.message, /浏览器中生成/);
        /* and no file medium is offered at all */
        const file = await op.post('/admin/pki/issue', { id, medium: 'p12' });
        assert.equal(file.status, 400, file.text);
        assert.equal(file.body.field, 'medium');
        assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id}`), '0');
        const pin = '24681357';
        const made = await holderKey(c, id, { pin });
        /* its key the browser's: no PKCS#12 in the hall, the request checked */
        assert.equal(psql(`SELECT key_origin || '|' || (p12_enc IS NULL) || '|' || (pop_checked_at IS NOT NULL)
            FROM certificates WHERE serial = '${made.serial}'`), 'browser|true|true');
        const row = psql(`SELECT i.id || '|' || s.es_id || '|' || s.cert_serial || '|' || x.ca FROM seal_items i
            JOIN seseals s ON s.item_id = i.id JOIN certificates x ON x.serial = s.cert_serial
            WHERE i.order_id = ${id} AND s.state = 'valid'`);
        assert.notEqual(row, '', 'the paid seal is made with the certificate');
        const [item, esId, serial, ca] = row.split('|');
        assert.equal(ca, 'sm2', 'the bundled seal lists the order\'s SM2 certificate');

        assert.equal(serial, made.serial, 'the seal is signed by the certificate the browser asked for');

        /* the seal downloaded, hall-stamp with the browser's file, /sign/verify */
        const dir = tmpdir();
        const get = async (u) => {
            const res = await fetch(HALL + u, { headers: { Cookie: c.cookieHeader() } });
            assert.equal(res.status, 200, u);
            return Buffer.from(await res.arrayBuffer());
        };
        const who = { seal: path.join(dir, 'seal.seseal'), p12: made.p12 };
        fs.writeFileSync(who.seal, await get(`/seal/seseal?id=${item}`));
        const stamped = stampWith(makePdf({ text: 'sm2 bundle contract' }), who, pin, { x: 120, y: 200 });
        assert.match(stamped.toString('latin1'), /\/SubFilter \/GBT38540\.SES_Signature/);
        const v = await verifyPdf(stamped);
        assert.equal(v.status, 200, v.text);
        const s = v.body.result.stamps[0];
        assert.equal(s.state, '有效', JSON.stringify(s));
        assert.equal(s.format, 'ses_signature');
        assert.equal(s.seal.es_id, esId);
        assert.equal(s.signer.serial, serial);
        assert.equal(s.chain_to, '本CA SM2根证书');
    } finally {
        psql(`UPDATE products SET active = false WHERE id = ${product}`);
    }
});
