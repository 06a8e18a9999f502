'use strict';
/*
 * Every flow of a certificate made in the browser stays in the browser
 * (issue 64 §2, §4; sql/160, functions/order_key_origin.sql,
 * core/biz/produce_csr.c): its 证书更新, 证书变更, 介质遗失补办 and 证书解锁
 * (a file cannot be unlocked: a new key, a new certificate), once 成功受理,
 * are issued for the request the holder's browser posts (POST /pki/csr),
 * the order's flow deciding the subject and the validity as 制作证书 would;
 * the hall never makes a key for them: hall-outbox's tick makes nothing
 * (sql/162), the operator's 制作证书 and `hall-pkitool issue` refuse.
 * The replacing orders are made as staff's approval leaves them (the same
 * applicant and form, the partner's product of the business, 成功受理), as
 * tests/integ/custody_scan.test.js makes them; the requests are openssl's,
 * as the page makes them.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { freshPhone } = require('./lib/client');
const {
    SM2_ID, operator, staffRevoke, acceptedByTransfer, tmpdir, openssl, psql, orgForm, pkitool,
} = require('./lib/pki');
const { scan } = require('./lib/custody');
const { replacingOrder } = require('./lib/holder');

/* a PKCS#10 request made by openssl: { b64, der, key } (key: PEM file) */
function csr(dir, { curve = 'P-256', broken = false } = {}) {
    const tag = `${curve}-${crypto.randomBytes(6).toString('hex')}`;
    const key = path.join(dir, `${tag}.key`), out = path.join(dir, `${tag}.der`);
    let r = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', key]);
    assert.equal(r.status, 0, r.stderr);
    const sm2 = curve === 'SM2' ? ['-sm3', '-sigopt', `distid:${SM2_ID}`] : [];
    r = openssl(['req', '-new', '-key', key, ...sm2, '-subj', '/CN=Mallory', '-outform', 'DER', '-out', out]);
    assert.equal(r.status, 0, r.stderr);
    const der = fs.readFileSync(out);
    if (broken)
        der[der.length - 1] ^= 0x01;
    return { b64: der.toString('base64'), der, key };
}

/* the hall's 机构证书 with its key made in the browser: nothing mailed */
function browserForm(extra = {}) {
    const f = orgForm({ agent_mobile: freshPhone('137'), key_origin: 'browser', ...extra });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    return f;
}

/* a browser-made certificate: its order, serial and key file */
async function browserMade(dir, extra = {}) {
    const o = await acceptedByTransfer({ project: 'hall', form: browserForm(extra) });
    const req = csr(dir, { curve: extra.ca === 'sm2' ? 'SM2' : 'P-256' });
    const r = await o.c.post('/pki/csr', { id: o.id, csr: req.b64 });
    assert.equal(r.status, 200, r.text);
    keys.push(scalarOf(req.key));
    return { o, serial: r.body.serial, key: req.key };
}

/* a replacing order of serial as staff's approval leaves it (the form of
 * order formOf: the new data of a 变更; the hall's product of the
 * business), 成功受理 */
const replacing = replacingOrder;

const pubOfCert = (dir, b64) => {
    const f = path.join(dir, `${crypto.randomBytes(6).toString('hex')}.der`);
    fs.writeFileSync(f, Buffer.from(b64, 'base64'));
    return openssl(['x509', '-inform', 'DER', '-in', f, '-pubkey', '-noout']).stdout;
};
const pubOfKey = (key) => openssl(['pkey', '-in', key, '-pubout']).stdout;
const row = (sql) => psql(sql).split('|');
/* the private scalars of the keys the test made (the holder's side) */
const keys = [];
const scalarOf = (key) => openssl(['pkey', '-in', key, '-text', '-noout']).stdout
    .match(/priv:\s*([0-9a-f:\s]+?)\s*pub:/)[1].replace(/[:\s]/g, '').replace(/^00(?=[0-9a-f]{64}$)/, '');

