'use strict';
/*
 * 法人认证 (seed 003) through nginx: after the partner's number of failed
 * micro-deposits (3 unless configured) the applicant may choose legal-person
 * authentication — the legal person's ID card (OCR must match the legal
 * person entered) and liveness on a phone — and the order goes to review.
 * Partners that forbid it (内蒙古政采, 广州梅谷科技, 光大环境) never see the
 * choice; szjsgws's review SMS names www.szca.com.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant, freshPhone } = require('./lib/client');
const {
    psql, freshAccount, orgForm, unpaidOrder, orderStatus, waitStatus, payOnline, confirmTrade,
} = require('./lib/payflow');
const { reviewer, smsTo } = require('./lib/pki');

const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const BACK = Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);
const idPhoto = (name, ric) => Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${name}|${ric}\n`)]);

/* an organisation order paid online whose micro-deposit failed `fails` times */
async function failedOrder(fails, extra = {}) {
    const c = await applicant();
    const form = orgForm({ bank_account: freshAccount(true), agent_mobile: freshPhone('137'), ...extra });
    const o = await unpaidOrder(c, { form });
    await confirmTrade(await payOnline(c, o.id));
    await waitStatus(o.id, 'finauth_failed');
    for (let i = 1; i < fails; i++) {
        const r = await c.post('/finauth/retry', {
            id: o.id, bank_account_name: form.org_name, bank_branch_id: '19',
            bank_account: freshAccount(true),
        });
        assert.equal(r.status, 200, r.text);
        await waitStatus(o.id, 'finauth_failed');
    }
    assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${o.id} AND result = 'failed'`),
        String(fails));
    return { ...o, c, form };
}

function phoneLink(text) {
    const m = text.match(/href="([^"]*\/new\/m\/verify\?t=[^"]+)"/);
    assert.ok(m, 'the page links the phone page');
    return new URL(m[1].replace(/&amp;/g, '&')).searchParams.get('t');
}

test('finauth_legal__three_failures__choice_then_phone_check_moves_to_review', async () => {
    const o = await failedOrder(3);
    const page = await o.c.get(`/finauth?id=${o.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /id="legal-start"/);
    assert.match(page.text, /可选择法人认证/);

    const legal = await o.c.get(`/finauth/legal?id=${o.id}`);
    assert.equal(legal.status, 200, legal.text);
    assert.match(legal.text, /<svg[^>]*>.*<path/s, 'a QR code is drawn');
    const t = phoneLink(legal.text);
    const phone = new Client();
    const m = await phone.get(`/new/m/verify?t=${t}`);
    assert.equal(m.status, 200);
    assert.match(m.text, /法定代表人身份认证/);

    /* the agent's card is not the legal person's: refused, nothing moves */
    let r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto(o.form.agent_name, o.form.agent_ric) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'front');
    assert.match(r.body.message, /身份证姓名与法定代表人姓名不一致/);
    r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto(o.form.legal_name, o.form.agent_ric) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /身份证号码与法定代表人身份证号码不一致/);
    const st = await o.c.getJSON(`/finauth/legal/status?id=${o.id}`);
    assert.match(st.body.message, /法定代表人/, 'the PC page sees why');
    assert.equal(orderStatus(o.id), 'finauth_failed');

    r = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: idPhoto(o.form.legal_name, o.form.legal_ric) },
        back: { name: 'b.jpg', data: BACK } });
    assert.equal(r.status, 200, r.text);
    r = await phone.postMultipart('/new/m/liveness', { t },
        { media: { name: 'v.mp4', data: Buffer.from('SANDBOX-LIVENESS:FAIL') } });
    assert.equal(r.status, 400);
    assert.equal(orderStatus(o.id), 'finauth_failed');
    r = await phone.postMultipart('/new/m/liveness', { t }, { media: { name: 'v.mp4', data: JPEG } });
    assert.equal(r.status, 200, r.text);

    const pc = await o.c.getJSON(`/finauth/legal/status?id=${o.id}`);
    assert.equal(pc.body.status, 'passed');
    assert.equal(pc.body.next, `/finauth?id=${o.id}`);
    assert.equal(psql(`SELECT status || '|' || (review_due IS NOT NULL) FROM orders WHERE id = ${o.id}`),
        'review|true');
    assert.equal(psql(`SELECT from_state || '>' || to_state || '|' || (detail->>'via') FROM audit_log
        WHERE entity = 'order' AND entity_id = '${o.id}' AND action = 'status' ORDER BY id DESC LIMIT 1`),
    'finauth_failed>review|legal_person');
    /* done: no second legal check, no retry */
    assert.equal((await o.c.get(`/finauth/legal?id=${o.id}`)).status, 409);
});

