'use strict';
/*
 * 证书解锁 (modules/unlock, docs/modules/unlock.md) through nginx: the page
 * that says why the PIN cannot be reset, the SMS code to the phone the
 * certificate's order names (never shown whole), the order and its claim,
 * and production: a new key, the same subject, the old notAfter; the old
 * certificate answers good in OCSP until the new one is issued and revoked
 * (superseded) at once after, in the CRL too; the new one verifies.  A
 * foreign certificate refused, nothing leaked; an expired one refused; the
 * same form twice at once makes one order.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { freshPhone, SANDBOX, Client, HALL, applicant } = require('./lib/client');
const { waitFor, unpaidOrder } = require('./lib/payflow');
const { smsMessages, codeOf, waitForSms } = require('./lib/hall');
const { operator, reviewer, acceptedByTransfer, tmpdir, fetchPki, ocspQuery, psql, orgForm, openssl, staffRevoke } = require('./lib/pki');

async function issuedCert(op) {
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    return { ...o, serial, phone };
}

function unlockForm(serial, extra = {}) {
    const f = orgForm(extra);
    delete f.cert_type;
    delete f.years;
    delete f.bank_account_name;
    delete f.bank_branch_id;
    delete f.bank_account;
    return { project: 'hall', serial, ...f };
}

/* a USB key's 解锁 makes no medium: no 介质费 (sql/173) */
const NO_MEDIUM_FEE = '解锁费用：0.00元（不制作、不寄送新介质，不收介质费），合计 0.00元';

async function toForm(o, fee = NO_MEDIUM_FEE) {
    const n = await o.c.get('/unlock/notice');
    assert.equal(n.status, 200);
    assert.match(n.text, /为什么不能直接重置PIN码/);
    assert.match(n.text, /电子签名法》第十三条/);
    assert.match(n.text, /销毁了本方保存的私钥副本/);
    const a = await o.c.post('/unlock/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.redirect, '/unlock/serial?project=hall');
    const s = await o.c.get(`/unlock/serial?project=hall&serial=${o.serial}`);
    assert.equal(s.status, 200, s.text);
    assert.match(s.text, /id="serial-next" href="\/unlock\/apply\?project=hall&amp;serial=/);
    const page = await o.c.get(`/unlock/apply?project=hall&serial=${o.serial}`);
    assert.equal(page.status, 200, page.text);
    assert.ok(page.text.includes(fee), 'the fee');
    assert.match(page.text, new RegExp(`原证书登记的手机号码（${o.phone.slice(0, 3)}\\*\\*\\*\\*${o.phone.slice(7)}）`));
    assert.match(page.text, new RegExp(`id="sms-send" data-sms-url="/unlock/sms" data-serial="${o.serial}"`),
        'the code goes to the certificate\'s phone, not to one the page sends');
    return page.text.match(/name="submit_key" value="([^"]+)"/)[1];
}

/* the code of the SMS this request queued (the outbox delivers it a moment
 * later: the phone's older texts, a PIN among them, are not it) */
async function smsCode(o) {
    const before = (await smsMessages(o.phone)).length;
    const r = await o.c.post('/unlock/sms', { project: 'hall', serial: o.serial });
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.message, /验证码已发送至 137\*\*\*\*\d{4}/);
    return codeOf(await waitForSms(o.phone, before));
}

