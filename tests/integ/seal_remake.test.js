'use strict';
/*
 * A seal follows the certificate that signs it (docs/modules/seal.md,
 * "When the signer's certificate is replaced"): the 机构章 lists the seal
 * order's own certificate; a 介质遗失补办 of that certificate re-makes the
 * seal on the new certificate (same name, same picture, no new review),
 * the old seal becomes 已替换 with its date; a signer revoked without a
 * replacement makes its seals 无效 everywhere: 我的电子印章, the downloads,
 * the verifier and the operator's list.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, HALL, applicant } = require('./lib/client');
const { operator, reviewer, psql, staffRevoke } = require('./lib/pki');
const { orgForm, waitFor, freshAccount } = require('./lib/payflow');
const { mediumOf } = require('./lib/station');

const CHOICES = {
    org_count: '1', org_years: '2', org_style: 'auto',
    biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto',
    person_count: '0',
    /* 申请人信息, required on the seal form (seed 001) */
    app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
};

/* a seal order through 录入信息, moved on to accepted, then produced */
async function producedSealOrder(op) {
    const c = await applicant();
    await c.get('/seal?project=hall');
    assert.equal((await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await c.get('/seal/apply?project=hall');
    const key = page.text.match(/name="submit_key" value="([^"]+)"/)[1];
    const form = { ...orgForm(), ...CHOICES, project: 'hall', submit_key: key };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    assert.equal((await op.post('/admin/pki/issue', { id })).status, 200);
    const items = {};
    for (const row of psql(`SELECT kind || ':' || id FROM seal_items WHERE order_id = ${id}`).split('\n')) {
        const [k, v] = row.split(':');
        items[k] = v;
    }
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND seal_item_id IS NULL
        AND state = 'issued'`);
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    return { id, c, form, items, serial, orderNo };
}

/* a 介质遗失补办 of the order's certificate, by the flow's pages, waiting for review */
async function reissueOrder(so) {
    const a = await so.c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const page = await so.c.get(`/reissue/apply?project=hall&serial=${so.serial}`);
    assert.equal(page.status, 200, page.text);
    const form = { ...orgForm(), bank_account: freshAccount() };
    delete form.cert_type;
    delete form.years;
    const r = await so.c.post('/reissue/apply', { project: 'hall', serial: so.serial, ...form,
        submit_key: page.text.match(/name="submit_key" value="([^"]+)"/)[1] });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'review', step = 'pay', submitted_at = now(),
        review_due = current_date + 3 WHERE id = ${id}`);
    return id;
}

async function bytes(c, p) {
    const r = await fetch(`${HALL}${p}`, { headers: { Cookie: c.cookieHeader(), Accept: 'application/json' } });
    const body = Buffer.from(await r.arrayBuffer());
    return { status: r.status, body, disposition: r.headers.get('content-disposition') || '',
        json: r.status === 200 ? null : JSON.parse(body.toString()) };
}

async function verifyFile(data) {
    const c = new Client();
    await c.get('/seal/verify');
    const r = await c.postMultipart('/seal/verify', {}, { seseal: { name: 'x.seseal', data } });
    assert.equal(r.status, 200, r.text);
    return r.body.result;
}

/* the <tr> of 我的电子印章 or of the console that holds the text */
function rowOf(html, text) {
    const rows = html.match(/<tr[\s\S]*?<\/tr>/g) || [];
    const hit = rows.filter((r) => r.includes(text));
    assert.equal(hit.length, 1, `one row with ${text}`);
    return hit[0];
}

const TODAY = () => psql(`SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`);

