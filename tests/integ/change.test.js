'use strict';
/*
 * 证书变更 (modules/change on the flow kit) through nginx: 证书选择 of the
 * applicant's own certificate (someone else's refused, nothing leaked),
 * 录入信息 with the certificate's data prefilled, a field the catalogue does
 * not let a change touch refused naming it, the materials that prove the
 * change required, the same form sent twice at once making one order, the
 * reviewer's old-vs-new view, and the new certificate: the new subject
 * (openssl x509), the old one's end of validity, `openssl verify`, and the
 * old certificate revoked as superseded when the new one is issued, not
 * before (OCSP: revoked, Reason: superseded); a seal order's certificate
 * changed re-makes its seals on the new one, under the unit's new name when
 * the change is of the name, a picture the hall drew drawn again with it
 * (before, the stamp kept showing the old name), a cut-out of the
 * applicant's impression kept.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Client, HALL, freshPhone, applicant } = require('./lib/client');
const {
    operator, reviewer, acceptedByTransfer, tmpdir, fetchPki, ocspQuery, psql, orgForm,
    personForm, openssl, staffRevoke, smsTo, pkitool,
} = require('./lib/pki');
const { freshAccount, waitFor, waitStatus, payOnline, confirmTrade, upload } = require('./lib/payflow');
const { sealOrder, impressionScan, fontless, holderMakesKey } = require('./lib/seal');
const { softhsmModule, mediaEnv, mediumOf } = require('./lib/station');
const { makePdf, verifyPdf, stampWith } = require('./lib/stamp');

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);
const ORG = '深圳测试科技有限公司';
const NEW_ORG = '深圳新名测试科技有限公司';

/* an issued certificate of a new applicant (Jieyang's channel) */
async function issuedCert(op, form) {
    const o = await acceptedByTransfer(form ? { form } : {});
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    return { ...o, serial };
}

/* the change form: the certificate's data with extra changed, a fresh account */
function changeForm(o, extra = {}) {
    const f = { ...o.form, bank_account: freshAccount(), ...extra };
    delete f.cert_type;
    delete f.years;
    return { project: 'hall', serial: o.serial, ...f };
}

/* agreements, 证书选择, 录入信息: the form's submit key */
async function toForm(o) {
    const a = await o.c.post('/change/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.redirect, '/change/serial?project=hall');
    const list = await o.c.get('/change/serial?project=hall');
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, new RegExp(`href="/change/serial\\?project=hall&amp;serial=${o.serial}"`),
        'the applicant\'s certificate to choose');
    const s = await o.c.get(`/change/serial?project=hall&serial=${o.serial}`);
    assert.equal(s.status, 200, s.text);
    const next = s.text.match(/id="serial-next" href="([^"]+)"/)[1].replace(/&amp;/g, '&');
    assert.equal(next, `/change/apply?project=hall&serial=${o.serial}`);
    const page = await o.c.get(next);
    assert.equal(page.status, 200, page.text);
    return page;
}

const keyOf = (page) => page.text.match(/name="submit_key" value="([^"]+)"/)[1];

test('change__form_page__current_data_prefilled_fixed_fields_read_only_fee_of_the_product', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const page = await toForm(o);
    assert.match(page.text, new RegExp(`name="org_name" maxlength="100" value="${ORG}"`));
    assert.match(page.text, /name="legal_name" maxlength="30" value="张三"/);
    assert.match(page.text, /name="org_id" maxlength="30" value="91110000600037341L" readonly/);
    assert.match(page.text, /<tr data-field="org_name"><th scope="row">机构名称<\/th><td>深圳测试科技有限公司<\/td><td>可变更<\/td>/);
    assert.match(page.text, /<tr data-field="org_id"><th scope="row">机构证件号码<\/th><td>91110000600037341L<\/td><td>不可变更<\/td>/);
    assert.match(page.text, /id="price-total" data-fen="10000">100\.00元</);
    assert.match(page.text, /id="total-amount">100\.00元</);
});

