'use strict';
/*
 * 撤销 (modules/center, issue 24): the holder revokes its own certificate
 * from 我的证书.  The page shows the certificate, the four reasons, that it
 * cannot be undone and what happens to an order under way that replaces it;
 * an SMS code to the account's phone confirms; the revocation shows in OCSP
 * at once (openssl ocsp) and in the CRL after hall-outbox's CA tick; the
 * holder and the agent get one SMS each; no fee; audited.  Another's
 * certificate answers 404 with nothing of it; two confirmations at once
 * revoke once.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant, freshPhone } = require('./lib/client');
const { operator, tmpdir, openssl, fetchPki, ocspQuery, psql, orgForm } = require('./lib/pki');
const { unpaidOrder, payOnline } = require('./lib/payflow');
const { smsMessages, waitFor } = require('./lib/hall');

/* an order of c's accepted by SQL (the transfer path), made by the operator;
 * the agent's phone is a fresh one, not the account's */
async function issued(c, op) {
    const agent = freshPhone('137');
    const o = await unpaidOrder(c, { form: orgForm({ agent_mobile: agent }) });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${o.id}`);
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    return { id: o.id, serial, agent, ca: psql(`SELECT ca FROM certificates WHERE serial = '${serial}'`),
        orderNo: psql(`SELECT order_no FROM orders WHERE id = ${o.id}`) };
}

/* the 60 s a user waits before asking the same phone for another code */
function ageCodes(cert) {
    psql(`UPDATE sms_codes SET created_at = created_at - interval '61 seconds'
        WHERE phone_idx = (SELECT u.phone_idx FROM users u JOIN orders o ON o.user_id = u.id
        WHERE o.id = ${cert.id})`);
}

/* the revoke code of the account's phone, as the page's 获取验证码 asks it */
async function revokeCode(c, cert) {
    const serial = cert.serial;
    ageCodes(cert);
    const seen = new Set((await smsMessages(c.phone)).map((m) => m.id));
    const r = await c.post('/center/cert/revoke/code', { serial });
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.message, /验证码已发送至1\d\d\*\*\*\*\d{4}/);
    const msg = await waitFor('the revoke code', async () => (await smsMessages(c.phone))
        .find((m) => !seen.has(m.id) && /验证码是\d{6}/.test(m.text)));
    return msg.text.match(/验证码是(\d{6})/)[1];
}

const revokeTexts = async (phone, serial) => (await smsMessages(phone))
    .filter((m) => m.text.includes(`序列号${serial}）已于`) && m.text.includes('撤销'));

const ocspLine = (dir, cert) => ocspQuery(dir, cert.ca, cert.serial).line;

test('holder_revoke__page_then_sms_code__revoked_in_ocsp_at_once__crl_after_tick__sms__orders__audit', async () => {
    const op = await operator();
    const c = await applicant();
    const cert = await issued(c, op);
    const dir = tmpdir();
    await fetchPki(dir);
    assert.match(ocspLine(dir, cert), /: good$/);

    /* an order under way that replaces it, not paid; and (a certificate has
     * at most one replacing order: sql/058) another applicant's certificate
     * with one in review */
    const unpaid = await unpaidOrder(c, { form: orgForm() });
    psql(`UPDATE orders SET business_type = 'reissue', reissue_of = '${cert.serial}' WHERE id = ${unpaid.id}`);
    const c2 = await applicant();
    const cert2 = await issued(c2, op);
    const review = await unpaidOrder(c2, { form: orgForm() });
    psql(`UPDATE orders SET business_type = 'reissue', reissue_of = '${cert2.serial}', status = 'review' WHERE id = ${review.id}`);
    const [unpaidNo, reviewNo] = [unpaid.id, review.id].map((id) => psql(`SELECT order_no FROM orders WHERE id = ${id}`));
    /* the unpaid one has a trade open at the gateway */
    await payOnline(c, unpaid.id);

    /* 我的证书 offers 撤销 for it */
    const list = await c.getJSON('/center/certs');
    const row = list.body.certs.find((x) => x.serial === cert.serial);
    const action = row.actions.find((a) => a.id === 'revoke');
    assert.deepEqual(action, { id: 'revoke', label: '撤销', url: `/center/cert/revoke?serial=${cert.serial}` });

    /* the page: reasons, the warning, the orders and what becomes of them, no fee */
    const v = await c.getJSON(action.url);
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.revocable, true);
    assert.equal(v.body.cert.serial, cert.serial);
    assert.equal(v.body.fee, '0.00');
    assert.deepEqual(v.body.reasons.map((r) => [r.name, r.label]), [
        ['keyCompromise', '密钥泄露'], ['affiliationChanged', '信息变更'],
        ['cessationOfOperation', '停止使用'], ['superseded', '已被替代']]);
    const orders = Object.fromEntries(v.body.orders.map((o) => [o.order_no, o]));
    assert.deepEqual(Object.keys(orders), [unpaidNo]);
    assert.equal(orders[unpaidNo].business, '介质遗失补办');
    assert.match(orders[unpaidNo].effect, /自动取消/);
    const v2 = await c2.getJSON(`/center/cert/revoke?serial=${cert2.serial}`);
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.deepEqual(v2.body.orders.map((o) => o.order_no), [reviewNo]);
    assert.match(v2.body.orders[0].effect, /不能再通过审核.*申请退费/);
    const page = await c.get(action.url);
    assert.equal(page.status, 200);
    assert.match(page.text, /撤销后不能恢复/);
    assert.match(page.text, new RegExp(`data-order="${unpaidNo}"`));
    assert.match((await c2.get(`/center/cert/revoke?serial=${cert2.serial}`)).text, new RegExp(`data-order="${reviewNo}"`));
    assert.match(page.text, /name="reason" value="superseded"/);
    assert.match(page.text, /id="revoke-submit"/);

    /* the code is required and checked; nothing changes without it */
    let r = await c.post('/center/cert/revoke', { serial: cert.serial, reason: 'keyCompromise' });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'code');
    r = await c.post('/center/cert/revoke', { serial: cert.serial, reason: 'keyCompromise', code: '123456' });
    assert.equal(r.status, 400, 'no code was sent: none is valid');
    assert.equal(r.body.field, 'code');
    const code = await revokeCode(c, cert);
    const wrong = code === '000000' ? '111111' : '000000';
    r = await c.post('/center/cert/revoke', { serial: cert.serial, reason: 'keyCompromise', code: wrong });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'code');
    assert.match(r.body.message, /短信验证码不正确/);
    r = await c.post('/center/cert/revoke', { serial: cert.serial, reason: 'lost', code });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'reason');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${cert.serial}'`), 'issued');
    assert.match(ocspLine(dir, cert), /: good$/);

    /* confirmed: OCSP says revoked at once, with the reason */
    r = await c.post('/center/cert/revoke', { serial: cert.serial, reason: 'keyCompromise', code });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.message, '证书已撤销');
    assert.equal(r.body.revoke_reason_label, '密钥泄露');
    assert.equal(r.body.redirect, '/center/certs');
    assert.deepEqual(r.body.cancelled, [unpaidNo]);
    const q = ocspQuery(dir, cert.ca, cert.serial);
    assert.match(q.line, /: revoked$/, q.out);
    assert.match(q.out, /Reason: keyCompromise/);

    /* the CRL lists it once the CA tick ran (hall-outbox, every 5 s) */
    const crlText = await waitFor('the CRL to list the certificate', async () => {
        const der = Buffer.from(await (await fetch(`${HALL}/pki/${cert.ca}.crl`)).arrayBuffer());
        fs.writeFileSync(path.join(dir, 'now.crl'), der);
        const t = openssl(['crl', '-inform', 'DER', '-in', path.join(dir, 'now.crl'), '-noout', '-text']);
        return t.stdout.includes(`Serial Number: ${cert.serial}`) ? t.stdout : null;
    }, { timeoutMs: 15000 });
    const entry = crlText.slice(crlText.indexOf(`Serial Number: ${cert.serial}`)).split('Serial Number:')[1];
    assert.match(entry, /Key Compromise/);

    /* one SMS to the holder (the account's phone) and one to the agent */
    const holder = await waitFor('the holder\'s SMS', async () => (await revokeTexts(c.phone, cert.serial))[0]);
    assert.match(holder.text, /^【深圳CA】您好，您申请的数字证书（序列号[0-9A-F]{16}）已于\d{4}-\d\d-\d\d \d\d:\d\d:\d\d按您在网上营业厅提交的申请撤销，撤销原因：密钥泄露。/);
    await waitFor('the agent\'s SMS', async () => (await revokeTexts(cert.agent, cert.serial)).length === 1);

    /* the orders: the unpaid one cancelled, the other told; no fee anywhere */
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${unpaid.id}`), 'cancelled');
    assert.equal(psql(`SELECT string_agg(p.status || ' ' || (o.idem_key IS NOT NULL), ',') FROM payments p
        LEFT JOIN outbox o ON o.idem_key = 'pay-close-' || p.id WHERE p.order_id = ${unpaid.id}`), 'closed true',
    'its open trade closed at the gateway');
    /* the paid one is told, not cancelled, when its certificate is revoked */
    r = await c2.post('/center/cert/revoke', { serial: cert2.serial, reason: 'cessationOfOperation',
        code: await revokeCode(c2, cert2) });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.cancelled, []);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${review.id}`), 'review');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${review.id}'
        AND action = 'replaced_cert_revoked'`), '1');
    assert.equal(psql(`SELECT count(*) FROM payments WHERE order_id = ${cert.id}`), '0');
    /* audited: who, what, why */
    assert.equal(psql(`SELECT actor || ' ' || (detail->>'reason') FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${cert.serial}' AND action = 'revoke'`), `user:${psql(`SELECT user_id FROM orders WHERE id = ${cert.id}`)} keyCompromise`);
    const history = await c.get(`/center/order?id=${cert.id}`);
    assert.match(history.text, /证书已撤销（持有人申请）/);

    /* 我的证书: revoked with its reason, no 撤销 any more; a second try refused */
    const after = (await c.getJSON('/center/certs')).body.certs.find((x) => x.serial === cert.serial);
    assert.equal(after.state_label, '已吊销');
    assert.equal(after.revoke_reason_label, '密钥泄露');
    assert.equal(after.actions.some((a) => a.id === 'revoke'), false);
    r = await c.post('/center/cert/revoke/code', { serial: cert.serial });
    assert.equal(r.status, 409);
    assert.match(r.body.message, /已撤销/);
    r = await c.post('/center/cert/revoke', { serial: cert.serial, reason: 'keyCompromise', code });
    assert.equal(r.status, 409);
    const again = await c.get(action.url);
    assert.match(again.text, /id="revoke-closed"/);
});