test('reissued_signer__the_org_seal_remade_on_the_new_certificate_once__old_one_replaced_everywhere', async () => {
    const op = await operator();
    const rv = await reviewer();
    const so = await producedSealOrder(op);
    const org = so.items.org;
    const oldEs = psql(`SELECT es_id FROM seseals WHERE item_id = ${org}`);
    const oldDer = (await bytes(so.c, `/seal/seseal?id=${org}`)).body;
    const old = await verifyFile(oldDer);
    assert.equal(old.valid, true, JSON.stringify(old.problems));
    const bizBefore = psql(`SELECT es_id || '|' || cert_serial FROM seseals WHERE item_id = ${so.items.org_business}`);
    const oldMedium = mediumOf(so.id);

    /* 介质遗失补办 of the certificate the 机构章 lists: approved, then
     * produced by three clicks at once (nothing else makes it, sql/162) */
    const rid = await reissueOrder(so);
    assert.equal((await rv.post('/admin/order/approve', { id: rid })).status, 200);
    const clicks = await Promise.all([1, 2, 3].map(() => op.post('/admin/pki/issue', { id: rid })));
    assert.ok(clicks.every((r) => [200, 409].includes(r.status)), clicks.map((r) => r.text).join());
    assert.equal(clicks.filter((r) => r.status === 200).length, 1, clicks.map((r) => r.text).join());
    await waitFor('the new certificate', () => psql(`SELECT status FROM orders WHERE id = ${rid}`) === 'issued');
    const fresh = psql(`SELECT serial FROM certificates WHERE order_id = ${rid} AND state = 'issued'`);
    assert.match(fresh, /^[0-9A-F]{16}$/);
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${so.serial}'`), 'revoked');

    /* one new seal for the 机构章, listing the new certificate; the old one replaced */
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE item_id = ${org}`), '2');
    const newEs = psql(`SELECT es_id FROM seseals WHERE item_id = ${org} AND state = 'valid'
        AND cert_serial = '${fresh}'`);
    assert.match(newEs, /^SZCA\d{12}O00R01$/);
    assert.equal(psql(`SELECT state || '|' || replaced_by FROM seseals WHERE es_id = '${oldEs}'`),
        `replaced|${newEs}`);
    /* the 业务章 signs with its own certificate: untouched */
    assert.equal(psql(`SELECT string_agg(es_id || '|' || cert_serial, ',') FROM seseals
        WHERE item_id = ${so.items.org_business} AND state = 'valid'`), bizBefore);

    /* the download is the new seal; the verifier says it is valid and names
     * the new certificate, with the old seal's name and picture */
    const dl = await bytes(so.c, `/seal/seseal?id=${org}`);
    assert.equal(dl.status, 200);
    assert.match(dl.disposition, new RegExp(newEs));
    const now = await verifyFile(dl.body);
    assert.equal(now.valid, true, JSON.stringify(now.problems));
    assert.equal(now.verdict, '印章有效');
    assert.equal(now.es_id, newEs);
    assert.equal(now.signers.length, 1);
    assert.equal(now.signers[0].serial, fresh);
    assert.equal(now.signers[0].state_label, '证书有效');
    assert.equal(now.name, old.name);
    assert.equal(now.picture, old.picture);
    /* the old file: invalid, replaced on its date, never valid */
    const then = await verifyFile(oldDer);
    assert.equal(then.valid, false);
    assert.equal(then.seal_state, 'replaced');
    assert.ok(then.problems.some((p) => p.includes(`已于 ${TODAY()}`) && p.includes('替换') &&
        p.includes(newEs)), JSON.stringify(then.problems));
    /* a successor replaced in its turn: the old file names the seal in use
     * now at the end of the chain (the register's rows, a moment only) */
    const bizEs = bizBefore.split('|')[0];
    psql(`UPDATE seseals SET state = 'replaced', replaced_by = '${bizEs}', replaced_at = now() WHERE es_id = '${newEs}'`);
    try {
        const chain = await verifyFile(oldDer);
        assert.ok(chain.problems.some((p) => p.includes(`新印章为 ${newEs}（其后又经替换，现行印章为 ${bizEs}）`)),
            JSON.stringify(chain.problems));
    } finally {
        psql(`UPDATE seseals SET state = 'valid', replaced_by = NULL, replaced_at = NULL WHERE es_id = '${newEs}'`);
    }

    /* the 机构章's 印章证书 is the new certificate, its key born on the
     * 补办's new USB key, not the old order's */
    assert.notEqual(mediumOf(rid), oldMedium);
    assert.equal(psql(`SELECT medium_serial FROM certificates WHERE serial = '${fresh}'`), mediumOf(rid));

    /* 我的电子印章: the new seal valid with its downloads, the old one 已替换 with the date */
    const page = await so.c.get(`/seal/seals?id=${so.id}`);
    assert.equal(page.status, 200);
    const cur = rowOf(page.text, `>${newEs}<`);
    assert.match(cur, /有效（至\d{4}-\d{2}-\d{2}）/);
    assert.match(cur, new RegExp(`/seal/seseal\\?id=${org}"`));
    const was = rowOf(page.text, `>${oldEs}<`);
    assert.match(was, new RegExp(`已替换（${TODAY()}`));
    assert.doesNotMatch(was, /有效/);
    assert.doesNotMatch(was, /seal\/(seseal|medium)\?/);
    assert.doesNotMatch(page.text, /尚未制作/);

    /* the operator's list agrees */
    const list = await op.get(`/admin/seal?order=${so.orderNo}`);
    assert.equal(list.status, 200);
    const opNew = rowOf(list.text, `data-es="${newEs}"`);
    assert.match(opNew, /有效/);
    assert.match(opNew, new RegExp(fresh));
    const opOld = rowOf(list.text, `data-es="${oldEs}"`);
    assert.match(opOld, new RegExp(`已替换[^<]*${TODAY()}`));
    assert.doesNotMatch(opOld, /有效|注销印章/);

    /* the job is not done twice: another click is refused, nothing added */
    const again = await op.post('/admin/pki/issue', { id: rid });
    assert.equal(again.status, 409);
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${so.id}`), '3');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'seseal' AND entity_id = '${oldEs}'
        AND action = 'replace'`), '1');
});

