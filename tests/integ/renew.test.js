'use strict';
/*
 * 证书更新 (modules/renew, docs/modules/renew.md) through nginx: the window
 * (30 days before the end until 30 after it), the certificate's order's
 * data confirmed, the years and their price, one order per certificate
 * whatever the replacing type (two forms at once, the same form twice), a
 * foreign certificate refused with nothing leaked, and production: the same
 * subject, a new key, notBefore = the old notAfter before expiry (now
 * after), notAfter = notBefore + the years (openssl x509), the old
 * certificate still good in OCSP, the new one verifying; a seal order's
 * certificate renewed re-makes its seals on the new one.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Client, HALL, applicant, freshPhone } = require('./lib/client');
const {
    operator, reviewer, acceptedByTransfer, tmpdir, fetchPki, ocspQuery, psql, orgForm, personForm, openssl,
    smsTo, staffRevoke,
} = require('./lib/pki');
const { waitFor, waitStatus, payOnline, confirmTrade } = require('./lib/payflow');
const { mediumOf, openMedium } = require('./lib/station');

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);

const ORG = '深圳测试科技有限公司';

/* an issued organisation certificate of a new applicant, its end moved to
 * `end` (an SQL expression) as if issued a year before */
async function issuedCert(op, end = "now() + interval '10 days'") {
    const o = await acceptedByTransfer({ project: 'hall' });
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    moveEnd(serial, end);
    return { ...o, serial };
}

function moveEnd(serial, end) {
    psql(`UPDATE certificates SET not_after = date_trunc('second', ${end}),
        not_before = date_trunc('second', ${end}) - interval '1 year' WHERE serial = '${serial}'`);
}

function renewForm(serial, extra = {}) {
    const f = orgForm(extra);
    delete f.cert_type;
    delete f.bank_account_name;
    delete f.bank_branch_id;
    delete f.bank_account;
    return { project: 'hall', serial, years: '1', ...f };
}

/* notice, agreements, serial page, form page: the submit key */
async function toForm(o, serial = o.serial) {
    const n = await o.c.get('/renew/notice');
    assert.equal(n.status, 200);
    assert.match(n.text, /期满前一个月内/);
    const a = await o.c.post('/renew/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.redirect, '/renew/serial?project=hall');
    const s = await o.c.get(`/renew/serial?project=hall&serial=${serial}`);
    assert.equal(s.status, 200, s.text);
    const next = s.text.match(/id="serial-next" href="([^"]+)"/)[1].replace(/&amp;/g, '&');
    assert.equal(next, `/renew/apply?project=hall&serial=${serial}`);
    const page = await o.c.get(next);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, new RegExp(`name="org_name" maxlength="100" value="${ORG}"`), 'the certificate\'s order\'s data');
    /* 证书费 380 a year: a USB key is renewed on the same medium, no 介质费 (sql/176) */
    assert.match(page.text, /name="years" value="2"[^>]*>2年（760\.00元）/, 'the years with the product\'s price');
    return page.text.match(/name="submit_key" value="([^"]+)"/)[1];
}

async function submit(o, key, extra = {}) {
    const r = await o.c.post('/renew/apply', { ...renewForm(o.serial, extra), submit_key: key });
    assert.equal(r.status, 200, r.text);
    return Number(r.body.redirect.match(/^\/renew\/print\?id=(\d+)$/)[1]);
}

