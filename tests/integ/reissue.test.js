'use strict';
/*
 * 介质遗失补办, the certificate store's side (core/flow/reissue_review.c) through nginx:
 * a serial to the certificate's details with the ownership rules
 * (GET /reissue/serial), and the approval of a reissue order: the old
 * certificate revoked (keyCompromise, audited, on the CRL, OCSP "revoked"),
 * a new one made at the production station for the same subject until
 * the same end of validity (OCSP "good"), both answered by the public
 * serial lookup.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { applicant, HALL } = require('./lib/client');
const {
    operator, reviewer, acceptedByTransfer, tmpdir, openssl, fetchPki, ocspQuery, psql, staffRevoke,
} = require('./lib/pki');
const { waitFor, freshAccount } = require('./lib/payflow');

/* an issued organisation certificate of a new applicant */
async function issuedCert(op) {
    const o = await acceptedByTransfer();
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(serial, /^[0-9A-F]{16}$/);
    return { ...o, serial };
}

/* a reissue order of the certificate's owner waiting for review: made by
 * the flow's pages (agreements, 录入信息), then moved past the uploads,
 * identity and payment with SQL (tests/integ/reissue_flow.test.js walks them) */
async function reissueOrder(o) {
    const a = await o.c.post('/reissue/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const page = await o.c.get(`/reissue/apply?project=hall&serial=${o.serial}`);
    assert.equal(page.status, 200, page.text);
    const form = { ...o.form, bank_account: freshAccount() };
    delete form.cert_type;
    delete form.years;
    const r = await o.c.post('/reissue/apply', { project: 'hall', serial: o.serial, ...form,
        submit_key: page.text.match(/name="submit_key" value="([^"]+)"/)[1] });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'review', step = 'pay', submitted_at = now(),
        review_due = current_date + 3 WHERE id = ${id}`);
    return id;
}

test('reissue_serial__format_unknown_own_and_someone_elses', async () => {
    const op = await operator();
    const o = await issuedCert(op);
    const bad = await o.c.getJSON(`/reissue/serial?serial=${o.serial.toLowerCase()}`);
    assert.equal(bad.status, 400, 'case-sensitive: lower case is another serial');
    assert.equal(bad.body.field, 'serial');
    assert.match(bad.body.message, /16位十六进制/);
    for (const s of ['712C1B5A584A1BB', '712C1B5A584A1BBEE', '712C1B5A584A1BBG'])
        assert.equal((await o.c.getJSON(`/reissue/serial?serial=${s}`)).status, 400, s);
    const none = await o.c.getJSON('/reissue/serial?serial=0000000000000001');
    assert.equal(none.status, 404);
    assert.match(none.body.message, /未找到/);
    assert.equal((await o.c.getJSON('/reissue/serial?serial=')).status, 400);

    const own = await o.c.getJSON(`/reissue/serial?serial=${o.serial}`);
    assert.equal(own.status, 200, own.text);
    assert.equal(own.body.reissuable, true);
    assert.equal(own.body.cert.own, true);
    assert.equal(own.body.cert.organization, '深圳测试科技有限公司');
    assert.equal(own.body.cert.cert_type_label, '机构证书');
    assert.equal(own.body.cert.status_label, '有效');
    assert.match(own.body.cert.not_after, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    /* someone else: what the public lookup shows, not a word more, and no reissue */
    const other = await applicant();
    const pub = await (await fetch(`${HALL}/pki/lookup?serial=${o.serial}`, {
        headers: { Accept: 'application/json' } })).json();
    const foreign = await other.getJSON(`/reissue/serial?serial=${o.serial}`);
    assert.equal(foreign.status, 200);
    assert.equal(foreign.body.reissuable, false);
    assert.match(foreign.body.message, /不是您申请的证书/);
    assert.deepEqual(Object.keys(foreign.body.cert).sort(),
        ['not_after', 'not_before', 'organization', 'own', 'serial', 'status', 'status_label']);
    for (const k of ['organization', 'not_before', 'not_after', 'status_label'])
        assert.equal(foreign.body.cert[k], pub.cert[k], k);
    /* without a login: the applicant's route */
    const anon = await fetch(`${HALL}/reissue/serial?serial=${o.serial}`, { redirect: 'manual',
        headers: { Accept: 'application/json' } });
    assert.ok([302, 401].includes(anon.status), String(anon.status));

    /* revoked: shown, not reissuable */
    assert.equal((await staffRevoke(o.serial, 'superseded', op)).status, 200);
    const rev = await o.c.getJSON(`/reissue/serial?serial=${o.serial}`);
    assert.equal(rev.body.cert.status_label, '已吊销');
    assert.equal(rev.body.reissuable, false);
    assert.match(rev.body.message, /已吊销/);
});

test('reissue_approval__old_revoked_keyCompromise_new_issued_ocsp_and_lookup_answer_both', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await issuedCert(op);
    const oldEnd = psql(`SELECT not_after FROM certificates WHERE serial = '${o.serial}'`);
    const id = await reissueOrder(o);
    /* while the order waits, the certificate is claimed */
    const pending = await o.c.getJSON(`/reissue/serial?serial=${o.serial}`);
    assert.equal(pending.body.reissuable, false);
    assert.match(pending.body.message, /正在办理/);

    /* concurrent presses: one approval, one revocation */
    const tries = await Promise.all([1, 2, 3].map(() => rv.post('/admin/order/approve', { id })));
    assert.deepEqual(tries.map((r) => r.status).sort(), [200, 409, 409], tries.map((r) => r.text).join());
    assert.equal(psql(`SELECT state || '|' || revoke_reason || '|' || (revoked_by LIKE 'staff:%')
        FROM certificates WHERE serial = '${o.serial}'`), 'revoked|1|true');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${o.serial}' AND action = 'revoke' AND detail->>'reason' = 'keyCompromise'`), '1');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'
        AND action = 'reissue_revoke' AND detail->>'serial' = '${o.serial}'`), '1');

    /* the new certificate: 成功受理, made at the production station (no
     * certificate is made without an operator, sql/162) */
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'accepted');
    const made = await op.post('/admin/pki/issue', { id });
    assert.equal(made.status, 200, made.text);
    const row = psql(`SELECT serial || '|' || subject_cn || '|' || subject_org || '|' || (not_after = '${oldEnd}')
        FROM certificates WHERE order_id = ${id} AND state = 'issued'`).split('|');
    const fresh = row[0];
    assert.match(fresh, /^[0-9A-F]{16}$/);
    assert.notEqual(fresh, o.serial);
    assert.deepEqual(row.slice(1), ['深圳测试科技有限公司', '深圳测试科技有限公司', 'true'],
        'same subject, same end of validity');

    const dir = tmpdir();
    await fetchPki(dir);
    let q = ocspQuery(dir, 'ecc', o.serial);
    assert.ok(q.verified, q.out);
    assert.match(q.line, /: revoked$/, q.out);
    assert.match(q.out, /Reason: keyCompromise/);
    q = ocspQuery(dir, 'ecc', fresh);
    assert.ok(q.verified, q.out);
    assert.match(q.line, /: good$/, q.out);
    /* the CRL follows (regenerated by the pki tick) */
    await waitFor('the CRL listing the old serial', async () => {
        await fetchPki(dir);
        const crl = openssl(['crl', '-inform', 'DER', '-in', path.join(dir, 'ecc.crl'), '-noout', '-text']);
        return crl.stdout.includes(`Serial Number: ${o.serial}`) && /Key Compromise/.test(crl.stdout);
    });
    fs.rmSync(dir, { recursive: true, force: true });

    for (const [s, want] of [[o.serial, '已吊销'], [fresh, '有效']]) {
        const r = await (await fetch(`${HALL}/pki/lookup?serial=${s}`, { headers: { Accept: 'application/json' } })).json();
        assert.equal(r.cert.status_label, want, s);
        assert.equal(r.cert.organization, '深圳测试科技有限公司');
    }
    /* the new one is the owner's, and reissuable in turn */
    const mine = await o.c.getJSON(`/reissue/serial?serial=${fresh}`);
    assert.equal(mine.body.cert.own, true);
    assert.equal(mine.body.reissuable, true);
});

test('reissue_approval__old_certificate_revoked_meanwhile__409_nothing_written', async () => {
    const op = await operator();
    const rv = await reviewer();
    const o = await issuedCert(op);
    const id = await reissueOrder(o);
    const audited = () => psql(`SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = '${id}'`);
    const before = audited();
    assert.equal((await staffRevoke(o.serial, 'cessationOfOperation', op)).status, 200);
    const r = await rv.post('/admin/order/approve', { id });
    assert.equal(r.status, 409);
    assert.match(r.body.message, /原证书已吊销/);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'review');
    assert.equal(psql(`SELECT revoke_reason FROM certificates WHERE serial = '${o.serial}'`), '5');
    assert.equal(audited(), before, 'no audit row of the refused approval');
});