test('change__field_a_change_may_not_touch__refused_naming_it__nothing_written', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = keyOf(await toForm(o));
    const count = () => psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`);
    let r = await o.c.post('/change/apply', { ...changeForm(o, { org_id: '91440300MA5F000007' }), submit_key: key });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_id');
    assert.match(r.body.message, /证书变更不能修改机构证件号码/);
    /* nothing changed at all */
    r = await o.c.post('/change/apply', { ...changeForm(o), submit_key: key });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.match(r.body.message, /与原证书相同/);
    /* every error at once: the fixed field with bad values elsewhere */
    r = await o.c.post('/change/apply', {
        ...changeForm(o, { org_name: NEW_ORG, bank_account_name: NEW_ORG, org_id: '91440300MA5F000007', agent_email: '12ab' }),
        submit_key: key,
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['agent_email', 'org_id']);
    assert.equal(count(), '0', 'nothing written');

    /* a person's certificate: the name may change, the ID number may not */
    const p = await issuedCert(op, personForm({ app_mobile: freshPhone('136') }));
    const pkey = keyOf(await toForm(p));
    r = await p.c.post('/change/apply', { ...changeForm(p, { app_ric: '110101199003074477' }), submit_key: pkey });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'app_ric');
    assert.match(r.body.message, /证书变更不能修改申请人身份证号码/);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${p.serial}'`), '0');
    r = await p.c.post('/change/apply', { ...changeForm(p, { app_name: '王小五' }), submit_key: pkey });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT business_type || '|' || subject || '|' || cert_type FROM orders
        WHERE reissue_of = '${p.serial}'`), 'change|王小五|person');
    /* a person proves the new name with the new ID card and the 公安机关's certificate */
    const pid = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal((await p.c.post('/change/printed', { id: pid })).status, 200);
    const u = await p.c.post('/change/uploaded', { id: pid });
    assert.equal(u.status, 400);
    assert.deepEqual(u.body.errors.map((e) => e.field), ['application', 'applicant_id', 'change_proof']);
});

test('change__someone_elses_certificate__403_nothing_leaked_nothing_written', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    await toForm(o);
    const other = await issuedCert(op, orgForm({
        org_name: '深圳别家科技有限公司', bank_account_name: '深圳别家科技有限公司',
        invoice_title: '深圳别家科技有限公司', agent_mobile: freshPhone('137'), bank_account: freshAccount(),
    }));
    const s = await o.c.get(`/change/serial?project=hall&serial=${other.serial}`);
    assert.equal(s.status, 403);
    assert.match(s.text, /不是您申请的证书，不能办理证书变更/);
    assert.doesNotMatch(s.text, /cert-subject|serial-next|张三|360426/);
    const j = await o.c.getJSON(`/change/serial?serial=${other.serial}`);
    assert.equal(j.status, 200);
    assert.equal(j.body.cert.own, false);
    assert.equal(j.body.changeable, false);
    assert.equal(j.body.cert.subject, undefined, 'only what the public lookup shows');
    const before = psql(`SELECT count(*) FROM orders WHERE business_type = 'change'`);
    const g = await o.c.get(`/change/apply?project=hall&serial=${other.serial}`);
    assert.equal(g.status, 403);
    assert.doesNotMatch(g.text, /深圳别家科技有限公司|360426199101010071/);
    const p = await o.c.post('/change/apply', changeForm(other, { org_name: NEW_ORG, bank_account_name: NEW_ORG }));
    assert.equal(p.status, 403, p.text);
    assert.equal(p.body.field, 'serial');
    assert.equal(psql(`SELECT count(*) FROM orders WHERE business_type = 'change'`), before, 'nothing written');
    /* another's change order: its print page is nobody else's */
    const ok = await other.c.post('/change/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(ok.status, 200);
    const op2 = await other.c.get(`/change/apply?project=hall&serial=${other.serial}`);
    const made = await other.c.post('/change/apply', {
        ...changeForm(other, { legal_name: '钱七' }), submit_key: keyOf(op2),
    });
    assert.equal(made.status, 200, made.text);
    const id = made.body.redirect.match(/id=(\d+)/)[1];
    const peek = await o.c.get(`/change/print?id=${id}`);
    assert.equal(peek.status, 404);
    assert.doesNotMatch(peek.text, /钱七|深圳别家/);
});

test('change__same_form_twice_in_parallel__one_order__another_form_409', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = keyOf(await toForm(o));
    const form = { ...changeForm(o, { org_name: NEW_ORG, bank_account_name: NEW_ORG }), submit_key: key };
    const rs = await Promise.all([1, 2, 3].map(() => o.c.post('/change/apply', form)));
    for (const r of rs)
        assert.equal(r.status, 200, r.text);
    assert.equal(new Set(rs.map((r) => r.body.redirect)).size, 1);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`), '1');
    /* two different forms at once for another certificate: one order, one 409 */
    const o2 = await issuedCert(op);
    const k1 = keyOf(await toForm(o2));
    const k2 = keyOf(await o2.c.get(`/change/apply?project=hall&serial=${o2.serial}`));
    const f2 = changeForm(o2, { legal_name: '孙八' });
    const two = await Promise.all([k1, k2].map((k) => o2.c.post('/change/apply', { ...f2, submit_key: k })));
    assert.deepEqual(two.map((r) => r.status).sort(), [200, 409], two.map((r) => r.text).join());
    assert.match(two.find((r) => r.status === 409).body.message, /正在办理中/);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o2.serial}'`), '1');
});

