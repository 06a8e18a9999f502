'use strict';
/*
 * The 电子签章 pages as a browser uses them (issue 22 §7): the public
 * 电子印章验证 form posted with the fields the page itself carries (no
 * X-CSRF-Token header, as a plain form submit sends none); the 证书附页's
 * upload of a 抠图 seal's impression, its cut-out confirmed there, and the
 * order held at 上传资料 until every such seal has its confirmed picture.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant } = require('./lib/client');
const { psql, upload } = require('./lib/payflow');
const { SEAL_APPLICANT, toApply, sealOrder, impressionScan } = require('./lib/seal');
const { orgForm } = require('./lib/payflow');

/* the hidden inputs of the form id on a page, as a browser would send them */
function hiddenFields(html, id) {
    const form = html.match(new RegExp(`<form[^>]*id="${id}"[\\s\\S]*?</form>`));
    assert.ok(form, `form #${id} on the page`);
    const out = {};
    for (const m of form[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
        out[m[1]] = m[2];
    return out;
}

test('verify_page__form_posted_as_the_page_sends_it__answered_not_403__anonymous_and_signed_in', async () => {
    for (const c of [new Client(), await applicant()]) {
        const page = await c.get('/seal/verify');
        assert.equal(page.status, 200);
        const fields = hiddenFields(page.text, 'verify-form');
        const r = await c.postMultipart('/seal/verify', fields,
            { seseal: { name: 'x.seseal', data: Buffer.from('not a seal at all') } }, { csrf: false });
        /* the file is checked (400 naming it), not refused as an expired page */
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.field, 'seseal');
        assert.match(r.body.message, /SESeal/);
    }
});

const ORG_AND_CUTOUT = {
    org_count: '1', org_years: '1', org_style: 'auto',
    biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'cutout',
    person_count: '0',
};
const SCAN = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);

test('attachment__cutout_seal_has_its_upload_on_the_page__truncated_png_refused__cut_out_shown_to_confirm', async () => {
    const c = await applicant();
    const so = await sealOrder(c, ORG_AND_CUTOUT);
    const biz = so.items['org_business:1'];
    const page = await c.get(`/seal/attachment?id=${so.id}`);
    assert.equal(page.status, 200);
    /* the row of the 抠图 seal carries the file field the form speaks of; the drawn one none */
    const row = (html, item) => html.match(new RegExp(`<tr id="seal-${item}"[\\s\\S]*?</tr>`))[0];
    assert.match(row(page.text, biz), /待上传印模/);
    assert.match(row(page.text, biz), /<form method="post" action="\/seal\/impression" enctype="multipart\/form-data"/);
    assert.match(row(page.text, biz), /<input type="file" id="impression-\d+" name="impression"/);
    assert.match(row(page.text, biz), /<label for="impression-\d+">上传印模/);
    assert.doesNotMatch(row(page.text, so.items['org:0']), /name="impression"/);
    const fields = hiddenFields(row(page.text, biz).replace('<form', '<form id="imp"'), 'imp');
    assert.equal(fields.id, biz);

    /* a PNG cut off in its image data: refused naming the field, nothing kept */
    const whole = impressionScan();
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    const bad = await upload(c, '/seal/impression', fields, { bytes: cut, name: 'seal.png', type: 'image/png' },
        { csrf: false, field: 'impression' });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.field, 'impression');
    assert.match(bad.body.message, /不完整/);
    assert.equal(psql(`SELECT image_png IS NULL FROM seal_items WHERE id = ${biz}`), 't');

    /* the whole scan: cut out, back to the 证书附页 showing it with 确认 */
    const ok = await upload(c, '/seal/impression', fields, { bytes: whole, name: 'seal.png', type: 'image/png' },
        { csrf: false, field: 'impression' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.redirect, `/seal/attachment?id=${so.id}`);
    const shown = row((await c.get(`/seal/attachment?id=${so.id}`)).text, biz);
    assert.match(shown, new RegExp(`<img class="seal-img" src="/seal/image\\?id=${biz}&amp;px=120"`));
    assert.match(shown, /action="\/seal\/impression\/confirm"/);
    assert.match(shown, /确认使用此抠图/);
    assert.match(shown, /重新上传印模/);
    assert.equal(psql(`SELECT image_confirmed FROM seal_items WHERE id = ${biz}`), 'f');

    /* 确认: not for a drawn seal, not for another applicant's */
    assert.equal((await c.post('/seal/impression/confirm', { id: so.items['org:0'] })).status, 409);
    const other = await applicant();
    assert.equal((await other.post('/seal/impression/confirm', { id: biz })).status, 404);
    const conf = await c.post('/seal/impression/confirm', { id: biz });
    assert.equal(conf.status, 200, conf.text);
    const after = row((await c.get(`/seal/attachment?id=${so.id}`)).text, biz);
    assert.match(after, /已确认抠图/);
    assert.doesNotMatch(after, /确认使用此抠图/);
    assert.equal(psql(`SELECT image_confirmed FROM seal_items WHERE id = ${biz}`), 't');
});

