'use strict';
/*
 * One public key, one certificate (issue 70 §4; sql/192; docs/internals/
 * pki.md, "One key, one certificate"), in the three paths besides
 * /pki/csr (tests/integ/browser_key.test.js):
 *   - 在线更新 (POST /pki/renew/issue): one request, signed for by the old
 *     key of each of two USB keys, posted for both at once: one
 *     certificate; the other refused naming the request, its code still
 *     open, nothing made; later alone, refused again; a key of its own
 *     certified;
 *   - 在线变更 (POST /pki/change/issue): a key certified by a renewal,
 *     valid and then revoked, refused; a key of its own certified;
 *   - an SM2 seal order's 机构业务章 (POST /pki/seal-key): the key of the
 *     order's own 机构证书 refused; one request posted for two orders'
 *     业务章 at once: one certificate; the other then certified for a key
 *     of its own.
 * The requests here are made as the 证书助手 makes them (the new key's
 * request, the old medium key's signature over "hall-assist renew|change",
 * the medium serial and the request), with a key made in a file: the hall
 * cannot tell, which is why the key and not its birth is what is refused.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, freshPhone, applicant } = require('./lib/client');
const { SM2_ID, operator, staffRevoke, acceptedByTransfer, smsTo, tmpdir, psql, orgForm, openssl } = require('./lib/pki');
const { p11Skip, p11 } = require('./lib/station');
const { holderKey, holderRequest, replacingOrder } = require('./lib/holder');
const { toApply } = require('./lib/seal');

const TAKEN = /证书请求（csr）的公钥已经签发过证书（无论证书有效还是已吊销），同一公钥不能再次签发/;
const PREFIX = { renew: 'hall-assist renew\n', change: 'hall-assist change\n' };

/* a 新办 机构证书 written onto a medium by the operator's 制作证书 */
async function onMedium(op) {
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(r.status, 200, r.text);
    const [serial, medium] = psql(`SELECT serial || '|' || medium_serial FROM certificates
        WHERE order_id = ${o.id} AND state = 'issued'`).split('|');
    const sms = await smsTo(phone, new RegExp(`序列号${serial}`));
    return { ...o, serial, medium, pin: sms.match(/PIN码为：(\d+)/)[1] };
}

/* its 证书更新 or 证书变更 order, 成功受理, and the holder's code */
async function ticketed(o, verb) {
    const id = replacingOrder(o.id, o.serial, verb);
    const r = await o.c.post(`/${verb}/assist/ticket`, { id });
    assert.equal(r.status, 200, r.text);
    return { id, ticket: r.body.ticket };
}

/* the old key's signature (the medium's key 01, DER ECDSA over SHA-256)
 * over what the 证书助手 signs: the verb's prefix, the medium, the request */
function proofOf(o, verb, csrDer, dir) {
    const msg = Buffer.concat([Buffer.from(`${PREFIX[verb]}${o.medium}\n`), csrDer]);
    const tag = Math.random().toString(36).slice(2);
    const dgst = path.join(dir, `${tag}.sha256`), sig = path.join(dir, `${tag}.sig`);
    fs.writeFileSync(dgst, crypto.createHash('sha256').update(msg).digest());
    const r = p11(['--token-label', o.medium, '--login', '--pin', o.pin, '--sign', '--mechanism', 'ECDSA',
        '--signature-format', 'openssl', '--id', '01', '-i', dgst, '-o', sig]);
    assert.equal(r.status, 0, r.out);
    return fs.readFileSync(sig).toString('base64');
}

async function issue(verb, o, ticket, req, dir) {
    const body = new URLSearchParams({ medium: o.medium, ticket, csr: req.b64, proof: proofOf(o, verb, req.der, dir) });
    const r = await fetch(`${HALL}/pki/${verb}/issue`, { method: 'POST', body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } });
    const text = await r.text();
    let json = {};
    try { json = JSON.parse(text); } catch { /* the status says it */ }
    return { status: r.status, text, body: json };
}

const live = (orderId) => psql(`SELECT count(*) FROM certificates WHERE order_id = ${orderId} AND state IN ('intent', 'issued')`);
/* the certificates, not voided, of the key certificate serial certifies */
const holdersOf = (serial) => psql(`SELECT count(*) FROM certificates WHERE state <> 'void' AND spki_sha256 =
    (SELECT spki_sha256 FROM certificates WHERE serial = '${serial}')`);