/* the phone's OCR and liveness for the agent of the form */
async function identity(c, id, form) {
    const page = await c.get(`/change/identity?id=${id}`);
    assert.equal(page.status, 200, page.text);
    const href = page.text.match(/href="([^"]*\/change\/m\/verify\?t=[^"]+)"/)[1].replace(/&amp;/g, '&');
    const t = new URL(href, HALL).searchParams.get('t');
    const phone = new Client();
    assert.equal((await phone.get(`/change/m/verify?t=${t}`)).status, 200);
    let r = await phone.postMultipart('/change/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    r = await phone.postMultipart('/change/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    const st = await c.getJSON(`/change/identity/status?id=${id}`);
    assert.equal(st.body.status, 'passed');
}

test('change__whole_path__new_subject_old_end__old_revoked_as_superseded_only_at_issuance', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await issuedCert(op);
    const key = keyOf(await toForm(o));
    const form = {
        ...changeForm(o, { org_name: NEW_ORG, bank_account_name: NEW_ORG, invoice_title: NEW_ORG, legal_name: '赵六' }),
        submit_key: key,
    };
    const r = await o.c.post('/change/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/^\/change\/print\?id=(\d+)$/)[1]);
    assert.equal(psql(`SELECT business_type || '|' || reissue_of || '|' || amount_fen || '|' || subject
        FROM orders WHERE id = ${id}`), `change|${o.serial}|10000|${NEW_ORG}`);

    /* 变更事项 on the printed form: what changes, old and new */
    const pr = await o.c.get(`/change/print?id=${id}`);
    assert.equal(pr.status, 200);
    assert.match(pr.text, /证书变更申请表/);
    assert.match(pr.text, new RegExp(`<tr data-field="org_name"><th scope="row">机构名称</th><td class="before">${ORG}</td><td class="after">${NEW_ORG}</td>`));
    assert.match(pr.text, /<tr data-field="legal_name"><th scope="row">法人姓名<\/th><td class="before">张三<\/td><td class="after">赵六<\/td>/);
    assert.doesNotMatch(pr.text, /<tr data-field="org_id">/, 'only what changes');
    assert.equal((await o.c.post('/change/printed', { id })).status, 200);

    /* the materials that prove the change, all named when missing */
    const up = await o.c.get(`/change/upload?id=${id}`);
    assert.match(up.text, /变更证明材料/);
    let u = await o.c.post('/change/uploaded', { id });
    assert.equal(u.status, 400);
    assert.deepEqual(u.body.errors.map((e) => e.field), ['application', 'license', 'change_proof']);
    for (const [kind, data] of [['application', JPEG], ['license', PDF], ['change_proof', PDF]]) {
        const x = await o.c.postMultipart('/change/upload', { id, kind }, { file: { name: `${kind}.pdf`, data } });
        assert.equal(x.status, 200, `${kind}: ${x.text}`);
    }
    u = await o.c.post('/change/uploaded', { id });
    assert.equal(u.status, 200, u.text);
    await identity(o.c, id, form);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');

    /* the fee shown is the fee charged; the unit was proven by the first
     * order, so no micro-deposit: to review (core/flow/replace.c) */
    const pay = await o.c.get(`/pay?id=${id}`);
    assert.equal(pay.status, 200);
    assert.match(pay.text, /id="amount">100\.00元</);
    await confirmTrade(await payOnline(o.c, id, 'wechat'));
    await waitStatus(id, 'review');
    assert.equal(psql(`SELECT method || '|' || amount_fen FROM payments WHERE order_id = ${id} AND status = 'paid'`),
        'wechat|10000');

    /* the reviewer: old and new side by side */
    const view = await rv.getJSON(`/admin/order?id=${id}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.change.serial, o.serial);
    const row = (n) => view.body.change.rows.find((x) => x.name === n);
    assert.deepEqual([row('org_name').before, row('org_name').after, row('org_name').changed], [ORG, NEW_ORG, true]);
    assert.equal(row('org_id').changed, false);
    assert.equal(view.body.change.count, 2);
    const html = await rv.get(`/admin/order?id=${id}`);
    assert.match(html.text, /变更对照/);

    /* not revoked before the new certificate exists */
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${o.serial}'`), 'issued');
    const a = await rv.post('/admin/order/approve', { id });
    assert.equal(a.status, 200, a.text);
    /* from the approval on: the old one is revoked exactly when the new one
     * is issued, by the operator's production (none without it, sql/162) */
    await waitFor('accepted', () => psql(`SELECT status FROM orders WHERE id = ${id}`) === 'accepted');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${o.serial}'`), 'issued');
    const made = await op.post('/admin/pki/issue', { id });
    assert.equal(made.status, 200, made.text);
    await waitFor('the new certificate', () => {
        const [old, fresh] = psql(`SELECT (SELECT state FROM certificates WHERE serial = '${o.serial}')
            || '|' || (SELECT count(*) FROM certificates WHERE order_id = ${id} AND state = 'issued')`).split('|');
        assert.ok((old === 'issued' && fresh === '0') || (old === 'revoked' && fresh === '1'), `${old} ${fresh}`);
        return fresh === '1';
    });
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'issued');
    const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);
    assert.equal(psql(`SELECT o.revoke_reason || '|' || (o.revoked_at = n.issued_at) || '|'
        || (o.not_after = n.not_after) FROM certificates o, certificates n
        WHERE o.serial = '${o.serial}' AND n.serial = '${fresh}'`), '4|true|true',
    'superseded, in the transaction that issued the new one, which ends when the old one did');

    const dir = tmpdir();
    try {
        await fetchPki(dir);
        const leaf = path.join(dir, 'new.pem');
        const der = await fetch(`${HALL}/center/cert/download?serial=${fresh}&format=der`,
            { headers: { Cookie: o.c.cookieHeader() } });
        assert.equal(der.status, 200);
        fs.writeFileSync(path.join(dir, 'new.der'), Buffer.from(await der.arrayBuffer()));
        assert.equal(openssl(['x509', '-inform', 'DER', '-in', path.join(dir, 'new.der'), '-out', leaf]).status, 0);
        const subj = openssl(['x509', '-in', leaf, '-noout', '-subject', '-enddate', '-nameopt', 'utf8,sep_multiline']).stdout;
        assert.match(subj, new RegExp(`CN=${NEW_ORG}`), subj);
        assert.match(subj, new RegExp(`O=${NEW_ORG}`), subj);
        assert.doesNotMatch(subj, new RegExp(`=${ORG}$`, 'm'));
        const v = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'ecc.crt'), leaf]);
        assert.equal(v.status, 0, v.stderr + v.stdout);
        let q = ocspQuery(dir, 'ecc', o.serial);
        assert.ok(q.verified, q.out);
        assert.match(q.line, /: revoked$/, q.out);
        assert.match(q.out, /Reason: superseded/, q.out);
        q = ocspQuery(dir, 'ecc', fresh);
        assert.ok(q.verified, q.out);
        assert.match(q.line, /: good$/, q.out);
        /* the original order says what became of its certificate: its
         * download is gone (410, not 404 证书尚未制作), its page names the
         * revocation and the certificate that replaced it */
        const gone = await o.c.getJSON(`/pki/medium?id=${o.id}`);
        assert.equal(gone.status, 410, JSON.stringify(gone.body));
        assert.match(gone.body.message, new RegExp(`^该业务单的证书已于\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}吊销（已被替代），新证书为 ${fresh}，不能再下载$`));
        const page = await o.c.get(`/center/order?id=${o.id}`);
        assert.match(page.text, new RegExp(`id="cert-revoked" class="err">证书已于[^<]*吊销（已被替代），新证书为 ${fresh}<`));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('change__channels__listed_where_sold__my_certificates_link__refused_where_not', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const home = await o.c.get('/');
    assert.match(home.text, /<a href="\/change\/notice" id="biz-change">证书变更<\/a>/);
    const jy = await o.c.get('/jieyang/');
    assert.match(jy.text, /<a href="\/jieyang\/change\/notice" id="biz-change">证书变更<\/a>/);
    const n = await o.c.get('/jieyang/change/notice');
    assert.equal(n.status, 200);
    assert.match(n.text, /证书变更 · 操作提示/);
    assert.match(n.text, /href="\/jieyang\/change\?project=jieyang"/);
    /* Jieyang's own product and price */
    assert.equal((await o.c.post('/jieyang/change/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await o.c.get(`/jieyang/change/apply?project=jieyang&serial=${o.serial}`);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /id="total-amount">100\.00元</);
    /* a partner that does not sell it: no link, a typed path refused before any form */
    const gz = await o.c.get('/gzmg/');
    assert.doesNotMatch(gz.text, /biz-change/);
    const refused = await o.c.get('/gzmg/change/notice');
    assert.equal(refused.status, 404);
    assert.match(refused.text, /该项目暂不办理证书变更业务/);
    /* 我的证书: 变更 for the valid certificate, gone once an order claims it */
    const certs = await o.c.getJSON('/center/certs');
    const mine = certs.body.certs.find((x) => x.serial === o.serial);
    const act = mine.actions.find((x) => x.id === 'change');
    assert.ok(act, JSON.stringify(mine.actions));
    assert.equal(act.label, '变更');
    assert.equal(act.url, `/change/notice?project=jieyang&serial=${o.serial}`);
    const key = keyOf(await toForm(o));
    const made = await o.c.post('/change/apply', { ...changeForm(o, { legal_name: '周九' }), submit_key: key });
    assert.equal(made.status, 200, made.text);
    const after = await o.c.getJSON('/center/certs');
    assert.equal(after.body.certs.find((x) => x.serial === o.serial).actions.find((x) => x.id === 'change'), undefined);
});

test('change__rejected_order__edited_for_the_same_certificate__its_own_claim_kept', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await issuedCert(op);
    const key = keyOf(await toForm(o));
    const made = await o.c.post('/change/apply', {
        ...changeForm(o, { org_name: NEW_ORG, bank_account_name: NEW_ORG }), submit_key: key,
    });
    assert.equal(made.status, 200, made.text);
    const id = Number(made.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'review', step = 'pay', submitted_at = now(),
        review_due = current_date + 3 WHERE id = ${id}`);
    const rej = await rv.post('/admin/order/reject', { id, reason: '营业执照与变更后名称不符' });
    assert.equal(rej.status, 200, rej.text);
    /* 我的业务单 leads back to the form */
    const list = await o.c.getJSON('/center/orders');
    const row = list.body.orders.find((x) => x.id === String(id));
    assert.equal(row.business, '证书变更');
    assert.deepEqual(row.actions.find((x) => x.label === '编辑'), { label: '编辑', url: `/change/apply?id=${id}` });
    /* the form of the rejected order: its own data, the reason, the certificate */
    const page = await o.c.get(`/change/apply?id=${id}`);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /审核驳回原因：营业执照与变更后名称不符/);
    assert.match(page.text, new RegExp(`name="org_name" maxlength="100" value="${NEW_ORG}"`));
    assert.match(page.text, new RegExp(`<tr data-field="org_name"><th scope="row">机构名称</th><td>${ORG}</td>`));
    /* another certificate cannot be put on it; the corrected name is saved */
    const other = await o.c.post('/change/apply', {
        ...changeForm(o, { org_name: '深圳再改名科技有限公司', bank_account_name: '深圳再改名科技有限公司' }),
        id, serial: '0000000000000001',
    });
    assert.equal(other.status, 409, other.text);
    assert.equal(other.body.field, 'serial');
    const r = await o.c.post('/change/apply', {
        ...changeForm(o, { org_name: '深圳再改名科技有限公司', bank_account_name: '深圳再改名科技有限公司' }), id,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, `/change/print?id=${id}`);
    assert.equal(psql(`SELECT subject || '|' || reissue_of || '|' || status FROM orders WHERE id = ${id}`),
        `深圳再改名科技有限公司|${o.serial}|rejected`);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`), '1');
});