test('unlock__new_key_same_subject_old_end__old_revoked_superseded_only_at_issuance', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const count = () => psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`);
    /* no code, a wrong code: refused, nothing written */
    let r = await o.c.post('/unlock/apply', { ...unlockForm(o.serial), submit_key: key });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'sms_code');
    assert.match(r.body.message, /短信验证码/);
    const code = await smsCode(o);
    r = await o.c.post('/unlock/apply', { ...unlockForm(o.serial), sms_code: code === '000000' ? '111111' : '000000', submit_key: key });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'sms_code');
    assert.equal(count(), '0');
    /* the same form twice at once: one order */
    const form = { ...unlockForm(o.serial), sms_code: code, submit_key: key };
    const rs = await Promise.all([1, 2].map(() => o.c.post('/unlock/apply', form)));
    const ok = rs.filter((x) => x.status === 200);
    assert.ok(ok.length >= 1, rs.map((x) => x.text).join('\n'));
    assert.equal(new Set(ok.map((x) => x.body.redirect)).size, 1);
    assert.equal(count(), '1');
    const id = Number(ok[0].body.redirect.match(/^\/unlock\/print\?id=(\d+)$/)[1]);
    assert.match(psql(`SELECT order_no || ':' || business_type || ':' || cert_fen FROM orders WHERE id = ${id}`),
        /^L\d{14}:unlock:0$/);
    assert.equal((await o.c.get(`/unlock/print?id=${id}`)).status, 200);

    /* accepted: the old one still good; the operator produces it (no
     * certificate is made without the operator, sql/162) */
    const dir = tmpdir();
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    await fetchPki(dir);
    let q = ocspQuery(dir, 'ecc', o.serial);
    assert.match(q.line, /: good$/, q.out);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${o.serial}'`), 'issued');
    const made = await op.post('/admin/pki/issue', { id });
    assert.equal(made.status, 200, made.text);
    assert.match(made.body.message || made.text, /原证书 [0-9A-F]{16} 已吊销（已被替代）/);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);
    /* at once after the issuance: revoked, superseded */
    q = ocspQuery(dir, 'ecc', o.serial);
    assert.ok(q.verified, q.out);
    assert.match(q.line, /: revoked$/, q.out);
    assert.match(q.out, /Reason: superseded/);
    assert.match(ocspQuery(dir, 'ecc', serial).line, /: good$/);
    assert.equal(psql(`SELECT revoke_reason || ':' || (revoked_at >= (SELECT issued_at FROM certificates
        WHERE serial = '${serial}')) FROM certificates WHERE serial = '${o.serial}'`), '4:true');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'
        AND action = 'supersede_revoke'`), '1');
    /* the CRL lists it (refreshed after the issuance) */
    await fetchPki(dir);
    const crl = openssl(['crl', '-inform', 'DER', '-in', path.join(dir, 'ecc.crl'), '-noout', '-text']);
    assert.ok(crl.stdout.includes(`Serial Number: ${o.serial}`), 'the CRL lists the old one');
    assert.match(crl.stdout, /Superseded/);
    /* the new certificate: the same subject and end, a new key, verifying */
    const file = (s) => {
        const f = path.join(dir, `${s}.der`);
        fs.writeFileSync(f, Buffer.from(psql(`SELECT encode(der, 'base64') FROM certificates WHERE serial = '${s}'`)
            .replace(/\s/g, ''), 'base64'));
        return f;
    };
    const x = (f, what) => openssl(['x509', '-inform', 'DER', '-in', f, '-noout', what]).stdout;
    const oldF = file(o.serial), newF = file(serial);
    assert.equal(x(newF, '-subject'), x(oldF, '-subject'));
    assert.notEqual(x(newF, '-pubkey'), x(oldF, '-pubkey'));
    assert.equal(Date.parse(x(newF, '-enddate').split('=')[1]) / 1000,
        Number(psql(`SELECT extract(epoch FROM not_after)::bigint FROM certificates WHERE serial = '${o.serial}'`)),
        'the old certificate\'s remaining validity');
    const pem = path.join(dir, 'new.pem');
    openssl(['x509', '-inform', 'DER', '-in', newF, '-out', pem]);
    const v = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'ecc.crt'), pem]);
    assert.match(v.stdout, /OK/, v.stderr);
});

/* ---- a zero fee: no payment, on to review ---------------------------------- */

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);

/* the phone's OCR and liveness of the form's agent (the kit's identity step) */
async function identity(c, id, form) {
    const page = await c.get(`/unlock/identity?id=${id}`);
    assert.equal(page.status, 200, page.text);
    const href = page.text.match(/href="([^"]*\/unlock\/m\/verify\?t=[^"]+)"/)[1].replace(/&amp;/g, '&');
    const t = new URL(href, HALL).searchParams.get('t');
    const phone = new Client();
    assert.equal((await phone.get(`/unlock/m/verify?t=${t}`)).status, 200);
    let r = await phone.postMultipart('/unlock/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    r = await phone.postMultipart('/unlock/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    const st = await c.getJSON(`/unlock/identity/status?id=${id}`);
    assert.equal(st.body.status, 'passed');
    return st.body.next;
}

test('unlock__zero_fee__identity_passed_goes_to_review_without_payment__approved_and_issued', async () => {
    const product = "partner_code = 'hall' AND business_type = 'unlock' AND cert_type = 'org' AND key_origin = 'hall'";
    const was = psql(`SELECT fixed_fee_fen || '|' || breakdown::text FROM products WHERE ${product}`).split('|');
    psql(`UPDATE products SET fixed_fee_fen = 0, breakdown = '{"解锁费": 0, "介质费": 0}' WHERE ${product}`);
    try {
        const op = await operator();
        const o = await issuedCert(op);
        const key = await toForm(o, '解锁费用：0.00元，介质费用：0.00元，合计 0.00元');
        const code = await smsCode(o);
        const form = unlockForm(o.serial);
        const r = await o.c.post('/unlock/apply', { ...form, sms_code: code, submit_key: key });
        assert.equal(r.status, 200, r.text);
        const id = Number(r.body.redirect.match(/^\/unlock\/print\?id=(\d+)$/)[1]);
        assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '0');
        assert.equal((await o.c.post('/unlock/printed', { id })).status, 200);
        const up = await o.c.postMultipart('/unlock/upload', { id, kind: 'application' },
            { file: { name: 'application.jpg', data: JPEG } });
        assert.equal(up.status, 200, up.text);
        assert.equal((await o.c.post('/unlock/uploaded', { id })).status, 200);
        const next = await identity(o.c, id, form);

        /* nothing to pay: on to review at once, not left 待支付 */
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'review');
        assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${id}`), '0');
        assert.equal(psql(`SELECT from_state || '>' || to_state || '|' || (detail->>'via') FROM audit_log
            WHERE entity = 'order' AND entity_id = '${id}' AND action = 'status' AND to_state = 'review'`),
        'draft>review|no_fee');
        const page = await o.c.get(new URL(next, HALL).pathname + new URL(next, HALL).search);
        assert.equal(page.status, 200);
        assert.match(page.text, /该业务单费用为0元，无需缴费，申请单状态为“待审核”/);
        assert.doesNotMatch(page.text, /确认支付/);
        const pay = await o.c.post('/pay/online', { id, channel: 'wechat' });
        assert.ok(pay.status === 400 || pay.status === 409, pay.text);

        /* the reviewer approves (成功受理); the operator produces it, the
         * old one superseded */
        const rv = await reviewer();
        const ok = await rv.post('/admin/order/approve', { id });
        assert.equal(ok.status, 200, ok.text);
        await waitFor('accepted', () => psql(`SELECT status FROM orders WHERE id = ${id}`) === 'accepted');
        const made = await op.post('/admin/pki/issue', { id });
        assert.equal(made.status, 200, made.text);
        assert.equal(psql(`SELECT state || '|' || revoke_reason FROM certificates WHERE serial = '${o.serial}'`), 'revoked|4');
    } finally {
        psql(`UPDATE products SET fixed_fee_fen = ${was[0]}, breakdown = '${was.slice(1).join('|')}' WHERE ${product}`);
    }
});

