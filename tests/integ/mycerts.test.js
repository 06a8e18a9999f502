'use strict';
/*
 * 我的证书 (modules/center, issue 24): every certificate the applicant's
 * orders produced with its state (有效 / 即将到期 / 已过期 / 已吊销 with reason
 * and time / 制作中) and the actions of that state; the certificate and its
 * chain as PEM, DER and P7B (public parts only, the owner only); the reissue
 * page's list of one's certificates; the public lookup by 机构名称 + 统一社会
 * 信用代码.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Client, HALL, applicant } = require('./lib/client');
const { operator, tmpdir, openssl, psql, orgForm, staffRevoke } = require('./lib/pki');
const { unpaidOrder, freshAccount } = require('./lib/payflow');

const USCC_ALPHA = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const HANZI = '零一二三四五六七八九';

/* a unit of its own: a name nobody else uses and a valid 统一社会信用代码 */
function freshUnit() {
    const n = String(Date.now() % 1e8).padStart(8, '0') + String(Math.floor(Math.random() * 1e3)).padStart(3, '0');
    const name = `深圳${[...n].map((d) => HANZI[d]).join('')}科技有限公司`;
    const body = `91440300${n.slice(-9)}`;
    const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum = 0;
    for (let i = 0; i < 17; i++)
        sum += USCC_ALPHA.indexOf(body[i]) * w[i];
    return { name, code: body + USCC_ALPHA[(31 - (sum % 31)) % 31] };
}

function unitForm(unit) {
    return orgForm({
        org_name: unit.name, org_id: unit.code, bank_account_name: unit.name, invoice_title: unit.name,
        invoice_taxid: unit.code, bank_account: freshAccount(),
    });
}

