'use strict';
/*
 * The holder's side of a certificate whose key is born with its holder
 * (issue 64 §2, §4; docs/internals/pki.md, "Made in the browser"): what the
 * order page's 生成密钥并下载证书 does (static/keygen/make.js), done on the
 * holder's machine (a temp dir) with openssl: the key pair (P-256, or SM2
 * for a certificate of the sm2 CA) and its PKCS#10 request, POSTed to
 * /pki/csr as the page posts it (the owner's session, id and csr), the
 * certificate back, and, when asked, the PKCS#12 the page saves, under the
 * PIN the holder types.  The hall receives the request only.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { SM2_ID, tmpdir, openssl, psql } = require('./pki');

/* the algorithm the order's certificate takes: the replaced certificate's
 * CA for a replacing order, else its product's (as production decides) */
function curveOf(orderId) {
    return psql(`SELECT coalesce(old.ca, p.ca) FROM orders o JOIN products p ON p.id = o.product_id
        LEFT JOIN certificates old ON old.serial = o.reissue_of WHERE o.id = ${orderId}`) === 'sm2'
        ? 'SM2' : 'P-256';
}

/* a key pair and its request, made in dir: { key (PEM file), der, b64 } */
function holderRequest(dir, curve = 'P-256') {
    const tag = `${curve}-${crypto.randomBytes(6).toString('hex')}`;
    const key = path.join(dir, `${tag}.key`), out = path.join(dir, `${tag}.csr.der`);
    let r = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', key]);
    assert.equal(r.status, 0, r.stderr);
    /* the page signs an SM2 request with SM3 and the default signer ID */
    const sm2 = curve === 'SM2' ? ['-sm3', '-sigopt', `distid:${SM2_ID}`] : [];
    /* the page's subject is a placeholder: the hall certifies the order's */
    r = openssl(['req', '-new', '-key', key, ...sm2, '-subj', '/CN=holder', '-outform', 'DER', '-out', out]);
    assert.equal(r.status, 0, r.stderr);
    const der = fs.readFileSync(out);
    return { key, der, b64: der.toString('base64') };
}

/* the private scalar of a key file (hex): what the custody scan looks for
 * when a test knows the key (tests/integ/lib/custody.js, `scalars`) */
const scalarOf = (key) => openssl(['pkey', '-in', key, '-text', '-noout']).stdout
    .match(/priv:\s*([0-9a-f:\s]+?)\s*pub:/)[1].replace(/[:\s]/g, '').replace(/^00(?=[0-9a-f]{64}$)/, '');

/*
 * The holder of order orderId (client c, logged in as its owner) makes the
 * key and gets the certificate: { serial, algorithm, cert (base64 DER),
 * certPem, key, scalar, chainPem, dir, p12 } -- p12 (a file under pin) when pin is
 * given.  curve: P-256 or SM2, else the order's CA's.
 */
async function holderKey(c, orderId, { curve, pin, dir = tmpdir() } = {}) {
    const req = holderRequest(dir, curve || curveOf(orderId));
    const r = await c.post('/pki/csr', { id: orderId, csr: req.b64 });
    assert.equal(r.status, 200, `POST /pki/csr of order ${orderId}: ${r.text}`);
    const tag = r.body.serial;
    const certPem = path.join(dir, `${tag}.crt`), chainPem = path.join(dir, `${tag}.chain.pem`);
    fs.writeFileSync(certPem, `-----BEGIN CERTIFICATE-----\n${r.body.cert.match(/.{1,64}/g).join('\n')}\n`
        + '-----END CERTIFICATE-----\n');
    fs.writeFileSync(chainPem, r.body.ca);
    const out = { ...r.body, certPem, chainPem, key: req.key, scalar: scalarOf(req.key), dir };
    if (pin !== undefined) {
        out.p12 = path.join(dir, `${tag}.p12`);
        const e = openssl(['pkcs12', '-export', '-inkey', req.key, '-in', certPem, '-certfile', chainPem,
            '-name', r.body.name || tag, '-passout', `pass:${pin}`, '-out', out.p12]);
        assert.equal(e.status, 0, e.stderr);
    }
    return out;
}

/* a replacing order (business: renew, change, reissue, unlock) of the
 * certificate serial as staff's approval leaves it: the applicant and form
 * of order fromOrder (formOf's form: the new data of a 变更), the hall's
 * product of the business for a 机构证书, 成功受理 */
function replacingOrder(fromOrder, serial, business, formOf = fromOrder) {
    const cols = psql(`SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
        FROM information_schema.columns WHERE table_name = 'orders' AND is_generated = 'NEVER'`);
    return Number(psql(`CREATE TEMP TABLE t AS SELECT * FROM orders WHERE id = ${fromOrder};
        UPDATE t SET id = nextval(pg_get_serial_sequence('orders', 'id')),
            order_no = 'HOLDR' || currval(pg_get_serial_sequence('orders', 'id')),
            business_type = '${business}', reissue_of = '${serial}', submit_key = NULL,
            form_enc = (SELECT form_enc FROM orders WHERE id = ${formOf}),
            product_id = (SELECT id FROM products WHERE partner_code = 'hall' AND business_type = '${business}'
                          AND cert_type = 'org' AND active ORDER BY id LIMIT 1),
            waybill_no = NULL, status = 'accepted', submitted_at = now(), review_due = current_date + 1;
        INSERT INTO orders (${cols}) SELECT ${cols} FROM t RETURNING id`).split('\n').pop());
}

module.exports = { holderRequest, holderKey, curveOf, scalarOf, replacingOrder };