test('unlock__foreign_certificate_403_nothing_leaked__no_code_sent', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const other = await issuedCert(op);
    await o.c.post('/unlock/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    const page = await o.c.get(`/unlock/serial?project=hall&serial=${other.serial}`);
    assert.equal(page.status, 403);
    assert.match(page.text, /不是您申请的证书，不能办理证书解锁/);
    assert.doesNotMatch(page.text, /cert-subject|serial-next/);
    const g = await o.c.get(`/unlock/apply?project=hall&serial=${other.serial}`);
    assert.equal(g.status, 403);
    assert.doesNotMatch(g.text, new RegExp(other.phone.slice(7)));
    const s = await o.c.post('/unlock/sms', { project: 'hall', serial: other.serial });
    assert.equal(s.status, 403);
    const sms = await (await fetch(`${SANDBOX}/sandbox/sms?phone=${other.phone}`)).json();
    assert.ok(!(sms.messages || []).some((m) => /验证码/.test(m.text)), 'no code to the other holder\'s phone');
    const p = await o.c.post('/unlock/apply', { ...unlockForm(other.serial), sms_code: '123456' });
    assert.equal(p.status, 403);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${other.serial}'`), '0');
});

test('unlock__expired_or_revoked__refused', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    await o.c.post('/unlock/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    psql(`UPDATE certificates SET not_after = now() - interval '1 day', not_before = now() - interval '1 year'
        WHERE serial = '${o.serial}'`);
    let r = await o.c.get(`/unlock/serial?project=hall&serial=${o.serial}`);
    assert.equal(r.status, 409);
    assert.match(r.text, /已过期，不能办理证书解锁，请办理证书新办/);
    psql(`UPDATE certificates SET not_after = now() + interval '100 days' WHERE serial = '${o.serial}'`);
    assert.equal((await staffRevoke(o.serial, 'keyCompromise', op)).status, 200);
    r = await o.c.post('/unlock/sms', { project: 'hall', serial: o.serial });
    assert.equal(r.status, 409);
    assert.match(r.body.message, /已吊销，不能办理证书解锁/);
});

/* the code of the SMS a new POST /unlock/sms sends (the PINs of the
 * certificates to the same phone may arrive meanwhile: not it) */
async function codeSms(o) {
    const seen = new Set((await smsMessages(o.phone)).map((m) => m.id));
    const r = await o.c.post('/unlock/sms', { project: 'hall', serial: o.serial });
    assert.equal(r.status, 200, r.text);
    const msg = await waitFor('the unlock code', async () => (await smsMessages(o.phone))
        .find((m) => !seen.has(m.id) && /验证码是\d{6}/.test(m.text)));
    return { code: msg.text.match(/验证码是(\d{6})/)[1], msg };
}

/* two certificates of one account whose orders name the same phone */
async function twoCerts(op) {
    const c = await applicant();
    const phone = freshPhone('137');
    const out = [];
    for (let i = 0; i < 2; i++) {
        const form = orgForm({ agent_mobile: phone, bank_account: '4000021009100123456' });
        const o = await unpaidOrder(c, { form, project: 'hall' });
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
            WHERE id = ${o.id}`);
        const r = await op.post('/admin/pki/issue', { id: o.id });
        assert.equal(r.status, 200, r.text);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        out.push({ ...o, c, form, serial, phone });
    }
    return out;
}