test('uploaded__cutout_seal_without_its_confirmed_picture__400_naming_the_seal__order_stays__then_goes_on', async () => {
    const c = await applicant();
    const so = await sealOrder(c, ORG_AND_CUTOUT);
    const biz = so.items['org_business:1'];
    assert.equal((await c.post('/seal/printed', { id: so.id })).status, 200);
    for (const kind of ['application', 'license', 'agent_id', 'seal_form', 'cert_attachment']) {
        const u = await c.postMultipart('/seal/upload', { id: so.id, kind }, { file: { name: `${kind}.jpg`, data: SCAN } });
        assert.equal(u.status, 200, kind);
    }
    const step = psql(`SELECT step FROM orders WHERE id = ${so.id}`);
    /* every file there, the impression not: 下一步 names the seal and where to upload it */
    let r = await c.post('/seal/uploaded', { id: so.id });
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.message, /机构业务章“合同专用章”选择了“根据印模样式抠图”，请先在证书附页页面上传该印章的印模/);
    assert.equal(psql(`SELECT step FROM orders WHERE id = ${so.id}`), step, 'nothing moved');

    /* uploaded, not yet confirmed */
    await c.get(`/seal/attachment?id=${so.id}`);
    assert.equal((await upload(c, '/seal/impression', { id: biz }, { bytes: impressionScan(), name: 's.png' },
        { field: 'impression' })).status, 200);
    r = await c.post('/seal/uploaded', { id: so.id });
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.message, /请在证书附页页面确认机构业务章“合同专用章”的抠图效果/);
    assert.equal(psql(`SELECT step FROM orders WHERE id = ${so.id}`), step, 'nothing moved');

    assert.equal((await c.post('/seal/impression/confirm', { id: biz })).status, 200);
    r = await c.post('/seal/uploaded', { id: so.id });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, `/seal/identity?id=${so.id}`);

    /* a new impression after that wants its own 确认 again */
    assert.equal((await upload(c, '/seal/impression', { id: biz }, { bytes: impressionScan(), name: 's.png' },
        { field: 'impression' })).status, 200);
    assert.equal((await c.post('/seal/uploaded', { id: so.id })).status, 400);
});