/* ---- a seal order's certificate: its seals follow it -------------------------- */

async function produce(op, id) {
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    /* no certificate is made without the operator (sql/162) */
    const r = await op.post('/admin/pki/issue', { id });
    assert.equal(r.status, 200, r.text);
    return { message: r.body.message, serial: psql(`SELECT serial FROM certificates WHERE order_id = ${id}
        AND state = 'issued' AND seal_item_id IS NULL`) };
}

test('change__a_seal_order_s_certificate__its_seals_re_made_on_the_new_one_the_old_superseded', async () => {
    const op = await operator();
    const c = await applicant();
    const s = await sealOrder(c, {
        org_count: '1', org_years: '2', org_style: 'auto', biz_count: '0', person_count: '0',
    }, { agent_mobile: freshPhone('137') });
    const old = (await produce(op, s.id)).serial;
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE cert_serial = '${old}' AND state = 'valid'`), '1',
        'the 机构章 is signed by the order\'s certificate');
    const o = { c, serial: old, form: orgForm({ agent_mobile: s.form.agent_mobile }) };
    const key = keyOf(await toForm(o));
    const r = await c.post('/change/apply', { ...changeForm(o, { legal_name: '钱七' }), submit_key: key });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${old}'`), 'issued');
    const made = await produce(op, id);
    assert.match(made.message, /原证书 [0-9A-F]{16} 已吊销（已被替代）/);
    assert.match(made.message, /原证书的电子印章已随新证书重新制作 1 枚/);
    assert.equal(psql(`SELECT state || '|' || revoke_reason FROM certificates WHERE serial = '${old}'`), 'revoked|4');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE cert_serial = '${old}' AND state = 'replaced'`), '1');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE cert_serial = '${made.serial}' AND state = 'valid'`), '1',
        'the seal re-made on the new certificate');
});

/* a seal as the verifier (/seal/verify) reads it from its SESeal: its name
 * and its picture (the PNG) */
async function sealSeen(esId) {
    const der = Buffer.from(psql(`SELECT encode(der, 'base64') FROM seseals WHERE es_id = '${esId}'`)
        .replace(/\s/g, ''), 'base64');
    const v = new Client();
    await v.get('/seal/verify');
    const r = await v.postMultipart('/seal/verify', {}, { seseal: { name: 'x.seseal', data: der } });
    assert.equal(r.status, 200, r.text);
    const pic = r.body.result.picture.match(/^data:image\/png;base64,(.+)$/);
    assert.ok(pic, 'the seal shows its picture');
    return { name: r.body.result.name, picture: Buffer.from(pic[1], 'base64') };
}

/* what the hall draws for a 机构章 of org (the 签章信息 form's preview) */
async function drawn(c, org) {
    const r = await fetch(`${HALL}/seal/preview?kind=org&org=${encodeURIComponent(org)}`,
        { headers: { Cookie: c.cookieHeader(), Accept: 'image/png' } });
    assert.equal(r.status, 200);
    return Buffer.from(await r.arrayBuffer());
}

/* a seal order with one 机构章 in style, produced, its certificate changed to
 * the unit's new name and produced: the old seal and its re-made one */