test('key_once__renewal__one_request_for_two_media_at_once__one_certificate', { skip: p11Skip }, async () => {
    const op = await operator();
    const [a, b] = [await onMedium(op), await onMedium(op)];
    const dir = tmpdir();
    const ta = await ticketed(a, 'renew');
    const tb = await ticketed(b, 'renew');
    const k = holderRequest(dir, 'P-256');
    const rs = await Promise.all([issue('renew', a, ta.ticket, k, dir), issue('renew', b, tb.ticket, k, dir)]);
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 400], rs.map((r) => r.text).join('\n'));
    const lost = rs[0].status === 200 ? [b, tb] : [a, ta];
    const refused = rs.find((r) => r.status === 400);
    assert.equal(refused.body.field, 'csr', refused.text);
    assert.match(refused.body.message, TAKEN);
    assert.equal(holdersOf(rs.find((r) => r.status === 200).body.serial), '1', 'one certificate of the key');
    /* the refused: nothing made, its code still open, the order 成功受理 */
    const [o, t] = lost;
    assert.equal(live(t.id), '0');
    assert.equal(psql(`SELECT state FROM renew_tickets WHERE order_id = ${t.id}`), 'open');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${t.id}`), 'accepted');
    /* later, alone: the same */
    const again = await issue('renew', o, t.ticket, k, dir);
    assert.equal(again.status, 400, again.text);
    assert.match(again.body.message, TAKEN);
    assert.equal(live(t.id), '0');
    /* a key of its own is certified with the same code */
    const own = await issue('renew', o, t.ticket, holderRequest(dir, 'P-256'), dir);
    assert.equal(own.status, 200, own.text);
    assert.equal(live(t.id), '1');
});

test('key_once__change__a_key_certified_valid_or_revoked__refused', { skip: p11Skip }, async () => {
    const op = await operator();
    const [a, b] = [await onMedium(op), await onMedium(op)];
    const dir = tmpdir();
    /* the key certified by a's renewal */
    const k = holderRequest(dir, 'P-256');
    const ta = await ticketed(a, 'renew');
    const made = await issue('renew', a, ta.ticket, k, dir);
    assert.equal(made.status, 200, made.text);
    /* b's 变更 with it: refused, nothing made, the code still open */
    const tb = await ticketed(b, 'change');
    let r = await issue('change', b, tb.ticket, k, dir);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'csr');
    assert.match(r.body.message, TAKEN);
    assert.equal(live(tb.id), '0');
    assert.equal(psql(`SELECT state FROM renew_tickets WHERE order_id = ${tb.id}`), 'open');
    /* revoked, the key is still the one certified */
    const rev = await staffRevoke(made.body.serial, 'keyCompromise');
    assert.equal(rev.status, 200, rev.text);
    r = await issue('change', b, tb.ticket, k, dir);
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.message, TAKEN);
    assert.equal(holdersOf(made.body.serial), '1');
    /* a key of its own */
    r = await issue('change', b, tb.ticket, holderRequest(dir, 'P-256'), dir);
    assert.equal(r.status, 200, r.text);
    assert.equal(live(tb.id), '1');
});

/* an SM2 seal order (one 机构章, one 合同专用章), accepted, its 机构证书's
 * key made in the applicant's browser (POST /pki/csr) */
async function sm2Seal(dir) {
    const c = await applicant();
    const form = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: await toApply(c), ca: 'sm2',
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '2', org_style: 'auto', biz_count: '1', biz_years: '1',
        biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    const own = await holderKey(c, id, { dir });
    return { c, id, own, es: psql(`SELECT 'SZCA' || lpad('${id}', 12, '0') || 'B01'`),
        item: psql(`SELECT id FROM seal_items WHERE order_id = ${id} AND kind = 'org_business'`) };
}

test('key_once__seal_key__the_orders_own_key_refused__one_request_for_two_seals_at_once', async () => {
    const dir = tmpdir();
    const [a, b] = [await sm2Seal(dir), await sm2Seal(dir)];
    const bizCerts = (o) => psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${o.item} AND state <> 'void'`);
    /* the request of the 机构证书's own key, for the 业务章 */
    const der = path.join(dir, 'own.csr.der');
    const q = openssl(['req', '-new', '-key', a.own.key, '-sm3', '-sigopt', `distid:${SM2_ID}`, '-subj', '/CN=holder',
        '-outform', 'DER', '-out', der]);
    assert.equal(q.status, 0, q.stderr);
    let r = await a.c.post('/pki/seal-key', { es_id: a.es, csr: fs.readFileSync(der).toString('base64') });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'csr');
    assert.match(r.body.message, TAKEN);
    assert.equal(bizCerts(a), '0');
    /* one request for both orders' 业务章, three posts each, at once */
    const k = holderRequest(dir, 'SM2');
    const rs = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => {
        const o = i % 2 ? b : a;
        return o.c.post('/pki/seal-key', { es_id: o.es, csr: k.b64 });
    }));
    assert.equal(rs.filter((x) => x.status === 200).length, 1, rs.map((x) => `${x.status} ${x.text}`).join('\n'));
    const winner = rs.find((x) => x.status === 200).body.es_id === a.es ? a : b;
    const other = winner === a ? b : a;
    for (const x of rs.filter((y) => y.status !== 200)) {
        assert.ok([400, 409].includes(x.status), x.text);
        assert.match(x.body.message, /公钥已经签发过证书|正在签发|已签发/, x.text);
    }
    assert.ok(rs.some((x) => x.status === 400 && TAKEN.test(x.body.message)), 'the other seal told why');
    assert.equal(bizCerts(winner), '1');
    assert.equal(bizCerts(other), '0');
    assert.equal(holdersOf(rs.find((x) => x.status === 200).body.serial), '1');
    /* the other seal: a key of its own */
    r = await other.c.post('/pki/seal-key', { es_id: other.es, csr: holderRequest(dir, 'SM2').b64 });
    assert.equal(r.status, 200, r.text);
    assert.equal(bizCerts(other), '1');
});