/* accepted (as staff would), then made by the operator: the new serial */
async function produce(op, id) {
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    /* no certificate is made without the operator (sql/162) */
    const r = await op.post('/admin/pki/issue', { id });
    assert.equal(r.status, 200, r.text);
    return psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'
        AND seal_item_id IS NULL`);
}

function certFile(dir, serial) {
    const f = path.join(dir, `${serial}.der`);
    fs.writeFileSync(f, Buffer.from(psql(`SELECT encode(der, 'base64') FROM certificates
        WHERE serial = '${serial}'`).replace(/\s/g, ''), 'base64'));
    return f;
}

/* openssl x509's dates of a certificate, as epoch seconds */
function x509Dates(file) {
    const r = openssl(['x509', '-inform', 'DER', '-in', file, '-noout', '-startdate', '-enddate', '-subject']);
    assert.equal(r.status, 0, r.stderr);
    const nb = Date.parse(r.stdout.match(/notBefore=(.+)/)[1]) / 1000;
    const na = Date.parse(r.stdout.match(/notAfter=(.+)/)[1]) / 1000;
    return { nb, na, subject: r.stdout.match(/subject=(.+)/)[1] };
}

function epoch(serial, col) {
    return Number(psql(`SELECT extract(epoch FROM ${col})::bigint FROM certificates WHERE serial = '${serial}'`));
}

function verify(dir, file) {
    const pem = path.join(dir, 'new.pem');
    assert.equal(openssl(['x509', '-inform', 'DER', '-in', file, '-out', pem]).status, 0);
    const r = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'ecc.crt'),
        '-attime', String(Math.max(Math.floor(Date.now() / 1000), x509Dates(file).nb + 60)), pem]);
    return `${r.stdout}${r.stderr}`;
}

test('renew__before_expiry__new_key_same_subject__starts_at_the_old_end__old_stays_good', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const id = await submit(o, key, { years: '2' });
    assert.match(psql(`SELECT order_no FROM orders WHERE id = ${id}`), /^U\d{14}$/, 'order numbers U…');
    assert.equal(psql(`SELECT business_type || ':' || reissue_of || ':' || years || ':' || cert_fen
        FROM orders WHERE id = ${id}`), `renew:${o.serial}:2:76000`);
    const print = await o.c.get(`/renew/print?id=${id}`);
    assert.equal(print.status, 200);
    assert.match(print.text, new RegExp(`id="print-serial">${o.serial}<`));
    assert.match(print.text, /证书更新申请表/);

    const serial = await produce(op, id);
    assert.notEqual(serial, o.serial);
    const dir = tmpdir();
    await fetchPki(dir);
    const oldFile = certFile(dir, o.serial), newFile = certFile(dir, serial);
    const d = x509Dates(newFile);
    assert.equal(d.nb, epoch(o.serial, 'not_after'), 'the new notBefore equals the old notAfter');
    const na = new Date(d.nb * 1000);
    na.setUTCFullYear(na.getUTCFullYear() + 2);
    assert.ok(Math.abs(d.na - na.getTime() / 1000) <= 86400, `notAfter = notBefore + 2 years: ${d.na} ${na}`);
    assert.equal(d.subject, x509Dates(oldFile).subject, 'the same subject');
    const pub = (f) => openssl(['x509', '-inform', 'DER', '-in', f, '-noout', '-pubkey']).stdout;
    assert.notEqual(pub(newFile), pub(oldFile), 'a new key pair');
    assert.match(verify(dir, newFile), /OK/);
    /* the old one stays valid until it ends: not revoked */
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${o.serial}'`), 'issued');
    assert.match(ocspQuery(dir, 'ecc', o.serial).line, /: good/);
    assert.match(ocspQuery(dir, 'ecc', serial).line, /: good/);
});

test('renew__after_expiry__starts_now', async () => {
    const op = await operator();
    const o = await issuedCert(op, "now() - interval '5 days'");
    const key = await toForm(o);
    const id = await submit(o, key);
    const before = Math.floor(Date.now() / 1000);
    const serial = await produce(op, id);
    const dir = tmpdir();
    await fetchPki(dir);
    const d = x509Dates(certFile(dir, serial));
    assert.ok(d.nb >= before - 2 && d.nb <= before + 60, `notBefore now: ${d.nb} vs ${before}`);
    assert.ok(d.nb > epoch(o.serial, 'not_after'));
    const na = new Date(d.nb * 1000);
    na.setUTCFullYear(na.getUTCFullYear() + 1);
    assert.ok(Math.abs(d.na - na.getTime() / 1000) <= 86400);
    assert.match(verify(dir, certFile(dir, serial)), /OK/);
});