async function renamedSeal(style, before) {
    const op = await operator();
    const c = await applicant();
    const s = await sealOrder(c, {
        org_count: '1', org_years: '2', org_style: style, biz_count: '0', person_count: '0',
    }, { agent_mobile: freshPhone('137') });
    if (before)
        await before(c, s);
    const old = (await produce(op, s.id)).serial;
    const oldEs = psql(`SELECT es_id FROM seseals WHERE cert_serial = '${old}' AND state = 'valid'`);
    const was = await sealSeen(oldEs);
    assert.equal(was.name, ORG);
    const o = { c, serial: old, form: orgForm({ agent_mobile: s.form.agent_mobile }) };
    const key = keyOf(await toForm(o));
    const r = await c.post('/change/apply', {
        ...changeForm(o, { org_name: NEW_ORG, bank_account_name: NEW_ORG, invoice_title: NEW_ORG }),
        submit_key: key,
    });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    const made = await produce(op, id);
    assert.match(made.message, /原证书的电子印章已随新证书重新制作 1 枚/);
    assert.equal(psql(`SELECT subject_org FROM certificates WHERE serial = '${made.serial}'`), NEW_ORG);
    const newEs = psql(`SELECT es_id FROM seseals WHERE cert_serial = '${made.serial}' AND state = 'valid'`);
    assert.match(newEs, /^SZCA\d{12}O00R01$/);
    const now = await sealSeen(newEs);
    /* the new seal is the unit's under its new name; the old one keeps the old */
    assert.equal(now.name, NEW_ORG);
    const still = await sealSeen(oldEs);
    assert.equal(still.name, ORG);
    assert.ok(still.picture.equals(was.picture), 'the old seal is as it was');
    return { c, s, was, now };
}

test('change__the_unit_s_name__the_seals_re_made_on_the_new_certificate_carry_the_new_name_and_a_picture_drawn_with_it', async () => {
    const { c, was, now } = await renamedSeal('auto');
    /* the hall drew the picture (工具自动生成): drawn again with the new
     * name, as the hall draws a 机构章 of the new name; before, the stamp
     * kept showing the old name */
    assert.ok(was.picture.equals(await drawn(c, ORG)), 'the old seal shows the old name');
    assert.ok(!now.picture.equals(was.picture), 'the re-made seal has a new picture');
    assert.ok(now.picture.equals(await drawn(c, NEW_ORG)), 'the re-made seal shows the new name');
});

test('change__the_unit_s_name__a_seal_cut_out_of_the_applicant_s_impression_keeps_its_picture', async () => {
    const { s, was, now } = await renamedSeal('cutout', async (c, so) => {
        const org = so.items['org:0'];
        await c.get(`/seal/attachment?id=${so.id}`);
        assert.equal((await upload(c, '/seal/impression', { id: org },
            { bytes: impressionScan(), name: 's.png' }, { field: 'impression' })).status, 200);
        assert.equal((await c.post('/seal/impression/confirm', { id: org })).status, 200);
    });
    const cut = Buffer.from(psql(`SELECT encode(image_png, 'hex') FROM seal_items WHERE id = ${s.items['org:0']}`), 'hex');
    assert.ok(was.picture.equals(cut), 'the seal shows the cut-out');
    assert.ok(now.picture.equals(cut), 'the re-made seal keeps the applicant\'s own picture');
});

/* a new 机构名称 the re-made seals cannot carry (longer than the arc's 30
 * characters): refused at the form, field and all, where before the order
 * was accepted and production failed, the order stuck 已受理 */
test('change__the_unit_s_name_too_long_for_its_drawn_seals__refused_at_submit_and_save__nothing_changed', async () => {
    const op = await operator();
    const c = await applicant();
    const s = await sealOrder(c, {
        org_count: '1', org_years: '2', org_style: 'auto', biz_count: '0', person_count: '0',
    }, { agent_mobile: freshPhone('137') });
    const old = (await produce(op, s.id)).serial;
    const o = { c, serial: old, form: orgForm({ agent_mobile: s.form.agent_mobile }) };
    const long = '深圳' + '新'.repeat(23) + '科技有限公司'; /* 31 characters */
    const fits = long.slice(1); /* 30 */
    assert.equal([...long].length, 31);
    const named = (n) => ({ org_name: n, bank_account_name: n, invoice_title: n });
    const orders = () => psql(`SELECT count(*) FROM orders WHERE reissue_of = '${old}'`);
    const key = keyOf(await toForm(o));
    let r = await c.post('/change/apply', { ...changeForm(o, named(long)), submit_key: key });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.match(r.body.message, /变更后的机构名称无法绘制在本证书的电子印章上（机构名称最多 30 个字）/);
    assert.equal(orders(), '0', 'no order');
    /* the save of an order already there: refused the same, the order as it was */
    r = await c.post('/change/apply', { ...changeForm(o, { legal_name: '钱七' }), submit_key: key });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    r = await c.post('/change/apply', { ...changeForm(o, named(long)), id });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.equal(psql(`SELECT subject FROM orders WHERE id = ${id}`), ORG);
    /* 30 characters fit the arc */
    r = await c.post('/change/apply', { ...changeForm(o, named(fits)), id });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT subject FROM orders WHERE id = ${id}`), fits);
    assert.equal(orders(), '1');
});

/* a new 机构名称 of 30 characters or fewer with a character no installed
 * font draws (a rare 生僻字 beyond the seal font): refused at the form,
 * naming the field and the character, where before the order was accepted
 * and the re-made seal's drawing failed at production */
test('change__the_unit_s_name_with_a_character_the_seal_font_lacks__refused_at_submit_and_save__nothing_changed', async () => {
    const op = await operator();
    const c = await applicant();
    const s = await sealOrder(c, {
        org_count: '1', org_years: '2', org_style: 'auto', biz_count: '0', person_count: '0',
    }, { agent_mobile: freshPhone('137') });
    const old = (await produce(op, s.id)).serial;
    const o = { c, serial: old, form: orgForm({ agent_mobile: s.form.agent_mobile }) };
    const ch = fontless();
    const rare = `深圳${ch}新科技有限公司`;
    assert.ok([...rare].length <= 30, 'the length fits the arc');
    const named = (n) => ({ org_name: n, bank_account_name: n, invoice_title: n });
    const orders = () => psql(`SELECT count(*) FROM orders WHERE reissue_of = '${old}'`);
    const key = keyOf(await toForm(o));
    let r = await c.post('/change/apply', { ...changeForm(o, named(rare)), submit_key: key });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.equal(r.body.message,
        `变更后的机构名称中的“${ch}”字无法绘制在本证书的电子印章上（印章字库中没有这个字），请核对机构名称`);
    assert.equal(orders(), '0', 'no order');
    /* the save of an order already there: refused the same, the order as it was */
    r = await c.post('/change/apply', { ...changeForm(o, { legal_name: '钱七' }), submit_key: key });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    const rev = psql(`SELECT form_rev FROM orders WHERE id = ${id}`);
    r = await c.post('/change/apply', { ...changeForm(o, named(rare)), id });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.equal(psql(`SELECT subject || '|' || form_rev FROM orders WHERE id = ${id}`), `${ORG}|${rev}`);
    /* the same name in characters the font has goes through */
    r = await c.post('/change/apply', { ...changeForm(o, named('深圳新科技有限公司')), id });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT subject FROM orders WHERE id = ${id}`), '深圳新科技有限公司');
});

