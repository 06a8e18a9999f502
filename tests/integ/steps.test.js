'use strict';
/*
 * 证书新办 steps 6-7 through nginx: uploads decided by content and kept
 * encrypted, who may download them, and the identity check from the PC's
 * QR code to the phone's OCR + liveness and back.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { objectBytes } = require('./lib/objstore');
const { execFileSync } = require('node:child_process');
const { Client, applicant, SANDBOX } = require('./lib/client');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

const AGENT = { name: '李四', ric: '412723199010050012' };

function orgForm(extra = {}) {
    return {
        project: 'jieyang', cert_type: 'org', years: '1',
        org_name: '深圳测试科技有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园1号',
        legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
        agent_name: AGENT.name, agent_ric: AGENT.ric, agent_mobile: '13900139000',
        agent_email: 'agent@example.com', agent_title: '行政专员',
        bank_account_name: '深圳测试科技有限公司', bank_branch_id: '19', bank_account: '4000021009100123456',
        mail_province: '440000', mail_city: '440300', mail_district: '440305',
        mail_address: '科技园1号', mail_receiver: '李四', mail_mobile: '13900139000',
        shipping: 'collect', invoice: 'no', ...extra,
    };
}

/* an applicant with a printed organisation order */
async function printedOrder() {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const r = await c.post('/new/apply', orgForm());
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    const p = await c.post('/new/printed', { id });
    assert.equal(p.body.redirect, `/new/upload?id=${id}`);
    await c.get(`/new/upload?id=${id}`);
    return { c, id };
}

async function uploadAll(c, id) {
    for (const kind of ['application', 'license', 'agent_id']) {
        const r = await c.postMultipart('/new/upload', { id, kind },
            { file: { name: `${kind}.jpg`, data: kind === 'license' ? PDF : JPEG } });
        assert.equal(r.status, 200, `${kind}: ${r.text}`);
    }
}

test('upload__content_decides__renamed_exe_big_and_empty_refused', async () => {
    const { c, id } = await printedOrder();
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00'), Buffer.alloc(500)]);
    let r = await c.postMultipart('/new/upload', { id, kind: 'application' },
        { file: { name: 'scan.jpg', data: exe } });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'file');
    assert.match(r.body.message, /jpg、jpeg、bmp、gif、pdf/);
    const big = Buffer.concat([JPEG.subarray(0, 4), Buffer.alloc(2 * 1024 * 1024 + 1 - 4, 1)]);
    r = await c.postMultipart('/new/upload', { id, kind: 'application' },
        { file: { name: 'big.jpg', data: big } });
    assert.equal(r.status, 413);
    r = await c.postMultipart('/new/upload', { id, kind: 'application' },
        { file: { name: 'empty.jpg', data: Buffer.alloc(0) } });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /不能为空/);
    r = await c.postMultipart('/new/upload', { id, kind: 'applicant_id' },
        { file: { name: 'a.jpg', data: JPEG } });
    assert.equal(r.status, 400, 'an organisation certificate has no applicant ID scan');
    assert.equal(psql(`SELECT count(*) FROM order_files WHERE order_id = ${id}`), '0');
    const next = await c.post('/new/uploaded', { id });
    assert.equal(next.status, 400);
    assert.equal(next.body.field, 'application');
});