test('finauth_legal__fewer_failures_than_the_partner_asks__no_choice', async () => {
    const o = await failedOrder(1);
    const page = await o.c.get(`/finauth?id=${o.id}`);
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes('legal-start'), 'no choice after one failure');
    const r = await o.c.get(`/finauth/legal?id=${o.id}`);
    assert.equal(r.status, 409);
    assert.match(r.body ? r.body.message : r.text, /失败3次后/);
    assert.equal(psql(`SELECT count(*) FROM identity_checks WHERE order_id = ${o.id}`), '0', 'nothing written');

    /* a partner that allows it after one failure (partners.legal_person_auth_after) */
    psql(`UPDATE partners SET legal_person_auth_after = 1 WHERE code = 'hunan'`);
    psql(`UPDATE orders SET partner_code = 'hunan' WHERE id = ${o.id}`);
    try {
        const p = await o.c.get(`/finauth?id=${o.id}`);
        assert.match(p.text, /id="legal-start"/);
        assert.equal((await o.c.get(`/finauth/legal?id=${o.id}`)).status, 200);
    } finally {
        psql(`UPDATE partners SET legal_person_auth_after = 3 WHERE code = 'hunan'`);
    }
    /* another user's order is as absent as ever */
    const other = await applicant();
    assert.equal((await other.get(`/finauth/legal?id=${o.id}`)).status, 404);
});

test('finauth_legal__forbidden_partners_never_see_the_choice', async () => {
    const o = await failedOrder(3);
    for (const partner of ['nmgzc', 'gzmg', 'gdhj']) {
        psql(`UPDATE orders SET partner_code = '${partner}' WHERE id = ${o.id}`);
        const page = await o.c.get(`/finauth?id=${o.id}`);
        assert.equal(page.status, 200);
        assert.ok(!page.text.includes('法人认证'), `${partner}: no word of it`);
        const r = await o.c.get(`/finauth/legal?id=${o.id}`);
        assert.equal(r.status, 403, partner);
        assert.match(r.body ? r.body.message : r.text, /暂未开通法人认证/);
    }
    assert.equal(psql(`SELECT count(*) FROM identity_checks WHERE order_id = ${o.id}`), '0', 'nothing written');
    assert.equal(orderStatus(o.id), 'finauth_failed');
});

test('szjsgws__review_sms_names_www_szca_com', async () => {
    const o = await failedOrder(1);
    psql(`UPDATE orders SET partner_code = 'szjsgws', status = 'review' WHERE id = ${o.id}`);
    const rv = await reviewer();
    const r = await rv.post('/admin/order/approve', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const text = await smsTo(o.form.agent_mobile, /审核通过/);
    assert.equal(text, '【深圳CA】您好，您提交的新申请业务已经审核通过。'
        + '请登录www.szca.com-网上营业厅--个人中心-我的业务单-进行查看。');

    const o2 = await failedOrder(1);
    psql(`UPDATE orders SET partner_code = 'szjsgws', status = 'review' WHERE id = ${o2.id}`);
    const j = await rv.post('/admin/order/reject', { id: o2.id, reason: '身份证复印件未加盖公章' });
    assert.equal(j.status, 200, j.text);
    const t2 = await smsTo(o2.form.agent_mobile, /审核驳回/);
    assert.equal(t2, '【深圳CA】您好，您提交的新申请业务已被审核驳回。驳回原因：身份证复印件未加盖公章。'
        + '请尽快登录www.szca.com-网上营业厅-个人中心-我的业务单-证书申请进行修改。');
});
