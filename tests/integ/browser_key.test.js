'use strict';
/*
 * Made in the browser (issue 64 §2; docs/internals/pki.md, "Made in the
 * browser"): an accepted order of a product whose key is born in the
 * holder's browser (products.key_origin 'browser': the hall's
 * 机构证书（浏览器生成密钥）, sql/151) is issued for the certificate request its owner posts to
 * POST /pki/csr.  The requests here are made by openssl, as the page makes
 * them: the proof of possession is checked, the key must be of the
 * product's algorithm, the subject is the order's (never the request's),
 * the hall keeps no key, and parallel posts make one certificate.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { applicant, freshPhone } = require('./lib/client');
const {
    SM2_ID, operator, acceptedByTransfer, tmpdir, openssl, fetchPki, psql, orgForm, staffRevoke,
} = require('./lib/pki');

/* a PKCS#10 request made by openssl: { b64, der, key } (key: PEM file) */
function csr(dir, { curve = 'P-256', subj = '/C=US/O=Mallory Ltd/CN=Mallory', distid = SM2_ID, broken = false } = {}) {
    const tag = `${curve}-${Math.random().toString(36).slice(2)}`;
    const key = path.join(dir, `${tag}.key`), out = path.join(dir, `${tag}.der`);
    let r = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', key]);
    assert.equal(r.status, 0, r.stderr);
    const sm2 = curve === 'SM2' ? ['-sm3', ...(distid ? ['-sigopt', `distid:${distid}`] : [])] : [];
    r = openssl(['req', '-new', '-key', key, ...sm2, '-subj', subj, '-outform', 'DER', '-out', out]);
    assert.equal(r.status, 0, r.stderr);
    const der = fs.readFileSync(out);
    if (broken)
        der[der.length - 1] ^= 0x01; /* the signature's last byte: a request its key did not sign */
    return { b64: der.toString('base64'), der, key };
}

/* the hall's 机构证书 with its key made in the browser: nothing is mailed,
 * so the form has no 邮寄信息 and no 邮寄方式 */
function browserForm(extra = {}) {
    const f = orgForm({ agent_mobile: freshPhone('137'), key_origin: 'browser', ...extra });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    return f;
}

/* an accepted order of the browser-key product */
async function accepted(extra) {
    const o = await acceptedByTransfer({ project: 'hall', form: browserForm(extra) });
    assert.equal(psql(`SELECT p.key_origin FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.id = ${o.id}`), 'browser');
    return o;
}

const certRows = (id) => psql(`SELECT count(*) FROM certificates WHERE order_id = ${id}`);
const statusOf = (id) => psql(`SELECT status FROM orders WHERE id = ${id}`);