/* a change under review whose certificate was revoked meanwhile (its holder's
 * 撤销 or the operator's 吊销): the approval is refused with the reason and
 * changes nothing, instead of an accepted order production cannot make */
test('change__original_revoked_while_under_review__approval_refused__order_stays_in_review', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await issuedCert(op);
    const form = { ...changeForm(o, { legal_name: '赵六' }), submit_key: keyOf(await toForm(o)) };
    const r = await o.c.post('/change/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/^\/change\/print\?id=(\d+)$/)[1]);
    assert.equal((await o.c.post('/change/printed', { id })).status, 200);
    for (const [kind, data] of [['application', JPEG], ['license', PDF], ['change_proof', PDF]]) {
        const x = await o.c.postMultipart('/change/upload', { id, kind }, { file: { name: `${kind}.pdf`, data } });
        assert.equal(x.status, 200, `${kind}: ${x.text}`);
    }
    assert.equal((await o.c.post('/change/uploaded', { id })).status, 200);
    await identity(o.c, id, form);
    await confirmTrade(await payOnline(o.c, id, 'wechat'));
    await waitStatus(id, 'review');

    const rev = await staffRevoke(o.serial, 'keyCompromise', op);
    assert.equal(rev.status, 200, rev.text);
    const a = await rv.post('/admin/order/approve', { id });
    assert.equal(a.status, 409, a.text);
    assert.match(a.body.message, /原证书已吊销，不能办理，请驳回该业务单/);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'review');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id}`), '0');
    /* the reviewer can still reject it, and the money goes back by the usual path */
    const j = await rv.post('/admin/order/reject', { id, reason: '原证书已吊销，无法变更' });
    assert.equal(j.status, 200, j.text);
});

/* ---- the unit renamed: its 机构业务章, each on a certificate of its own ------- */

/* a seal order of the unit with a 机构章, two 业务章 (one drawn, one cut out
 * of the applicant's impression) and a 个人章, produced */
async function producedUnitSeals(op) {
    const c = await applicant();
    const s = await sealOrder(c, {
        org_count: '1', org_years: '2', org_style: 'auto',
        biz_count: '2', biz_years: '2', biz_1_name: '合同专用章', biz_1_style: 'auto',
        biz_2_name: '财务专用章', biz_2_style: 'cutout',
        person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
        person_1_style: 'auto', person_1_mobile: freshPhone('135'),
    }, { agent_mobile: freshPhone('137') });
    const cut = s.items['org_business:2'];
    await c.get(`/seal/attachment?id=${s.id}`);
    assert.equal((await upload(c, '/seal/impression', { id: cut },
        { bytes: impressionScan(), name: 's.png' }, { field: 'impression' })).status, 200);
    assert.equal((await c.post('/seal/impression/confirm', { id: cut })).status, 200);
    const old = (await produce(op, s.id)).serial;
    /* the 个人章's key, made by its holder (sql/159) */
    await holderMakesKey(s.form.person_1_mobile, tmpdir());
    const seal = (item) => {
        const [es, cert] = psql(`SELECT es_id || '|' || cert_serial FROM seseals WHERE item_id = ${item}
            AND state = 'valid'`).split('|');
        return { item, es, cert };
    };
    return {
        c, s, old, biz: [seal(s.items['org_business:1']), seal(cut)], person: seal(s.items['org_person:1']),
    };
}

/* the change of the unit's name, saved: the change order's id */
async function renameOrder(u) {
    const o = { c: u.c, serial: u.old, form: orgForm({ agent_mobile: u.s.form.agent_mobile }) };
    const r = await u.c.post('/change/apply', {
        ...changeForm(o, { org_name: NEW_ORG, bank_account_name: NEW_ORG, invoice_title: NEW_ORG }),
        submit_key: keyOf(await toForm(o)),
    });
    assert.equal(r.status, 200, r.text);
    return Number(r.body.redirect.match(/id=(\d+)/)[1]);
}

/* production by three 制作证书 clicks at once: one production, the others
 * 409 */
async function produceRacing(op, id) {
    const clicks = await Promise.all([1, 2, 3].map(() => op.post('/admin/pki/issue', { id })));
    assert.ok(clicks.every((r) => [200, 409].includes(r.status)), clicks.map((r) => r.text).join());
    assert.equal(clicks.filter((r) => r.status === 200).length, 1, clicks.map((r) => r.text).join());
    await waitFor('the change produced', () => psql(`SELECT status FROM orders WHERE id = ${id}`) === 'issued');
    const won = clicks.find((r) => r.status === 200);
    return { message: won ? won.body.message : null, serial: psql(`SELECT serial FROM certificates
        WHERE order_id = ${id} AND state = 'issued' AND seal_item_id IS NULL`) };
}

async function verified(der) {
    const v = new Client();
    await v.get('/seal/verify');
    const r = await v.postMultipart('/seal/verify', {}, { seseal: { name: 'x.seseal', data: der } });
    assert.equal(r.status, 200, r.text);
    return r.body.result;
}

const sealDer = (es) => Buffer.from(psql(`SELECT encode(der, 'hex') FROM seseals WHERE es_id = '${es}'`), 'hex');

/* each 业务章 made once more, on a new certificate of its own naming the new
 * unit, its key born on the change's USB key; the old seal 已替换, its old
 * certificate revoked as superseded */
async function assertRenamed(u, id, made) {
    const dir = tmpdir();
    try {
        await fetchPki(dir);
        for (const [n, b] of u.biz.entries()) {
            const name = n === 0 ? '合同专用章' : '财务专用章';
            assert.equal(psql(`SELECT count(*) FROM seseals WHERE item_id = ${b.item}`), '2', 'made once');
            const [es, cert, state] = psql(`SELECT es_id || '|' || cert_serial || '|' || state FROM seseals
                WHERE item_id = ${b.item} AND es_id <> '${b.es}'`).split('|');
            assert.equal(es, `${b.es}R01`);
            assert.equal(state, 'valid');
            assert.notEqual(cert, b.cert, 'a new certificate of its own');
            assert.notEqual(cert, made.serial, 'not the unit\'s certificate');
            assert.equal(psql(`SELECT state || '|' || replaced_by FROM seseals WHERE es_id = '${b.es}'`),
                `replaced|${es}`);
            /* the new certificate: the seal's, the new name, the old one's CA and end */
            assert.equal(psql(`SELECT c.seal_item_id || '|' || c.order_id || '|' || c.state || '|' ||
                (c.ca = o.ca) || '|' || (c.not_after = o.not_after) || '|' || c.subject_org
                FROM certificates c, certificates o WHERE c.serial = '${cert}' AND o.serial = '${b.cert}'`),
                `${b.item}|${id}|issued|true|true|${NEW_ORG}`);
            const ca = psql(`SELECT ca FROM certificates WHERE serial = '${cert}'`);
            fs.writeFileSync(path.join(dir, 'b.der'), Buffer.from(psql(`SELECT encode(der, 'hex')
                FROM certificates WHERE serial = '${cert}'`), 'hex'));
            const subj = openssl(['x509', '-inform', 'DER', '-in', path.join(dir, 'b.der'), '-noout', '-subject',
                '-nameopt', 'utf8,sep_multiline']).stdout;
            assert.match(subj, new RegExp(`CN=${NEW_ORG}${name}$`, 'm'), subj);
            assert.match(subj, new RegExp(`O=${NEW_ORG}$`, 'm'), subj);
            assert.doesNotMatch(subj, new RegExp(ORG), subj);
            /* the old one: revoked, superseded, at the new one's issuance */
            assert.equal(psql(`SELECT state || '|' || revoke_reason || '|' || (revoked_at = (SELECT issued_at
                FROM certificates WHERE serial = '${cert}')) FROM certificates WHERE serial = '${b.cert}'`),
                'revoked|4|true');
            let q = ocspQuery(dir, ca, b.cert);
            assert.ok(q.verified, q.out);
            assert.match(q.line, /: revoked$/, q.out);
            assert.match(q.out, /Reason: superseded/, q.out);
            q = ocspQuery(dir, ca, cert);
            assert.match(q.line, /: good$/, q.out);
            /* the verifier: the new seal valid under the new name, listing the new certificate */
            const now = await verified(sealDer(es));
            assert.equal(now.valid, true, JSON.stringify(now.problems));
            assert.equal(now.name, `${NEW_ORG}${name}`);
            assert.equal(now.signers[0].serial, cert);
            assert.equal(now.signers[0].state_label, '证书有效');
            const was = await verified(sealDer(b.es));
            assert.equal(was.valid, false);
            assert.equal(was.seal_state, 'replaced');
            assert.equal(was.name, `${ORG}${name}`);
            assert.ok(was.problems.some((p) => p.includes('替换') && p.includes(es)), JSON.stringify(was.problems));
            const pic = (r) => Buffer.from(r.picture.replace(/^data:image\/png;base64,/, ''), 'base64');
            if (n === 0) {
                /* drawn by the hall: drawn again with the new name */
                const r = await fetch(`${HALL}/seal/preview?kind=org_business&org=${encodeURIComponent(NEW_ORG)}`
                    + `&name=${encodeURIComponent(name)}`, { headers: { Cookie: u.c.cookieHeader() } });
                assert.equal(r.status, 200);
                assert.ok(pic(now).equals(Buffer.from(await r.arrayBuffer())), 'the picture shows the new name');
                assert.ok(!pic(now).equals(pic(was)));
            } else {
                assert.ok(pic(now).equals(pic(was)), 'the applicant\'s cut-out kept');
            }
            /* issue 64 §4: the new key born on the USB key the change was
             * produced onto, beside the unit's, never in the hall: no PKCS#12
             * to hand over, the proof of possession checked; a stamp with it
             * (hall-stamp, the medium's key labelled with the new seal's code,
             * the change's PIN) verifies */
            const usb = mediumOf(id);
            assert.equal(psql(`SELECT key_origin || '|' || coalesce(medium_serial, '') || '|' || (p12_enc IS NULL)
                FROM certificates WHERE serial = '${cert}'`), `medium|${usb}|true`);
            assert.equal(psql(`SELECT (detail->>'key_origin') || '|' || (detail->>'pop') || '|' || (detail->>'medium')
                FROM audit_log WHERE entity = 'certificate' AND entity_id = '${cert}' AND action = 'issue'`),
            `medium|checked|${usb}`);
            const m = await fetch(`${HALL}/seal/medium?id=${b.item}`,
                { headers: { Cookie: u.c.cookieHeader(), Accept: 'application/json' } });
            assert.equal(m.status, 410, 'no file of the key to hand over');
            const pin = (await smsTo(u.s.form.agent_mobile, new RegExp(`序列号${made.serial}`)))
                .match(/PIN码为：(\d+)/)[1];
            const who = { seal: path.join(dir, 'new.seseal'), env: mediaEnv(),
                signer: ['--pkcs11-module', softhsmModule(), '--token', usb, '--key-label', es,
                    '--chain', path.join(dir, 'ecc.crt')] };
            fs.writeFileSync(who.seal, sealDer(es));
            const stamped = await verifyPdf(stampWith(makePdf({ text: `${name} renamed` }), who, pin,
                { x: 120, y: 200 }));
            assert.equal(stamped.status, 200, stamped.text);
            const st = stamped.body.result.stamps[0];
            assert.equal(st.state, '有效', JSON.stringify(st));
            assert.equal(st.seal.es_id, es);
            assert.equal(st.signer.serial, cert);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    /* the 个人章 is its holder's name: as it was */
    assert.equal(psql(`SELECT es_id || '|' || cert_serial FROM seseals WHERE item_id = ${u.person.item}
        AND state = 'valid'`), `${u.person.es}|${u.person.cert}`);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${u.person.cert}'`), 'issued');
    /* nothing left being made, nothing twice */
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id} AND state = 'intent'`), '0');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id} AND state = 'issued'`), '3');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'seseal' AND action = 'replace'
        AND entity_id IN ('${u.biz[0].es}', '${u.biz[1].es}')`), '2');
    /* 我的电子印章: the new seals valid, the old ones 已替换 */
    const page = await u.c.get(`/seal/seals?id=${u.s.id}`);
    assert.equal(page.status, 200);
    const changeNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    for (const b of u.biz) {
        const row = (page.text.match(/<tr[\s\S]*?<\/tr>/g) || []).find((r) => r.includes(`>${b.es}<`));
        assert.match(row || '', /已替换/);
        const cur = (page.text.match(/<tr[\s\S]*?<\/tr>/g) || []).find((r) => r.includes(`>${b.es}R01<`));
        assert.match(cur || '', /有效（至/);
        /* its key on the change's USB key, which the change's envelope and PIN go with */
        assert.match(cur, new RegExp(`印章证书的密钥在业务单 ${changeNo} 的USB Key（介质 ${mediumOf(id)}）中生成，`
            + '随该业务单的信封寄送，凭该业务单的PIN码使用'));
        assert.doesNotMatch(cur, /PKCS#12/);
    }
}

test('change__the_unit_s_name__each_business_seal_on_a_new_certificate_of_its_own_with_the_new_name__old_superseded__once', async () => {
    const op = await operator();
    const u = await producedUnitSeals(op);
    const id = await renameOrder(u);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    /* before, the 业务章 kept the old name on a certificate naming the old unit */
    const made = await produceRacing(op, id);
    if (made.message !== null) {
        assert.match(made.message, /原证书的电子印章已随新证书重新制作 1 枚/);
        assert.match(made.message, /机构业务章 2 枚已以新机构名称换发印章证书并重新制作/);
    }
    await assertRenamed(u, id, made);
    assert.equal((await op.post('/admin/pki/issue', { id })).status, 409);
});

test('change__the_unit_s_name__producer_killed_after_signing__business_seals_made_once_on_the_next_run', async () => {
    const op = await operator();
    const u = await producedUnitSeals(op);
    const id = await renameOrder(u);
    /* kept from the outbox's auto-issue while the test kills the producer:
     * the product of the seal order, which production does not read for a
     * change (the old certificate's CA, the form's subject) */
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1,
        product_id = (SELECT product_id FROM orders WHERE id = ${u.s.id}) WHERE id = ${id}`);
    const killed = pkitool(['issue', String(id)], { HALL_PKI_FAULT: 'after_sign' });
    assert.equal(killed.status, 70, killed.stderr);
    /* intents only: the unit's certificate and each 业务章's; nothing replaced or revoked */
    assert.equal(psql(`SELECT count(*) FILTER (WHERE state = 'intent') || '|' || count(*) FILTER (WHERE
        seal_item_id IS NOT NULL) FROM certificates WHERE order_id = ${id}`), '3|2');
    for (const b of u.biz) {
        assert.equal(psql(`SELECT state FROM seseals WHERE es_id = '${b.es}'`), 'valid');
        assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${b.cert}'`), 'issued');
    }
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${u.old}'`), 'issued');
    /* the medium left half-made is wiped, then the dead intents voided */
    const wiped = pkitool(['media-reconcile', '0']);
    assert.equal(wiped.status, 0, wiped.stderr);
    assert.match(wiped.stdout, /^1 half-made medium\(s\) wiped/);
    const rec = pkitool(['reconcile']);
    assert.equal(rec.status, 0, rec.stderr);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id} AND state = 'void'`), '3');
    const made = await produceRacing(op, id);
    await assertRenamed(u, id, made);
});

/* issue 40 §3: the new 机构名称 goes into the new certificate's subject: a
 * character no registered name has is refused at 变更 as at entry, naming
 * the field and the character, at submit and at the save of an order
 * already there; nothing written */
test('change__the_unit_s_name_with_a_quote_or_braces__refused_at_submit_and_save_naming_it__nothing_changed', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const key = keyOf(await toForm(o));
    const orders = () => psql(`SELECT count(*) FROM orders WHERE reissue_of = '${o.serial}'`);
    const named = (n) => ({ org_name: n, bank_account_name: n, invoice_title: NEW_ORG });
    let r = await o.c.post('/change/apply', { ...changeForm(o, named('" autofocus onfocus="alert(43)')), submit_key: key });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.match(r.body.message, /机构名称不能含有“"”/);
    assert.equal(orders(), '0', 'no order');
    r = await o.c.post('/change/apply', { ...changeForm(o, named('{{7*7}}新名测试科技有限公司')), submit_key: key });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.match(r.body.message, /机构名称不能含有“\{”/);
    assert.equal(orders(), '0', 'no order');
    /* an order already there: its save refused the same, the order as it was */
    r = await o.c.post('/change/apply', { ...changeForm(o, named(NEW_ORG)), submit_key: key });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    r = await o.c.post('/change/apply', { ...changeForm(o, named('深圳新名\'测试科技有限公司')), id });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.match(r.body.message, /机构名称不能含有“'”/);
    assert.equal(psql(`SELECT subject FROM orders WHERE id = ${id}`), NEW_ORG);
});