test('renew__outside_the_window__refused_with_the_dates__nothing_written', async () => {
    const op = await operator();
    const o = await issuedCert(op, "now() + interval '60 days'");
    await o.c.post('/renew/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    const count = () => psql(`SELECT count(*) FROM orders WHERE business_type = 'renew' AND user_id =
        (SELECT user_id FROM orders WHERE id = ${o.id})`);
    let r = await o.c.get(`/renew/serial?project=hall&serial=${o.serial}`);
    assert.equal(r.status, 409);
    assert.match(r.text, /id="serial-error" role="alert">该证书有效期至\d{4}-\d\d-\d\d，证书更新可在到期前30天内办理（自\d{4}-\d\d-\d\d起）/);
    assert.doesNotMatch(r.text, /serial-next/);
    assert.match(r.text, /未到更新期/, 'the list says why');
    r = await o.c.get(`/renew/apply?project=hall&serial=${o.serial}`);
    assert.equal(r.status, 409);
    let p = await o.c.post('/renew/apply', renewForm(o.serial));
    assert.equal(p.status, 409);
    assert.equal(p.body.field, 'serial');
    assert.match(p.body.message, /到期前30天内/);
    /* 40 days after the end: too late */
    moveEnd(o.serial, "now() - interval '40 days'");
    r = await o.c.get(`/renew/serial?project=hall&serial=${o.serial}`);
    assert.equal(r.status, 409);
    assert.match(r.text, /该证书已于\d{4}-\d\d-\d\d过期，过期后30天内（至\d{4}-\d\d-\d\d）可办理证书更新/);
    p = await o.c.post('/renew/apply', renewForm(o.serial));
    assert.equal(p.status, 409);
    assert.match(p.body.message, /请办理证书新办/);
    assert.equal(count(), '0', 'nothing written');
    /* revoked: refused too */
    moveEnd(o.serial, "now() + interval '3 days'");
    assert.equal((await staffRevoke(o.serial, 'keyCompromise', op)).status, 200);
    p = await o.c.post('/renew/apply', renewForm(o.serial));
    assert.equal(p.status, 409);
    assert.match(p.body.message, /已吊销，不能办理证书更新/);
    assert.equal(count(), '0');
});

test('renew__foreign_certificate__403_nothing_leaked_nothing_written', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const other = await issuedCert(op);
    await o.c.post('/renew/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    const before = psql(`SELECT count(*) FROM orders WHERE business_type = 'renew'`);
    const page = await o.c.get(`/renew/serial?project=hall&serial=${other.serial}`);
    assert.equal(page.status, 403);
    assert.match(page.text, /不是您申请的证书，不能办理证书更新/);
    assert.doesNotMatch(page.text, /cert-subject|serial-next|李四|91110000600037341L/);
    const g = await o.c.get(`/renew/apply?project=hall&serial=${other.serial}`);
    assert.equal(g.status, 403);
    assert.doesNotMatch(g.text, /李四|13900139000/);
    const p = await o.c.post('/renew/apply', renewForm(other.serial));
    assert.equal(p.status, 403);
    assert.equal(p.body.field, 'serial');
    const j = await o.c.getJSON(`/renew/serial?project=hall&serial=${other.serial}`);
    assert.equal(j.status, 403);
    assert.equal(j.body.cert, undefined, 'no details in the JSON');
    /* anonymous: the login, not the certificate */
    assert.notEqual((await (await applicant()).get(`/renew/apply?project=hall&serial=${other.serial}`)).status, 200);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE business_type = 'renew'`), before);
});

test('renew__same_form_twice_at_once_one_order__another_type_finds_the_claim', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const form = { ...renewForm(o.serial), submit_key: key };
    const rs = await Promise.all([1, 2, 3].map(() => o.c.post('/renew/apply', form)));
    for (const r of rs)
        assert.equal(r.status, 200, r.text);
    assert.equal(new Set(rs.map((r) => r.body.redirect)).size, 1);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`), '1');
    /* back later: 证书选择 leads to that order, and so does 我的业务单 */
    const id = rs[0].body.redirect.match(/id=(\d+)/)[1];
    const back = await o.c.get(`/renew/serial?project=hall&serial=${o.serial}`);
    assert.equal(back.status, 409);
    assert.match(back.text, new RegExp(`id="serial-continue" href="/renew/apply\\?id=${id}"`));
    const mine = (await o.c.getJSON('/center/orders')).body.orders.find((x) => String(x.id) === id);
    assert.deepEqual(mine.actions.map((a) => `${a.label} ${a.url}`),
        [`查看 /center/order?id=${id}`, `继续办理 /renew/print?id=${id}`, `编辑 /renew/apply?id=${id}`]);
    /* two different forms at once: one order, the other told why */
    const o2 = await issuedCert(op);
    const k1 = await toForm(o2);
    const k2 = (await o2.c.get(`/renew/apply?project=hall&serial=${o2.serial}`)).text
        .match(/name="submit_key" value="([^"]+)"/)[1];
    const two = await Promise.all([k1, k2].map((k) =>
        o2.c.post('/renew/apply', { ...renewForm(o2.serial), submit_key: k })));
    assert.deepEqual(two.map((r) => r.status).sort(), [200, 409], two.map((r) => r.text).join('\n'));
    assert.match(two.find((r) => r.status === 409).body.message, /申请正在办理中，办结或取消之前不能办理证书更新/);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o2.serial}'`), '1');
    /* another replacing type: 补办 and 解锁 of the same certificate refused */
    await o.c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    const re = await o.c.get(`/reissue/serial?project=hall&serial=${o.serial}`);
    assert.equal(re.status, 409);
    await o.c.post('/unlock/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    const un = await o.c.get(`/unlock/serial?project=hall&serial=${o.serial}`);
    assert.equal(un.status, 409);
    assert.match(un.text, /该证书已有证书更新申请正在办理中，办结或取消之前不能办理证书解锁/);
});