test('revoked_signer__no_reissue__the_seal_invalid_on_every_page_and_not_handed_out', async () => {
    const op = await operator();
    const so = await producedSealOrder(op);
    const org = so.items.org;
    const es = psql(`SELECT es_id FROM seseals WHERE item_id = ${org}`);
    const file = (await bytes(so.c, `/seal/seseal?id=${org}`)).body;
    assert.equal((await staffRevoke(so.serial, 'cessationOfOperation', op)).status,
        200);

    /* 我的电子印章: the 机构章 is not valid and offers nothing; the 业务章,
     * signed by its own certificate, stays valid */
    const page = await so.c.get(`/seal/seals?id=${so.id}`);
    const row = rowOf(page.text, `>${es}<`);
    assert.doesNotMatch(row, /有效（/);
    assert.match(row, /无效（签章人证书已吊销）/);
    assert.doesNotMatch(row, /seal\/(seseal|medium)\?/);
    assert.match(rowOf(page.text, `data-item="${so.items.org_business}"`), /有效（至/);
    /* the downloads: 410, saying why */
    for (const p of [`/seal/seseal?id=${org}`, `/seal/medium?id=${org}`]) {
        const r = await bytes(so.c, p);
        assert.equal(r.status, 410, p);
        assert.match(r.json.message, /签章人证书已吊销/, p);
        /* 补办 refuses a revoked certificate: not offered */
        assert.doesNotMatch(r.json.message, /补办后/, p);
        assert.match(r.json.message, /已吊销的证书不能补办，如需继续使用电子印章，请重新申请电子签章/, p);
    }
    assert.equal((await bytes(so.c, `/seal/seseal?id=${so.items.org_business}`)).status, 200);
    /* the verifier */
    const v = await verifyFile(file);
    assert.equal(v.valid, false);
    /* valid in the register, void with its signer: never "valid" beside valid:false */
    assert.equal(v.seal_state, 'signer_revoked');
    assert.equal(v.signers[0].state_label, '证书已吊销');
    /* the operator's list */
    const list = await op.get(`/admin/seal?order=${so.orderNo}`);
    const opRow = rowOf(list.text, `data-es="${es}"`);
    assert.match(opRow, /无效（签章人证书已吊销）/);
    assert.doesNotMatch(opRow, />有效</);
});