test('upload__stored_encrypted_served_to_owner_only', async () => {
    const { c, id } = await printedOrder();
    await uploadAll(c, id);
    const [fid, name, mime] = psql(`SELECT id || '|' || stored_name || '|' || mime FROM order_files
        WHERE order_id = ${id} AND kind = 'agent_id'`).split('|');
    assert.equal(mime, 'image/jpeg');
    /* in the store: not the bytes that were sent */
    const onDisk = objectBytes(name);
    assert.equal(onDisk.indexOf(JPEG.subarray(4, 200)), -1, 'file stored in clear');
    const res = await fetch(`${c.base}/new/file?id=${fid}`, { headers: { Cookie: c.cookieHeader() } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition'), /^attachment/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(JPEG));
    const other = await applicant();
    assert.equal((await other.get(`/new/file?id=${fid}`)).status, 404);
    /* a second upload of the same kind replaces the first */
    const r = await c.postMultipart('/new/upload', { id, kind: 'agent_id' },
        { file: { name: 'again.pdf', data: PDF } });
    assert.equal(r.status, 200);
    assert.equal(psql(`SELECT count(*) FROM order_files WHERE order_id = ${id} AND kind = 'agent_id'
        AND replaced_at IS NULL`), '1');
    const next = await c.post('/new/uploaded', { id });
    assert.equal(next.status, 200, next.text);
    assert.equal(next.body.redirect, `/new/identity?id=${id}`);
});

function idPhoto(name, ric) {
    return Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${name}|${ric}\n`)]);
}
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);

/* the PC page's one-time link, as the QR code encodes it */
async function mobileLink(c, id) {
    const page = await c.get(`/new/identity?id=${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<svg[^>]*>.*<path/s, 'a QR code is drawn');
    const href = page.text.match(/id="mobile-link"|href="([^"]*\/new\/m\/verify\?t=[^"]+)"/g)
        .map((x) => x.match(/href="([^"]+)"/)).filter(Boolean)[0][1];
    return new URL(href.replace(/&amp;/g, '&'));
}

test('identity__mismatch_names_field_then_ocr_and_liveness_pass', async () => {
    const { c, id } = await printedOrder();
    await uploadAll(c, id);
    await c.post('/new/uploaded', { id });
    const link = await mobileLink(c, id);
    const phone = new Client();
    const t = link.searchParams.get('t');
    const page = await phone.get(`/new/m/verify?t=${t}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /经办人身份认证/);
    let r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto('王五', AGENT.ric) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /姓名与经办人姓名不一致/);
    r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto(AGENT.name, '360426199101010071') },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /身份证号码与经办人身份证号码不一致/);
    const st = await c.getJSON(`/new/identity/status?id=${id}`);
    assert.match(st.body.message, /身份证号码与经办人/, 'the PC page sees why');
    r = await phone.postMultipart('/new/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 409, 'liveness before OCR');
    r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto(AGENT.name, AGENT.ric.toLowerCase()) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    r = await phone.postMultipart('/new/m/liveness', { t },
        { media: { name: 'v.mp4', data: Buffer.from('SANDBOX-LIVENESS:FAIL') } });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /活体认证未通过/);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'draft');
    r = await phone.postMultipart('/new/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    /* the phone's page reloaded after passing (it read an unset name: a
     * worker crash under AddressSanitizer, e2e/new.test.js) */
    for (let i = 0; i < 3; i++) {
        const done = await phone.get(`/new/m/verify?t=${t}`);
        assert.equal(done.status, 200);
        assert.match(done.text, /认证通过 请查看PC端继续操作/);
    }
    const pc = await c.getJSON(`/new/identity/status?id=${id}`);
    assert.equal(pc.body.status, 'passed');
    assert.equal(pc.body.next, `/pay?id=${id}`);
    assert.equal(psql(`SELECT status || '|' || step FROM orders WHERE id = ${id}`), 'unpaid|identity');
    assert.equal(psql(`SELECT from_state || '>' || to_state FROM audit_log
        WHERE entity = 'order' AND entity_id = '${id}' AND action = 'status'`), 'draft>unpaid');
    /* the link was for one use */
    const reuse = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto(AGENT.name, AGENT.ric) }, back: { name: 'b.jpg', data: BACK } });
    assert.equal(reuse.status, 200, 'a passed check just shows its result');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');
});

test('identity__new_qr_voids_old_link_and_bad_tokens_404', async () => {
    const { c, id } = await printedOrder();
    await uploadAll(c, id);
    await c.post('/new/uploaded', { id });
    const first = (await mobileLink(c, id)).searchParams.get('t');
    await mobileLink(c, id);
    const phone = new Client();
    assert.equal((await phone.get(`/new/m/verify?t=${first}`)).status, 410);
    assert.equal((await phone.get('/new/m/verify?t=' + 'A'.repeat(43))).status, 404);
    assert.equal((await phone.get('/new/m/verify?t=short')).status, 400);
});

test('apply__carrier_real_name_mismatch__faq_text_and_nothing_saved', async () => {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    await fetch(`${SANDBOX}/sandbox/carrier`, { method: 'POST',
        body: JSON.stringify({ phone: '13900139111', name: '别人', id_number: '110101199003071234' }) });
    const uid = psql(`SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1`);
    const r = await c.post('/new/apply', orgForm({ agent_mobile: '13900139111' }));
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'agent_mobile');
    assert.match(r.body.message, /实名电信认证未通过.*电信运营商APP/);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${uid}`), '0');
    /* the carrier service down: a clear 503, nothing saved */
    await fetch(`${SANDBOX}/sandbox/faults`, { method: 'POST',
        body: JSON.stringify({ service: 'carrier', mode: 'fail', count: 1 }) });
    const d = await c.post('/new/apply', orgForm());
    assert.equal(d.status, 503);
    assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${uid}`), '0');
});

test('rejected_order__edit_then_resubmit__back_to_review_with_history', async () => {
    const { c, id } = await printedOrder();
    await uploadAll(c, id);
    psql(`UPDATE orders SET status = 'rejected', reject_reason = '营业执照未加盖公章' WHERE id = ${id}`);
    const edit = await c.get(`/new/apply?id=${id}`);
    assert.match(edit.text, /审核驳回原因：营业执照未加盖公章/);
    const r = await c.post('/new/apply', { id, ...orgForm({ unit_address: '南山区科技园2号' }) });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT status || '|' || form_rev FROM orders WHERE id = ${id}`), 'rejected|2');
    const up = await c.get(`/new/upload?id=${id}`);
    assert.match(up.text, /重新提交审核/);
    const fix = await c.postMultipart('/new/upload', { id, kind: 'license' },
        { file: { name: 'license-stamped.pdf', data: PDF } });
    assert.equal(fix.status, 200);
    const s = await c.post('/new/resubmit', { id });
    assert.equal(s.status, 200, s.text);
    assert.equal(psql(`SELECT status || '|' || (review_due IS NOT NULL) FROM orders WHERE id = ${id}`),
        'review|true');
    assert.equal(psql(`SELECT count(*) FROM order_revisions WHERE order_id = ${id}`), '2');
    const again = await c.post('/new/resubmit', { id });
    assert.equal(again.status, 409, 'only a rejected order can be resubmitted');
    const view = await c.get(`/center/order?id=${id}`);
    assert.match(view.text, /待审核/);
});

test('resubmit__only_a_rejected_order', async () => {
    const { c, id } = await printedOrder();
    await uploadAll(c, id);
    const r = await c.post('/new/resubmit', { id });
    assert.equal(r.status, 409, 'a draft is not resubmitted');
    assert.equal(psql(`SELECT status || '|' || step FROM orders WHERE id = ${id}`), 'draft|print');
});