/* an order of c's, accepted by SQL (the transfer path), then made by the operator */
async function issued(c, op, form) {
    const o = await unpaidOrder(c, { form });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${o.id}`);
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    return { id: o.id, serial, orderNo: psql(`SELECT order_no FROM orders WHERE id = ${o.id}`) };
}

/* a name as openssl prints it by default: each non-ASCII byte escaped */
const esc = (s) => [...Buffer.from(s)].map((b) => `\\${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

async function bytes(c, p) {
    const r = await fetch(`${HALL}${p}`, { headers: { Cookie: c.cookieHeader(), Accept: '*/*' } });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type'),
        disposition: r.headers.get('content-disposition') || '' };
}

test('mycerts__owner_sees_every_certificate_with_its_state_and_actions', async () => {
    const op = await operator();
    const c = await applicant();
    const unit = freshUnit();
    const valid = await issued(c, op, unitForm(unit));
    const expiring = await issued(c, op, unitForm(unit));
    const expired = await issued(c, op, unitForm(unit));
    const revoked = await issued(c, op, unitForm(unit));
    /* 即将到期: 10 days left; 已过期: ended yesterday */
    psql(`UPDATE certificates SET not_after = now() + interval '10 days' WHERE serial = '${expiring.serial}'`);
    psql(`UPDATE certificates SET not_before = now() - interval '400 days', not_after = now() - interval '1 day'
        WHERE serial = '${expired.serial}'`);
    const rv = await staffRevoke(revoked.serial, 'keyCompromise', op);
    assert.equal(rv.status, 200, rv.text);
    /* 制作中: accepted, not made yet */
    const waiting = await unpaidOrder(c, { form: unitForm(unit) });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${waiting.id}`);

    const r = await c.getJSON('/center/certs');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const by = Object.fromEntries(r.body.certs.map((x) => [x.serial, x]));
    assert.equal(r.body.certs.length, 5, 'four certificates and the one being made, nobody else\'s');
    assert.equal(by[valid.serial].state_label, '有效');
    assert.equal(by[expiring.serial].state_label, '即将到期');
    assert.equal(by[expired.serial].state_label, '已过期');
    assert.equal(by[revoked.serial].state_label, '已吊销');
    assert.equal(by[revoked.serial].revoke_reason_label, '密钥泄露');
    /* the revocation's time, in Beijing time */
    const bj = psql(`SELECT to_char(revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')
        FROM certificates WHERE serial = '${revoked.serial}'`);
    assert.equal(by[revoked.serial].revoked_at, bj);
    const making = r.body.certs.find((x) => x.serial === '');
    assert.equal(making.state_label, '制作中');
    assert.equal(Number(making.order_id), waiting.id);
    assert.deepEqual(making.actions, [], 'nothing to download or reissue yet');

    const v = by[valid.serial];
    assert.equal(v.order_no, valid.orderNo);
    assert.equal(v.subject, unit.name);
    assert.equal(v.cert_type_label, '机构证书');
    assert.match(v.ca_label, /^(ECDSA|SM2)$/);
    assert.match(v.not_before, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const labels = (x) => x.actions.map((a) => a.label);
    assert.deepEqual(labels(v), ['补办', '变更', '下载证书（PEM）', '下载证书（DER）', '下载证书链（P7B）', '撤销']);
    assert.equal(v.actions[0].url, `/reissue/serial?project=jieyang&serial=${valid.serial}`);
    /* 变更 begins with its 操作提示, the certificate carried on */
    assert.equal(v.actions[1].url, `/change/notice?project=jieyang&serial=${valid.serial}`);
    assert.deepEqual(labels(by[expiring.serial]), labels(v), 'still valid: 补办, 变更 and 撤销 too');
    /* expired or revoked: no 补办, 变更 or 撤销 (the flows refuse them), the files still */
    for (const s of [expired.serial, revoked.serial])
        assert.deepEqual(labels(by[s]), ['下载证书（PEM）', '下载证书（DER）', '下载证书链（P7B）']);

    /* the page: the menu entry, copyable serials, no link to a flow that does not exist yet */
    const page = await c.get('/center/certs');
    assert.equal(page.status, 200);
    assert.match(page.text, /id="menu-certs"/);
    assert.match(page.text, new RegExp(`<code class="serial" id="serial-${valid.serial}">${valid.serial}</code>`));
    assert.match(page.text, new RegExp(`data-copy="serial-${valid.serial}"`));
    assert.match(page.text, new RegExp(`${bj} 吊销（密钥泄露）`));
    assert.match(page.text, new RegExp(`href="/change/notice\\?project=jieyang&amp;serial=${valid.serial}"`));
    assert.doesNotMatch(page.text, />(更新|解锁)</);
    assert.match(page.text, new RegExp(`href="/center/cert/revoke\\?serial=${valid.serial}" class="cert-revoke">撤销<`));
    assert.match(page.text, /待分配/);
    /* another applicant sees none of them */
    const other = await applicant();
    const o = await other.getJSON('/center/certs');
    assert.equal(o.status, 200);
    assert.deepEqual(o.body.certs, []);
    /* not logged in: the login page, no list */
    const anon = await new Client().get('/center/certs');
    assert.notEqual(anon.status, 200);
    assert.doesNotMatch(anon.text, new RegExp(valid.serial));
});

test('mycerts__downloads_are_the_certificate_and_its_chain__owner_only__no_key', async () => {
    const op = await operator();
    const c = await applicant();
    const unit = freshUnit();
    const cert = await issued(c, op, unitForm(unit));
    const dir = tmpdir();
    const url = (f, s = cert.serial) => `/center/cert/download?serial=${s}&format=${f}`;

    const pem = await bytes(c, url('pem'));
    assert.equal(pem.status, 200);
    assert.match(pem.disposition, new RegExp(`${cert.serial}\\.pem`));
    const text = pem.body.toString();
    assert.equal((text.match(/-----BEGIN CERTIFICATE-----/g) || []).length, 3, 'certificate, issuing CA, root');
    assert.doesNotMatch(text, /PRIVATE KEY/);
    fs.writeFileSync(path.join(dir, 'all.pem'), text);
    const x = openssl(['x509', '-in', path.join(dir, 'all.pem'), '-noout', '-serial', '-subject']);
    assert.equal(x.status, 0, x.stderr);
    assert.match(x.stdout, new RegExp(`serial=${cert.serial}`));
    assert.equal(x.stdout.includes(`CN = ${esc(unit.name)}`), true, x.stdout);

    const der = await bytes(c, url('der'));
    assert.equal(der.status, 200);
    assert.equal(der.type, 'application/pkix-cert');
    fs.writeFileSync(path.join(dir, 'c.cer'), der.body);
    const d = openssl(['x509', '-inform', 'DER', '-in', path.join(dir, 'c.cer'), '-noout', '-serial']);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, new RegExp(`serial=${cert.serial}`));
    assert.equal(der.body.equals(Buffer.from(psql(`SELECT encode(der, 'hex') FROM certificates
        WHERE serial = '${cert.serial}'`), 'hex')), true, 'the certificate as signed');

    const p7 = await bytes(c, url('p7b'));
    assert.equal(p7.status, 200);
    fs.writeFileSync(path.join(dir, 'c.p7b'), p7.body);
    const p = openssl(['pkcs7', '-inform', 'DER', '-in', path.join(dir, 'c.p7b'), '-print_certs', '-noout']);
    assert.equal(p.status, 0, p.stderr);
    const subjects = p.stdout.split('\n').filter((l) => l.startsWith('subject='));
    assert.equal(subjects.length, 3, p.stdout);
    assert.equal(subjects[0].includes(`CN = ${esc(unit.name)}`), true, subjects[0]);
    /* the chain: each certificate's issuer is the next one's subject */
    const issuers = p.stdout.split('\n').filter((l) => l.startsWith('issuer='));
    assert.equal(issuers[0].slice(7), subjects[1].slice(8));
    assert.equal(issuers[1].slice(7), subjects[2].slice(8));
    assert.equal(issuers[2].slice(7), subjects[2].slice(8), 'the root signs itself');

    /* someone else's serial answers as an unknown one, with nothing of it */
    const other = await applicant();
    for (const f of ['pem', 'der', 'p7b']) {
        const r = await bytes(other, url(f));
        assert.equal(r.status, 404, f);
        const body = r.body.toString();
        assert.match(JSON.parse(body).message, /未找到该证书/);
        assert.doesNotMatch(body, new RegExp(`${unit.name}|BEGIN|${cert.orderNo}`));
    }
    const unknown = await bytes(c, url('pem', '0000000000000001'));
    assert.equal(unknown.status, 404);
    /* a bad format or serial: 400 naming the field */
    let r = await bytes(c, url('p12'));
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body.toString()).field, 'format');
    r = await bytes(c, url('pem', cert.serial.toLowerCase()));
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body.toString()).field, 'serial');
});

test('mycerts__a_chain_that_cannot_be_made_is_the_halls_fault__500_not_busy', async () => {
    const op = await operator();
    const c = await applicant();
    const cert = await issued(c, op, unitForm(freshUnit()));
    const url = (f) => `/center/cert/download?serial=${cert.serial}&format=${f}`;
    /* a stored certificate the CA cannot read (a damaged row): the chain is
     * core/pki's (hall_pki_chain), and its failure is no reason to retry */
    psql(`UPDATE certificates SET der = '\\x3003020101'::bytea WHERE serial = '${cert.serial}'`);
    for (const f of ['pem', 'p7b']) {
        const r = await bytes(c, url(f));
        assert.equal(r.status, 500, f);
        const body = r.body.toString();
        assert.match(JSON.parse(body).message, /系统错误/, f);
        assert.doesNotMatch(body, /BEGIN/, f);
    }
    /* DER is the stored bytes as they are */
    const der = await bytes(c, url('der'));
    assert.equal(der.status, 200);
    assert.equal(der.body.toString('hex'), '3003020101');
});

test('mycerts__reissue_page_lists_ones_certificates_to_choose__typed_serial_still_works', async () => {
    const op = await operator();
    const c = await applicant();
    const unit = freshUnit();
    const good = await issued(c, op, unitForm(unit));
    const gone = await issued(c, op, unitForm(unit));
    assert.equal((await staffRevoke(gone.serial, 'superseded', op)).status, 200);
    const foreign = await issued(await applicant(), op, unitForm(freshUnit()));
    assert.equal((await c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);

    const page = await c.get('/reissue/serial?project=hall');
    assert.equal(page.status, 200);
    const table = page.text.match(/<table class="list" id="own-certs">[\s\S]*?<\/table>/)[0];
    assert.match(table, new RegExp(`href="/reissue/serial\\?project=hall&amp;serial=${good.serial}"[^>]*>选择<`));
    const goneRow = table.match(new RegExp(`<tr data-serial="${gone.serial}"[\\s\\S]*?</tr>`))[0];
    assert.match(goneRow, /已吊销/);
    assert.match(goneRow, /不可补办/);
    assert.doesNotMatch(goneRow, /选择</);
    assert.doesNotMatch(table, new RegExp(foreign.serial), 'another\'s certificate is not listed');

    /* chosen: the details and 下一步, the row marked */
    const chosen = await c.get(`/reissue/serial?project=hall&serial=${good.serial}`);
    assert.equal(chosen.status, 200);
    assert.match(chosen.text, new RegExp(`id="cert-serial">${good.serial}<`));
    assert.match(chosen.text, /id="serial-next"/);
    assert.match(chosen.text, new RegExp(`<tr data-serial="${good.serial}" aria-current="true"`));
    /* a serial typed by hand: the same form still answers it */
    assert.match(page.text, /<input id="serial" name="serial"/);
    const typed = await c.get(`/reissue/serial?project=hall&serial=${foreign.serial}`);
    assert.equal(typed.status, 403);
});

test('lookup_by_org__exact_name_and_code__listed_certificates_only__nothing_personal', async () => {
    const op = await operator();
    const c = await applicant();
    const unit = freshUnit();
    const form = unitForm(unit);
    const a = await issued(c, op, form);
    const b = await issued(c, op, unitForm(unit));
    assert.equal((await staffRevoke(b.serial, 'cessationOfOperation', op)).status, 200);
    /* clause 3: this holder said 不同意发布 */
    const hidden = await issued(c, op, unitForm(unit));
    psql(`UPDATE orders SET no_publish = true WHERE id = ${hidden.id}`);
    /* the same name with another code: another unit */
    const twin = freshUnit();
    const elsewhere = await issued(c, op, unitForm({ name: unit.name, code: twin.code }));

    const anon = new Client();
    const q = (name, code) => anon.getJSON(`/pki/lookup?org_name=${encodeURIComponent(name)}&org_id=${encodeURIComponent(code)}`);
    const r = await q(unit.name, unit.code);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const serials = r.body.certs.map((x) => x.serial).sort();
    assert.deepEqual(serials, [a.serial, b.serial].sort());
    const rb = r.body.certs.find((x) => x.serial === b.serial);
    assert.equal(rb.status, 'revoked');
    assert.equal(rb.revoke_reason_label, '停止使用');
    assert.equal(r.body.certs.find((x) => x.serial === a.serial).status, 'good');
    /* nothing personal: no agent, legal person, ID number, phone or order */
    const raw = JSON.stringify(r.body);
    for (const s of [form.agent_name, form.legal_name, form.agent_ric, form.legal_ric, form.agent_mobile,
        form.legal_mobile, a.orderNo, hidden.serial, elsewhere.serial])
        assert.equal(raw.includes(s), false, `${s} is not in the answer`);
    /* the code's letters in lower case are the same code */
    assert.equal((await q(unit.name, unit.code.toLowerCase())).body.certs.length, 2);
    /* the other code finds only its own */
    assert.deepEqual((await q(unit.name, twin.code)).body.certs.map((x) => x.serial), [elsewhere.serial]);
    /* exact: a part of the name finds nothing */
    let e = await q(unit.name.slice(0, -4), unit.code);
    assert.equal(e.status, 404);
    assert.match(e.body.message, /未找到该机构名称和统一社会信用代码对应的证书/);
    /* both required, each named */
    e = await q(unit.name, '');
    assert.equal(e.status, 400);
    assert.equal(e.body.field, 'org_id');
    assert.match(e.body.message, /统一社会信用代码/);
    e = await q('', unit.code);
    assert.equal(e.status, 400);
    assert.equal(e.body.field, 'org_name');
    assert.match(e.body.message, /机构名称/);
    /* the opted-out certificate still answers its serial, without the name */
    const s = await anon.getJSON(`/pki/lookup?serial=${hidden.serial}`);
    assert.equal(s.status, 200);
    assert.equal(s.body.cert.status, 'good');
    assert.equal(s.body.cert.unlisted, true);
    assert.equal(s.body.cert.organization, undefined);
    /* the page */
    const page = await anon.get(`/pki/lookup?org_name=${encodeURIComponent(unit.name)}&org_id=${unit.code}`);
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`<tr data-serial="${a.serial}" data-status="good">`));
    assert.match(page.text, new RegExp(`<tr data-serial="${b.serial}" data-status="revoked">`));
    const missing = await anon.get(`/pki/lookup?org_name=${encodeURIComponent(unit.name)}&org_id=`);
    assert.equal(missing.status, 400);
    assert.match(missing.text, /id="org-error" role="alert">请输入统一社会信用代码</);
});

test('mycerts__a_seal_orders_certificates_list_the_seals_they_sign', async () => {
    const op = await operator();
    const c = await applicant();
    await c.get('/seal?project=hall');
    assert.equal((await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await c.get('/seal/apply?project=hall');
    const key = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
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

    const certs = (await c.getJSON('/center/certs')).body.certs;
    /* each seal's signer, as the SESeal files name it */
    const signers = psql(`SELECT string_agg(i.kind || '=' || s.cert_serial, ',' ORDER BY i.kind)
        FROM seseals s JOIN seal_items i ON i.id = s.item_id WHERE s.order_id = ${id}`).split(',');
    assert.equal(signers.length, 2);
    for (const pair of signers) {
        const [kind, serial] = pair.split('=');
        const row = certs.find((x) => x.serial === serial);
        assert.ok(row, `the signer of the ${kind} seal is listed`);
        const seal = row.seals.find((x) => x.kind_label === (kind === 'org' ? '机构章' : '机构业务章'));
        assert.ok(seal, JSON.stringify(row.seals));
        assert.equal(seal.state_label, '有效');
        assert.equal(seal.url, `/seal/seals?id=${id}`);
        if (kind === 'org_business')
            assert.equal(seal.name, '合同专用章');
    }
    /* a certificate that signs no seal has no list */
    const html = await c.get('/center/certs');
    assert.match(html.text, new RegExp('该证书签署的电子印章：[\\s\\S]*?'
        + `<a class="seal-link" href="/seal/seals\\?id=${id}">机构业务章 合同专用章</a>（有效）`),
        'each seal leads to 我的电子印章 of its order');
});