test('renew__subject_fields_stay_the_certificate_s__all_errors_at_once', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const r = await o.c.post('/renew/apply', {
        ...renewForm(o.serial, { org_name: '另一家科技有限公司', agent_mobile: '1', agent_email: 'abc' }),
        years: '9', submit_key: key,
    });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['agent_email', 'agent_mobile', 'org_name', 'years']);
    assert.match(r.body.errors.find((e) => e.field === 'org_name').message,
        /机构名称须与原证书一致（深圳测试科技有限公司）；信息已变更的，请办理证书变更/);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`), '0');
});

test('renew__a_person_s_certificate__the_id_number_stays__never_echoed', async () => {
    const op = await operator();
    const f = personForm({ app_mobile: freshPhone('137') });
    const o = await acceptedByTransfer({ project: 'hall', form: f });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    moveEnd(serial, "now() + interval '5 days'");
    await o.c.post('/renew/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    const page = await o.c.get(`/renew/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    const key = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const form = { ...f, project: 'hall', serial, years: '1', submit_key: key };
    delete form.cert_type;
    const other = '412723199010050012';
    let r = await o.c.post('/renew/apply', { ...form, app_ric: other });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'app_ric');
    assert.match(r.body.message, /^申请人身份证号码须与原证书一致；信息已变更的，请办理证书变更$/);
    assert.doesNotMatch(r.text, /44011320141005001/, 'the number is not echoed');
    r = await o.c.post('/renew/apply', { ...form, app_name: '王六' });
    assert.equal(r.body.field, 'app_name');
    assert.match(r.body.message, /申请人姓名须与原证书一致（王五）/);
    r = await o.c.post('/renew/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT cert_fen FROM orders WHERE id = ${id}`), '14000',
        '自然人证书 140元/年: 证书新办 240 less the 介质费, the USB key renewed in place (sql/176)');
});

test('renew__my_certificates_offers_renew_within_the_window_only', async () => {
    const op = await operator();
    const o = await issuedCert(op, "now() + interval '200 days'");
    const list = async () => (await o.c.getJSON('/center/certs')).body.certs.find((x) => x.serial === o.serial);
    let c = await list();
    assert.ok(!c.actions.some((a) => a.id === 'renew'), 'not yet');
    assert.ok(c.actions.some((a) => a.id === 'unlock' && a.url === `/unlock/serial?project=hall&serial=${o.serial}`));
    moveEnd(o.serial, "now() + interval '20 days'");
    c = await list();
    assert.equal(c.state, 'expiring');
    /* through 更新's 操作提示, the certificate carried on */
    assert.equal(c.actions.find((a) => a.id === 'renew').url, `/renew/notice?project=hall&serial=${o.serial}`);
    moveEnd(o.serial, "now() - interval '20 days'");
    c = await list();
    assert.equal(c.state, 'expired');
    assert.ok(c.actions.some((a) => a.id === 'renew'), 'expired, within 30 days');
    assert.ok(!c.actions.some((a) => a.id === 'unlock'), 'an expired certificate is not unlocked');
    moveEnd(o.serial, "now() - interval '31 days'");
    c = await list();
    assert.ok(!c.actions.some((a) => a.id === 'renew'), 'too late');
});