test('holder_revoke__each_reason_reaches_ocsp_and_the_crl', async () => {
    const op = await operator();
    const c = await applicant();
    const dir = tmpdir();
    await fetchPki(dir);
    const want = { affiliationChanged: 'Affiliation Changed', cessationOfOperation: 'Cessation Of Operation',
        superseded: 'Superseded' };
    const certs = {};
    for (const reason of Object.keys(want)) {
        const cert = await issued(c, op);
        certs[reason] = cert;
        const code = await revokeCode(c, cert);
        const r = await c.post('/center/cert/revoke', { serial: cert.serial, reason, code });
        assert.equal(r.status, 200, r.text);
        const q = ocspQuery(dir, cert.ca, cert.serial);
        assert.match(q.line, /: revoked$/, q.out);
        assert.match(q.out, new RegExp(`Reason: ${reason}`));
    }
    for (const [reason, words] of Object.entries(want)) {
        const cert = certs[reason];
        const text = await waitFor(`the CRL to list ${reason}`, async () => {
            const der = Buffer.from(await (await fetch(`${HALL}/pki/${cert.ca}.crl`)).arrayBuffer());
            fs.writeFileSync(path.join(dir, 'r.crl'), der);
            const t = openssl(['crl', '-inform', 'DER', '-in', path.join(dir, 'r.crl'), '-noout', '-text']);
            return t.stdout.includes(`Serial Number: ${cert.serial}`) ? t.stdout : null;
        }, { timeoutMs: 15000 });
        const entry = text.slice(text.indexOf(`Serial Number: ${cert.serial}`)).split('Serial Number:')[1];
        assert.match(entry, new RegExp(words));
    }
    const labels = (await c.getJSON('/center/certs')).body.certs
        .filter((x) => Object.values(certs).some((k) => k.serial === x.serial)).map((x) => x.revoke_reason_label).sort();
    assert.deepEqual(labels, ['信息变更', '停止使用', '已被替代'].sort());
});