test('browser_key__own_product_of_the_hall__no_address_no_shipping_asked_or_kept', async () => {
    /* 光大环境's 机构证书 stays as seed 004 prints it: a USB key, 480 */
    assert.equal(psql(`SELECT key_origin || ',' || price_per_year_fen || ',' || pin_by_memo FROM products
        WHERE partner_code = 'gdhj' AND business_type = 'new' AND cert_type = 'org'`), 'hall,48000,true');
    /* the hall's own: 证书费 without 介质费 */
    assert.equal(psql(`SELECT string_agg(name || ',' || price_per_year_fen || ',' || breakdown::text, ';'
        ORDER BY sort_order, id) FROM products WHERE partner_code = 'hall' AND business_type = 'new' AND key_origin = 'browser'`),
    '机构证书（浏览器生成密钥）,38000,{"证书费": 38000};机构证书（国密SM2，浏览器生成密钥）,38000,{"证书费": 38000};'
        + '自然人证书（浏览器生成密钥）,14000,{"证书费": 14000}');
    const c = await applicant();
    await c.get('/new?project=hall');
    assert.equal((await c.post('/new/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await c.get('/new/apply?project=hall');
    assert.match(page.text, /<option value="browser">机构证书（浏览器生成密钥）<\/option>/);
    assert.match(page.text, /id="key-hint">[^<]*不邮寄USB Key/);
    assert.match(page.text, /<fieldset id="mail-fields">/);
    /* no 邮寄方式: refused for the USB key, not asked for the browser's */
    const usb = await c.post('/new/apply', { project: 'hall', ...browserForm({ key_origin: 'hall' }) });
    assert.equal(usb.status, 400, usb.text);
    assert.ok(usb.body.errors.some((x) => x.field === 'shipping'), usb.text);
    const orgp = await c.post('/new/apply', { project: 'hall', ...browserForm({ cert_type: 'org_person' }) });
    assert.equal(orgp.status, 400, orgp.text);
    assert.ok(orgp.body.errors.some((x) => x.field === 'key_origin' && /不提供浏览器生成密钥/.test(x.message)),
        orgp.text);
    /* an address sent anyway is not kept */
    const r = await c.post('/new/apply', { project: 'hall', ...browserForm({ mail_address: '科技园99号' }) });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT p.key_origin || ',' || o.amount_fen FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.id = ${id}`), 'browser,38000');
    const again = await c.get(`/new/apply?id=${id}`);
    assert.match(again.text, /<option value="browser" selected>/);
    assert.doesNotMatch(again.text, /科技园99号/);
    assert.match(again.text, /id="price-total" data-fen="38000">380\.00元\/1年/);
    /* the printed form: no way of mailing */
    const print = await c.get(`/new/print?id=${id}`);
    assert.match(print.text, /不邮寄（浏览器生成密钥/);
    assert.doesNotMatch(print.text, /科技园99号|到付/);
});

test('browser_key__csr_issued_with_the_order_subject__no_key_in_the_hall', async () => {
    const dir = tmpdir();
    const idx = await fetchPki(dir);
    const o = await accepted();
    const page = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(page.text, /id="keygen-go">生成密钥并下载证书</);
    assert.match(page.text, /私钥[^<]*从不离开本浏览器/);
    assert.match(page.text, /证书PIN码由您在此自己设定，网上营业厅不知道、也不通过转账交易附言或短信发送PIN码/);
    assert.doesNotMatch(page.text, /代替打款附言/, 'no memo was promised to replace');
    const req = csr(dir);
    const r = await o.c.post('/pki/csr', { id: o.id, csr: req.b64 });
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.serial, /^[0-9A-F]{16}$/);
    assert.equal(r.body.algorithm, 'ecdsa');
    assert.equal(r.body.name, o.form.org_name);
    const certFile = path.join(dir, 'cert.der');
    fs.writeFileSync(certFile, Buffer.from(r.body.cert, 'base64'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), r.body.ca);
    /* the subject is the order's: none of the request's names */
    const text = openssl(['x509', '-inform', 'DER', '-in', certFile, '-noout', '-subject', '-serial',
        '-nameopt', 'utf8,sep_comma_plus']).stdout;
    assert.match(text, new RegExp(`O=${o.form.org_name}`));
    assert.match(text, new RegExp(`CN=${o.form.org_name}`));
    assert.doesNotMatch(text, /Mallory|C=US/);
    assert.match(text, new RegExp(`serial=${r.body.serial}`));
    /* ... for the request's key, and it chains to the published root */
    const pub = (args) => openssl([...args, '-pubkey', '-noout']).stdout;
    assert.equal(pub(['x509', '-inform', 'DER', '-in', certFile]),
        openssl(['pkey', '-in', req.key, '-pubout']).stdout);
    const ca = idx.cas.find((c) => c.algorithm !== 'sm2' && fs.readFileSync(path.join(dir, `${c.name}.crt`), 'utf8')
        .trim() === r.body.ca.trim());
    assert.ok(ca, 'the answer names a published issuing CA');
    const certPem = path.join(dir, 'cert.pem');
    openssl(['x509', '-inform', 'DER', '-in', certFile, '-out', certPem]);
    const v = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'ca.pem'),
        certPem]);
    assert.match(v.stdout, /: OK/, v.stderr);
    /* the register: no key, born in the browser, the order handed over */
    assert.equal(psql(`SELECT key_origin || ',' || (p12_enc IS NULL) || ',' || state FROM certificates
        WHERE order_id = ${o.id}`), 'browser,true,issued');
    assert.equal(statusOf(o.id), 'delivered');
    assert.equal(psql(`SELECT detail->>'born' || ',' || (detail->>'csr_sha256') FROM audit_log
        WHERE entity = 'certificate' AND entity_id = '${r.body.serial}' AND action = 'key_born'`),
    `browser,${require('node:crypto').createHash('sha256').update(req.der).digest('hex')}`);
    /* the page says where the key is; nothing to download from the hall */
    const after = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(after.text, /id="browser-made">密钥已在您的浏览器中生成/);
    assert.doesNotMatch(after.text, /id="keygen"|id="medium"/);
    const dl = await o.c.get(`/pki/medium?id=${o.id}`);
    assert.equal(dl.status, 410);
    assert.match(dl.text, /该证书的私钥在您的浏览器中生成/);
    assert.doesNotMatch(dl.text, /证书介质已交付/);
    /* nothing to mail: not in the operator's 邮寄 queue */
    const op = await operator();
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    assert.doesNotMatch((await op.get(`/admin/pki/shipping?order=${orderNo}`)).text, new RegExp(`data-id="${o.id}"`));
    /* the same order again: 409, still one certificate */
    const again = await o.c.post('/pki/csr', { id: o.id, csr: csr(dir).b64 });
    assert.equal(again.status, 409, again.text);
    assert.equal(certRows(o.id), '1');
});

test('browser_key__broken_signature_is_no_proof_of_possession__400_nothing_made', async () => {
    const dir = tmpdir();
    const o = await accepted();
    const r = await o.c.post('/pki/csr', { id: o.id, csr: csr(dir, { broken: true }).b64 });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'csr');
    assert.match(r.body.message, /证书请求（csr）的签名不能用其公钥验证/);
    /* not a request at all, and not base64 */
    const junk = await o.c.post('/pki/csr', { id: o.id, csr: Buffer.from('not a request').toString('base64') });
    assert.equal(junk.status, 400);
    assert.match(junk.body.message, /证书请求（csr）无法解析/);
    const nob64 = await o.c.post('/pki/csr', { id: o.id, csr: '***' });
    assert.equal(nob64.status, 400);
    assert.equal(nob64.body.field, 'csr');
    assert.equal(certRows(o.id), '0', 'no serial drawn');
    assert.equal(statusOf(o.id), 'accepted');
});

test('browser_key__key_of_another_algorithm_refused', async () => {
    const dir = tmpdir();
    const o = await accepted();
    for (const curve of ['SM2', 'P-384']) {
        const r = await o.c.post('/pki/csr', { id: o.id, csr: csr(dir, { curve }).b64 });
        assert.equal(r.status, 400, `${curve}: ${r.text}`);
        assert.equal(r.body.field, 'csr');
        assert.match(r.body.message, /公钥不是ECC P-256密钥/);
    }
    assert.equal(certRows(o.id), '0');
});

test('browser_key__sm2_product_takes_an_sm2_request_signed_with_the_gmt_id', async () => {
    const dir = tmpdir();
    await fetchPki(dir);
    const o = await accepted({ ca: 'sm2' });
    /* signed under another signer ID: not this key's signature as GM/T 0009 reads it */
    const other = await o.c.post('/pki/csr', { id: o.id, csr: csr(dir, { curve: 'SM2', distid: '' }).b64 });
    assert.equal(other.status, 400, other.text);
    const p256 = await o.c.post('/pki/csr', { id: o.id, csr: csr(dir).b64 });
    assert.equal(p256.status, 400);
    assert.match(p256.body.message, /公钥不是SM2密钥/);
    const req = csr(dir, { curve: 'SM2' });
    const r = await o.c.post('/pki/csr', { id: o.id, csr: req.b64 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.algorithm, 'sm2');
    const certFile = path.join(dir, 'sm2cert.der');
    fs.writeFileSync(certFile, Buffer.from(r.body.cert, 'base64'));
    assert.equal(fs.readFileSync(path.join(dir, 'sm2.crt'), 'utf8').trim(), r.body.ca.trim());
    assert.equal(openssl(['x509', '-inform', 'DER', '-in', certFile, '-pubkey', '-noout']).stdout,
        openssl(['pkey', '-in', req.key, '-pubout']).stdout);
    assert.equal(psql(`SELECT ca || ',' || key_origin FROM certificates WHERE order_id = ${o.id}`), 'sm2,browser');
});

test('browser_key__parallel_posts_make_exactly_one_certificate', async () => {
    const dir = tmpdir();
    const o = await accepted();
    const reqs = [0, 1, 2, 3, 4, 5].map(() => csr(dir).b64);
    const rs = await Promise.all(reqs.map((b64) => o.c.post('/pki/csr', { id: o.id, csr: b64 })));
    const codes = rs.map((r) => r.status).sort();
    assert.deepEqual(codes, [200, 409, 409, 409, 409, 409], rs.map((r) => r.text).join('\n'));
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id} AND state <> 'void'`), '1');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id} AND state = 'issued'
        AND key_origin = 'browser' AND p12_enc IS NULL`), '1');
    for (const r of rs.filter((x) => x.status === 409))
        assert.match(r.body.message, /请勿重复提交|不能生成密钥和证书/);
});

/* issue 70 §4: one applicant's request posted on a second applicant's
 * accepted order is not certified again: one public key, one certificate,
 * for anyone, valid or revoked, ten posts at once on two orders included */
test('browser_key__a_public_key_certified_once__refused_for_anyone_valid_or_revoked', async () => {
    const dir = tmpdir();
    const a = await accepted();
    const b = await accepted();
    const one = csr(dir);
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => {
        const o = i % 2 ? b : a;
        return o.c.post('/pki/csr', { id: o.id, csr: one.b64 });
    }));
    assert.deepEqual(rs.map((r) => r.status).filter((s) => s === 200), [200], rs.map((r) => r.text).join('\n'));
    for (const r of rs.filter((x) => x.status !== 200)) {
        assert.ok([400, 409].includes(r.status), r.text);
        assert.match(r.body.message, /公钥已经签发过证书|请勿重复提交|不能生成密钥和证书/, r.text);
    }
    const issued = psql(`SELECT string_agg(order_id::text, ',') FROM certificates WHERE order_id IN (${a.id}, ${b.id})
        AND state = 'issued'`);
    assert.match(issued, /^\d+$/, 'exactly one certificate of the two orders');
    const [winner, other] = Number(issued) === a.id ? [a, b] : [b, a];
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${other.id} AND state IN ('intent', 'issued')`), '0');
    assert.equal(statusOf(other.id), 'accepted');
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${winner.id} AND state = 'issued'`);

    /* later, alone: refused, naming the request, nothing written */
    let r = await other.c.post('/pki/csr', { id: other.id, csr: one.b64 });
    assert.ok([400, 409].includes(r.status), r.text);
    assert.equal(r.body.field, 'csr');
    assert.match(r.body.message, /证书请求（csr）的公钥已经签发过证书（无论证书有效还是已吊销），同一公钥不能再次签发/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${other.id} AND state IN ('intent', 'issued')`), '0');
    /* revoked, the key is still the one certified */
    const rev = await staffRevoke(serial, 'keyCompromise');
    assert.equal(rev.status, 200, rev.text);
    r = await other.c.post('/pki/csr', { id: other.id, csr: one.b64 });
    assert.match(r.body.message, /公钥已经签发过证书/, r.text);
    /* a key of its own is certified */
    r = await other.c.post('/pki/csr', { id: other.id, csr: csr(dir).b64 });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT count(DISTINCT spki_sha256) FROM certificates WHERE order_id IN (${a.id}, ${b.id})
        AND state IN ('issued', 'revoked')`), '2');
});

test('browser_key__not_the_owner_404__hall_made_order_409__operator_refused', async () => {
    const dir = tmpdir();
    const o = await accepted();
    const stranger = await applicant();
    await stranger.get('/center/orders');
    const r = await stranger.post('/pki/csr', { id: o.id, csr: csr(dir).b64 });
    assert.equal(r.status, 404, r.text);
    assert.equal(r.body.message, '业务单不存在');
    /* the operator's 制作证书 is not for this product */
    const op = await operator();
    const made = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(made.status, 409, made.text);
    assert.match(made.body.message, /密钥由申请人在浏览器中生成/);
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    assert.doesNotMatch((await op.get(`/admin/pki/production?order=${orderNo}`)).text,
        new RegExp(`data-id="${o.id}"`), 'not in the 制作证书 queue');
    /* a product the hall makes: no request taken, no button */
    const h = await acceptedByTransfer({ project: 'jieyang' });
    const hr = await h.c.post('/pki/csr', { id: h.id, csr: csr(dir).b64 });
    assert.equal(hr.status, 409, hr.text);
    assert.match(hr.body.message, /由网上营业厅制作，不能在浏览器中生成密钥/);
    assert.doesNotMatch((await h.c.get(`/center/order?id=${h.id}`)).text, /id="keygen"/);
    assert.equal(certRows(o.id), '0');
    assert.equal(certRows(h.id), '0');
});