/* the phone's OCR and liveness for the agent of the form */
async function identity(c, id, form) {
    const page = await c.get(`/renew/identity?id=${id}`);
    assert.equal(page.status, 200, page.text);
    const href = page.text.match(/href="([^"]*\/renew\/m\/verify\?t=[^"]+)"/)[1].replace(/&amp;/g, '&');
    const t = new URL(href, HALL).searchParams.get('t');
    const phone = new Client();
    assert.equal((await phone.get(`/renew/m/verify?t=${t}`)).status, 200);
    let r = await phone.postMultipart('/renew/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    r = await phone.postMultipart('/renew/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    const st = await c.getJSON(`/renew/identity/status?id=${id}`);
    assert.equal(st.body.status, 'passed');
}

test('renew__whole_path__print_upload_identity_wechat_review__operator_produces__pin_by_sms', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await issuedCert(op);
    const key = await toForm(o);
    const phone = freshPhone('137');
    const form = { ...renewForm(o.serial, { agent_mobile: phone }), submit_key: key };
    const r = await o.c.post('/renew/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/^\/renew\/print\?id=(\d+)$/)[1]);
    assert.equal((await o.c.post('/renew/printed', { id })).body.redirect, `/renew/upload?id=${id}`);
    const up = await o.c.get(`/renew/upload?id=${id}`);
    assert.match(up.text, /申请表扫描件/);
    assert.match(up.text, /营业执照扫描件/);
    for (const [kind, data] of [['application', JPEG], ['license', PDF]]) {
        const x = await o.c.postMultipart('/renew/upload', { id, kind }, { file: { name: `${kind}.jpg`, data } });
        assert.equal(x.status, 200, `${kind}: ${x.text}`);
    }
    const u = await o.c.post('/renew/uploaded', { id });
    assert.equal(u.body.redirect, `/renew/identity?id=${id}`, u.text);
    await identity(o.c, id, form);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');
    const pay = await o.c.get(`/pay?id=${id}`);
    assert.match(pay.text, /id="amount">380\.00元</);
    const bar = pay.text.match(/<ol class="steps"[^>]*>([\s\S]*?)<\/ol>/)[1];
    assert.deepEqual([...bar.matchAll(/<li[^>]*>([^<]+)/g)].map((m) => m[1]), ['证书更新介绍', '阅读协议',
        '证书选择', '确认信息', '打印申请表', '上传资料', '在线认证', '在线支付']);
    await confirmTrade(await payOnline(o.c, id, 'wechat'));
    /* the holder was proven by the certificate's order: to review, no deposit */
    await waitStatus(id, 'review');
    const view = await rv.getJSON(`/admin/order?id=${id}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.fields.find((f) => f.name === 'reissue_serial').value, o.serial,
        'the reviewer sees which certificate is renewed');
    const html = await rv.get(`/admin/order?id=${id}`);
    assert.match(html.text, /证书更新/);
    assert.equal((await rv.post('/admin/order/approve', { id })).status, 200);
    /* 成功受理: made at the production station (nothing is made without
     * the operator, sql/162) */
    await waitFor('accepted', () => psql(`SELECT status FROM orders WHERE id = ${id}`) === 'accepted');
    const made = await op.post('/admin/pki/issue', { id });
    assert.equal(made.status, 200, made.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${o.serial}'`), 'issued', 'the old stays');
    const pin = (await smsTo(phone, new RegExp(`序列号${serial}.*PIN码为：(\\d{8})`))).match(/PIN码为：(\d{8})/)[1];
    /* no file to download: the key was born on the USB key, which the PIN opens */
    assert.equal((await o.c.get(`/pki/medium?id=${id}`)).status, 410);
    const opened = openMedium(mediumOf(id), pin);
    assert.equal(opened.status, 0, opened.out);
    assert.match(opened.key || '', /Private Key Object; EC/);
});

/* ---- a seal order's certificate: its seals follow it -------------------------- */

const CHOICES = {
    org_count: '1', org_years: '2', org_style: 'auto',
    biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto',
    person_count: '0',
    app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
};

test('renew__a_seal_order_s_certificate__its_seals_re_made_on_the_new_one', async () => {
    const op = await operator();
    const c = await applicant();
    await c.get('/seal?project=hall');
    assert.equal((await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await c.get('/seal/apply?project=hall');
    const sk = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const sf = { ...orgForm(), ...CHOICES, project: 'hall', submit_key: sk };
    delete sf.years;
    const r = await c.post('/seal/apply', sf);
    assert.equal(r.status, 200, r.text);
    const sid = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    const old = await produce(op, sid);
    moveEnd(old, "now() + interval '10 days'");
    const signed = psql(`SELECT count(*) FROM seseals WHERE cert_serial = '${old}' AND state = 'valid'`);
    assert.equal(signed, '1', 'the 机构章 is signed by the order\'s certificate');
    const o = { c, serial: old };
    const key = await toForm(o);
    const id = await submit(o, key);
    const serial = await produce(op, id);
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE cert_serial = '${old}' AND state = 'replaced'`), '1');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE cert_serial = '${serial}' AND state = 'valid'`), '1',
        'the seal re-made on the new certificate');
});