test('holder_revoke__foreign_certificate_refused_404__nothing_leaked__nothing_sent', async () => {
    const op = await operator();
    const owner = await applicant();
    const cert = await issued(owner, op);
    const other = await applicant();
    const subject = psql(`SELECT subject_cn FROM certificates WHERE serial = '${cert.serial}'`);
    const before = [(await smsMessages(owner.phone)).length, (await smsMessages(other.phone)).length];

    const v = await other.getJSON(`/center/cert/revoke?serial=${cert.serial}`);
    assert.equal(v.status, 404);
    assert.match(v.body.message, /未找到该证书/);
    const page = await other.get(`/center/cert/revoke?serial=${cert.serial}`);
    assert.equal(page.status, 404);
    let r = await other.post('/center/cert/revoke/code', { serial: cert.serial });
    assert.equal(r.status, 404);
    r = await other.post('/center/cert/revoke', { serial: cert.serial, reason: 'keyCompromise', code: '123456' });
    assert.equal(r.status, 404);
    for (const body of [JSON.stringify(v.body), page.text, r.text])
        assert.equal(body.includes(subject) || body.includes(cert.orderNo), false, 'nothing of the certificate');
    /* an unknown serial answers the same; a malformed one names the field */
    r = await other.post('/center/cert/revoke/code', { serial: '0000000000000001' });
    assert.equal(r.status, 404);
    r = await other.post('/center/cert/revoke/code', { serial: cert.serial.toLowerCase() });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'serial');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${cert.serial}'`), 'issued');
    await new Promise((ok) => setTimeout(ok, 1500)); /* what the outbox would have sent by now */
    assert.deepEqual([(await smsMessages(owner.phone)).length, (await smsMessages(other.phone)).length], before);
});