test('admin_order__reviewer_sees_each_seal_kind_face_style_years_holder_and_picture__beside_the_attachment_scan', async () => {
    const { reviewer } = require('./lib/pki');
    const c = await applicant();
    const so = await sealOrder(c, {
        org_count: '1', org_years: '2', org_style: 'auto',
        biz_count: '1', biz_years: '3', biz_1_name: '合同专用章', biz_1_style: 'auto',
        person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
        person_1_style: 'auto', person_1_mobile: '13500135000',
    });
    const up = await c.postMultipart('/seal/upload', { id: so.id, kind: 'cert_attachment' },
        { file: { name: 'fj.jpg', data: SCAN } });
    assert.equal(up.status, 200, up.text);
    const scan = psql(`SELECT id FROM order_files WHERE order_id = ${so.id} AND kind = 'cert_attachment'`);
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 1 WHERE id = ${so.id}`);

    const rv = await reviewer();
    const page = await rv.get(`/admin/order?id=${so.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /签章信息（3枚）/);
    assert.match(page.text, new RegExp(`id="attachment-scan">[^<]*<a href="/admin/file\\?id=${scan}"`));
    const rows = [...page.text.matchAll(/<tr data-seal="(\d+)" data-kind="([a-z_]+)">([\s\S]*?)<\/tr>/g)]
        .map((m) => ({ id: m[1], kind: m[2], text: m[3].replace(/<[^>]+>/g, '|').replace(/\s+/g, '') }));
    assert.deepEqual(rows.map((r) => r.kind), ['org', 'org_business', 'org_person']);
    const org = so.form.org_name;
    assert.match(rows[0].text, new RegExp(`机构章\\|*${org}\\|*工具自动生成\\|*2年`));
    assert.match(rows[1].text, new RegExp(`机构业务章\\|*${org}（五角星下方：合同专用章）\\|*工具自动生成\\|*3年`));
    assert.match(rows[2].text, /机构个人章\|*王五\|*工具自动生成\|*1年\|*王五\|*身份证号：44011320141005001X/);

    /* each picture behind its link, for staff who read orders, not for applicants */
    for (const r of rows) {
        assert.match(page.text, new RegExp(`<a class="seal-image" href="/admin/seal/image\\?id=${r.id}">`));
        const img = await fetch(`${require('./lib/client').HALL}/admin/seal/image?id=${r.id}`,
            { headers: { Cookie: rv.cookieHeader() } });
        assert.equal(img.status, 200);
        assert.equal(img.headers.get('content-type'), 'image/png');
        assert.equal(Buffer.from(await img.arrayBuffer()).subarray(1, 4).toString(), 'PNG');
    }
    const mine = await fetch(`${require('./lib/client').HALL}/admin/seal/image?id=${rows[0].id}`,
        { headers: { Cookie: c.cookieHeader() } });
    assert.notEqual(mine.status, 200);
});

test('apply__申请人信息_required_kept_encrypted__shown_to_the_reviewer_and_on_the_edit_after_a_rejection', async () => {
    const c = await applicant();
    const key = await toApply(c);
    const choices = { org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0', person_count: '0' };
    const base = { ...orgForm(), ...SEAL_APPLICANT, ...choices, project: 'hall', submit_key: key };
    delete base.years;
    /* each starred field asked for: missing or wrong, 400 naming it, nothing written */
    const orders = psql('SELECT count(*) FROM orders');
    for (const [field, bad] of [['app_name', ''], ['app_ric', '11010519491231002'], ['app_mobile', ''],
        ['app_email', 'not-an-email']]) {
        const r = await c.post('/seal/apply', { ...base, [field]: bad });
        assert.equal(r.status, 400, `${field}: ${r.text}`);
        assert.ok((r.body.errors || [r.body]).some((e) => e.field === field), `${field}: ${r.text}`);
    }
    assert.equal(psql('SELECT count(*) FROM orders'), orders, 'nothing written');

    const r = await c.post('/seal/apply', base);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    /* in the order's encrypted form, not in clear */
    assert.equal(psql(`SELECT position(convert_to('${SEAL_APPLICANT.app_ric}', 'UTF8') IN form_enc)
        + position(convert_to('${SEAL_APPLICANT.app_mobile}', 'UTF8') IN form_enc) FROM orders WHERE id = ${id}`), '0');

    /* the reviewer reads them */
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    const { reviewer } = require('./lib/pki');
    const rv = await reviewer();
    const page = await rv.get(`/admin/order?id=${id}`);
    assert.equal(page.status, 200);
    for (const f of ['app_name', 'app_ric', 'app_mobile', 'app_email'])
        assert.match(page.text, new RegExp(`<tr data-field="${f}"><td>[^<]+</td><td>${SEAL_APPLICANT[f]}`), f);

    /* rejected, then edited: the page comes back filled */
    const rej = await rv.post('/admin/order/reject', { id, reason: '申请表未加盖单位公章' });
    assert.equal(rej.status, 200, rej.text);
    const edit = await c.get(`/seal/apply?id=${id}`);
    assert.equal(edit.status, 200);
    for (const f of ['app_name', 'app_ric', 'app_mobile', 'app_email'])
        assert.match(edit.text, new RegExp(`name="${f}"[^>]*value="${SEAL_APPLICANT[f]}"`), f);
});