/* the flow's new certificate from the holder's request, as its page makes it */
async function flow(dir, o, id, curve) {
    /* hall-outbox's pki tick (every 5 s) leaves it: no key made here */
    await new Promise((ok) => setTimeout(ok, 6000));
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id}`), '0', 'the tick made nothing');
    assert.equal(psql(`SELECT order_key_origin(${id})`), 'browser');
    const page = await o.c.get(`/center/order?id=${id}`);
    assert.match(page.text, /id="keygen-go">生成密钥并下载证书</, `order ${id}: the page makes the key`);
    const req = csr(dir, { curve });
    keys.push(scalarOf(req.key));
    const r = await o.c.post('/pki/csr', { id, csr: req.b64 });
    assert.equal(r.status, 200, r.text);
    assert.equal(pubOfCert(dir, r.body.cert), pubOfKey(req.key), 'the certificate is for the request\'s key');
    assert.deepEqual(row(`SELECT key_origin, (pop_checked_at IS NOT NULL)::text, (p12_enc IS NULL)::text, state
        FROM certificates WHERE serial = '${r.body.serial}'`), ['browser', 'true', 'true', 'issued']);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'delivered');
    return { ...r.body, page: page.text };
}

test('browser_flows__renew_change_reissue_unlock_of_a_browser_made_certificate__key_born_in_the_browser', async () => {
    const dir = tmpdir();
    const op = await operator();

    /* 证书更新: from the old end, the old one valid until then */
    const a = await browserMade(dir);
    const renew = replacing(a.o.id, a.serial, 'renew');
    /* neither the operator nor hall-pkitool makes a key for it */
    const made = await op.post('/admin/pki/issue', { id: renew });
    assert.equal(made.status, 409, made.text);
    assert.match(made.body.message, /密钥由申请人在浏览器中生成/);
    const cli = pkitool(['issue', String(renew)]);
    assert.equal(cli.status, 3, cli.stderr);
    assert.match(cli.stderr, /浏览器中生成/);
    const rn = await flow(dir, a.o, renew, 'P-256');
    assert.match(rn.page, /id="keygen-flow">证书更新/);
    assert.deepEqual(row(`SELECT n.not_before = o.not_after, o.state, n.subject_cn = o.subject_cn
        FROM certificates n, certificates o WHERE n.serial = '${rn.serial}' AND o.serial = '${a.serial}'`),
    ['t', 'issued', 't']);

    /* 证书变更: the form's new name, the old end, the old one superseded */
    const b = await browserMade(dir);
    const other = await acceptedByTransfer({ project: 'hall', form: browserForm({ org_name: '深圳市变更后名称科技有限公司', bank_account_name: '深圳市变更后名称科技有限公司' }) });
    const change = replacing(b.o.id, b.serial, 'change', other.id);
    const ch = await flow(dir, b.o, change, 'P-256');
    assert.equal(ch.name, '深圳市变更后名称科技有限公司');
    assert.deepEqual(row(`SELECT n.not_after = o.not_after, o.state, o.revoke_reason, n.subject_cn
        FROM certificates n, certificates o WHERE n.serial = '${ch.serial}' AND o.serial = '${b.serial}'`),
    ['t', 'revoked', '4', '深圳市变更后名称科技有限公司']);

    /* 介质遗失补办: the old one revoked at staff's approval, the new to its end */
    const c = await browserMade(dir);
    const reissue = replacing(c.o.id, c.serial, 'reissue');
    assert.equal((await staffRevoke(c.serial, 'keyCompromise')).status, 200);
    const re = await flow(dir, c.o, reissue, 'P-256');
    assert.match(re.page, /id="keygen-flow">介质遗失补办/);
    assert.deepEqual(row(`SELECT n.not_after = o.not_after, o.state, n.subject_cn = o.subject_cn
        FROM certificates n, certificates o WHERE n.serial = '${re.serial}' AND o.serial = '${c.serial}'`),
    ['t', 'revoked', 't']);

    /* 证书解锁 of an SM2 file: it cannot be unlocked, the page says so; a
     * new SM2 key, the old end, the old one superseded */
    const d = await browserMade(dir, { ca: 'sm2' });
    const unlock = replacing(d.o.id, d.serial, 'unlock');
    const un = await flow(dir, d.o, unlock, 'SM2');
    assert.match(un.page, /id="keygen-flow">证书文件不能解锁[^<]*生成新的密钥，签发新的证书/);
    assert.equal(un.algorithm, 'sm2');
    assert.deepEqual(row(`SELECT n.ca, n.not_after = o.not_after, o.state, o.revoke_reason
        FROM certificates n, certificates o WHERE n.serial = '${un.serial}' AND o.serial = '${d.serial}'`),
    ['sm2', 't', 'revoked', '4']);

    /* where each key was born, audited; and no private key anywhere */
    for (const s of [rn.serial, ch.serial, re.serial, un.serial])
        assert.equal(psql(`SELECT detail->>'born' FROM audit_log WHERE entity = 'certificate'
            AND entity_id = '${s}' AND action = 'key_born'`), 'browser');
    const found = scan({ serials: [a, b, c, d, rn, ch, re, un].map((x) => x.serial), scalars: keys });
    assert.deepEqual(found.breaches, []);
});

test('browser_flows__sm2_renew__wrong_key_type_or_bad_signature_400_naming_the_request__parallel_one', async () => {
    const dir = tmpdir();
    const a = await browserMade(dir, { ca: 'sm2' });
    const renew = replacing(a.o.id, a.serial, 'renew');
    const p256 = await a.o.c.post('/pki/csr', { id: renew, csr: csr(dir).b64 });
    assert.equal(p256.status, 400, p256.text);
    assert.equal(p256.body.field, 'csr');
    assert.match(p256.body.message, /证书请求（csr）的公钥不是SM2密钥/);
    const broken = await a.o.c.post('/pki/csr', { id: renew, csr: csr(dir, { curve: 'SM2', broken: true }).b64 });
    assert.equal(broken.status, 400, broken.text);
    assert.match(broken.body.message, /证书请求（csr）的签名不能用其公钥验证/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${renew}`), '0', 'no serial drawn');
    const reqs = [0, 1, 2, 3].map(() => csr(dir, { curve: 'SM2' }).b64);
    const rs = await Promise.all(reqs.map((b64) => a.o.c.post('/pki/csr', { id: renew, csr: b64 })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 409, 409, 409], rs.map((r) => r.text).join('\n'));
    assert.equal(psql(`SELECT count(*) || ',' || min(key_origin) || ',' || min(ca) FROM certificates
        WHERE order_id = ${renew} AND state = 'issued' AND p12_enc IS NULL`), '1,browser,sm2');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${a.serial}'`), 'issued', 'renewed, not revoked');
});
