'use strict';
/*
 * The pages against the seeds (issue 7, items 17-18), second part: the PC
 * page of 在线认证 may be refreshed while the phone works on its link; the
 * pay page names the receiving account, the partner's own review time and
 * the one word for the memo's code; Hunan's print form and its guide.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant } = require('./lib/client');
const { psql, orgForm, personForm, unpaidOrder } = require('./lib/payflow');

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);
const idPhoto = (name, ric) => Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${name}|${ric}\n`)]);

/* a draft order whose materials are done: the 在线认证 step */
async function identityOrder() {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    psql(`UPDATE orders SET step = 'upload', printed_at = now() WHERE id = ${id}`);
    return { c, id };
}

/* the one-time link of the QR code, as a fresh GET of the PC page shows it */
async function qrToken(c, id) {
    const page = await c.get(`/new/identity?id=${id}`);
    assert.equal(page.status, 200, page.text);
    return page.text.match(/\/new\/m\/verify\?t=([A-Za-z0-9_-]{43})/)[1];
}

test('identity__pc_refreshed_while_the_phone_works__the_phone_finishes_and_the_pc_sees_it', async () => {
    const { c, id } = await identityOrder();
    const t = await qrToken(c, id);
    const phone = new Client();
    assert.equal((await phone.get(`/new/m/verify?t=${t}`)).status, 200);
    /* the agent refreshes the PC page: a new QR code, the phone goes on */
    const t2 = await qrToken(c, id);
    assert.notEqual(t2, t);
    let r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto('李四', '412723199010050012') },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await c.getJSON(`/new/identity/status?id=${id}`)).body.status, 'ocr_ok');
    await qrToken(c, id); /* refreshed again, between the two steps */
    r = await phone.postMultipart('/new/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);
    const st = await c.getJSON(`/new/identity/status?id=${id}`);
    assert.equal(st.body.status, 'passed');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'unpaid');
    /* the codes nobody opened died with the refreshes, and now the order is past them */
    assert.equal((await new Client().get(`/new/m/verify?t=${t2}`)).status, 410);
});