test('holder_revoke__four_confirmations_at_once__revoked_once__one_sms_each', async () => {
    const op = await operator();
    const c = await applicant();
    const cert = await issued(c, op);
    const code = await revokeCode(c, cert);
    const answers = await Promise.all(Array.from({ length: 4 }, () => c.post('/center/cert/revoke',
        { serial: cert.serial, reason: 'cessationOfOperation', code })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409, 409], answers.map((a) => a.text).join('\n'));
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'certificate' AND entity_id = '${cert.serial}'
        AND action = 'revoke'`), '1');
    await waitFor('both SMS', async () => (await revokeTexts(c.phone, cert.serial)).length === 1 &&
        (await revokeTexts(cert.agent, cert.serial)).length === 1);
    await new Promise((ok) => setTimeout(ok, 1500));
    assert.equal((await revokeTexts(c.phone, cert.serial)).length, 1);
    assert.equal((await revokeTexts(cert.agent, cert.serial)).length, 1);
});

test('holder_revoke__a_seal_orders_certificate__the_page_names_the_seals_that_stop_being_valid', async () => {
    const op = await operator();
    const c = await applicant();
    await c.get('/seal?project=hall');
    assert.equal((await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const apply = await c.get('/seal/apply?project=hall');
    const key = apply.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const form = {
        ...orgForm(), project: 'hall', submit_key: key,
        org_count: '1', org_years: '1', org_style: 'auto',
        biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    assert.equal((await op.post('/admin/pki/issue', { id })).status, 200);
    /* the 机构章's signer: the order's own certificate */
    const serial = psql(`SELECT s.cert_serial FROM seseals s JOIN seal_items i ON i.id = s.item_id
        WHERE s.order_id = ${id} AND i.kind = 'org'`);
    const esId = psql(`SELECT s.es_id FROM seseals s JOIN seal_items i ON i.id = s.item_id
        WHERE s.order_id = ${id} AND i.kind = 'org'`);

    const v = await c.getJSON(`/center/cert/revoke?serial=${serial}`);
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.deepEqual(v.body.seals.map((x) => [x.kind_label, x.es_id]), [['机构章', esId]]);
    const page = await c.get(`/center/cert/revoke?serial=${serial}`);
    assert.match(page.text, new RegExp(`将随之失效的电子印章[\\s\\S]*机构章 [^<]*（印章编码 ${esId}）`));

    const code = await revokeCode(c, { id, serial });
    const done = await c.post('/center/cert/revoke', { serial, reason: 'cessationOfOperation', code });
    assert.equal(done.status, 200, done.text);
    /* 我的证书 then says the seal is no longer valid */
    const row = (await c.getJSON('/center/certs')).body.certs.find((x) => x.serial === serial);
    assert.equal(row.seals.find((x) => x.es_id === esId).state_label, '无效（签章人证书已吊销）');
});

/* issue 40 §3: a code confirms one action on one certificate.  Before,
 * codes were kept by phone and purpose only, and a code asked for one
 * certificate revoked another of the same account */
test('holder_revoke__code_asked_for_one_certificate__refused_for_another__that_one_still_issued', async () => {
    const op = await operator();
    const c = await applicant();
    const x = await issued(c, op);
    const y = await issued(c, op);
    const code = await revokeCode(c, x);
    let r = await c.post('/center/cert/revoke', { serial: y.serial, reason: 'keyCompromise', code });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'code');
    assert.match(r.body.message, /不是为这张证书获取的/);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${y.serial}'`), 'issued');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'holder_revoke'
        AND detail->>'serial' = '${y.serial}'`), '0');
    /* the code still confirms what it was asked for */
    r = await c.post('/center/cert/revoke', { serial: x.serial, reason: 'keyCompromise', code });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${x.serial}'`), 'revoked');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${y.serial}'`), 'issued');
});

/* the SMS says what the code confirms and of which certificate: not the
 * login text */
test('holder_revoke__sms_code__names_the_revocation_and_the_serial_s_tail__not_the_login_text', async () => {
    const op = await operator();
    const c = await applicant();
    const cert = await issued(c, op);
    const code = await revokeCode(c, cert);
    const msg = (await smsMessages(c.phone)).find((m) => m.text.includes(`验证码是${code}`));
    assert.ok(msg, 'the code\'s SMS');
    assert.ok(!msg.text.includes('您的验证码是'), msg.text);
    assert.ok(msg.text.includes(`撤销证书（序列号尾号${cert.serial.slice(-4)}）`), msg.text);
    assert.match(msg.text, /不能恢复/);
    assert.equal(msg.template_code, 'SMS_480300021');
});