/* issue 40 §3: the code is asked for one certificate and unlocks that one
 * only (before, a code of purpose unlock to the phone unlocked any
 * certificate whose order named that phone) */
test('unlock__code_asked_for_one_certificate__refused_for_another__nothing_written', async () => {
    const op = await operator();
    const [x, y] = await twoCerts(op);
    const count = (o) => psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`);
    const ky = await toForm(y);
    const { code } = await codeSms(x);
    let r = await y.c.post('/unlock/apply', { ...unlockForm(y.serial), sms_code: code, submit_key: ky });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'sms_code');
    assert.match(r.body.message, /不是为这张证书获取的/);
    assert.equal(count(y), '0', 'nothing written');
    /* the same code for the certificate it was asked for */
    const kx = await toForm(x);
    r = await x.c.post('/unlock/apply', { ...unlockForm(x.serial), sms_code: code, submit_key: kx });
    assert.equal(r.status, 200, r.text);
    assert.equal(count(x), '1');
    assert.equal(count(y), '0');
});

/* the SMS names the action and the certificate, not the login text; a
 * certificate on a USB key is unlocked by the 证书助手, which keeps its key
 * and certificate: the SMS says so, not that a new one is issued */
test('unlock__sms_code__names_the_unlock_and_the_serial_s_tail__not_the_login_text', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    assert.equal(psql(`SELECT key_origin FROM certificates WHERE serial = '${o.serial}'`), 'medium');
    const { msg } = await codeSms(o);
    assert.ok(!msg.text.includes('您的验证码是'), msg.text);
    assert.ok(msg.text.includes(`解锁USB Key中的证书（序列号尾号${o.serial.slice(-4)}）`), msg.text);
    assert.match(msg.text, /密钥和证书保持不变，不签发新证书/);
    assert.doesNotMatch(msg.text, /原证书随之吊销/);
    assert.equal(msg.template_code, 'SMS_480300025');
});
