'use strict';
/*
 * One revocation, one time (issue 63 §4): POST /sign/verify gives the time
 * a signer's certificate was revoked in several places of one answer (the
 * certificate's state now, signer_state.revoked_at, the verdict's note) and
 * on the 签名验证 page; all come from the register's revoked_at truncated
 * to the second (as OCSP and the CRL write it), printed by one function.
 * The revocation here falls at .700 of its second: rounding would print
 * the next second in some places and not in others.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { psql, staffRevoke } = require('./lib/pki');
const { makePdf, verifyPdf, hallSeals, stampWith } = require('./lib/stamp');

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const T = '(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})';
/* every revocation time a text gives: 已吊销（T）, 于 T 吊销, T 吊销 */
const REVOKED = new RegExp(`已吊销（${T}）|${T}[^\\d]{0,3}吊销`, 'g');

function revocationTimes(text) {
    return [...text.matchAll(REVOKED)].map((m) => m[1] || m[2]);
}

test('verify__signer_revoked_after_the_stamp__every_time_shown_for_the_revocation_is_one_truncated_second', async () => {
    const seals = await hallSeals();
    const doc = stampWith(makePdf({ pages: 1, text: 'one revocation one time' }), seals.org_business, seals.pin);
    /* the timestamp has whole seconds: revoke a second later at least */
    await sleep(1100);
    assert.equal((await staffRevoke(seals.org_business.serial, 'keyCompromise')).status, 200);
    const serial = seals.org_business.serial;
    psql(`UPDATE certificates SET revoked_at = date_trunc('second', revoked_at) + interval '700 milliseconds'
        WHERE upper(serial) = upper('${serial}')`);
    const want = psql(`SELECT to_char(date_trunc('second', revoked_at) AT TIME ZONE 'Asia/Shanghai',
        'YYYY-MM-DD HH24:MI:SS') FROM certificates WHERE upper(serial) = upper('${serial}')`);
    assert.match(want, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const r = await verifyPdf(doc);
    assert.equal(r.status, 200, r.text);
    const s = r.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.note, '签章后吊销');
    assert.equal(s.signer_state.revoked_at, want, JSON.stringify(s.signer_state));
    assert.equal(s.signer_state.now, `已吊销（${want}）`);
    const inJson = revocationTimes(JSON.stringify(s));
    assert.ok(inJson.length >= 2, JSON.stringify(s));
    assert.deepEqual([...new Set(inJson)], [want], `times in the answer: ${inJson.join(', ')}`);

    const page = await verifyPdf(doc, { accept: 'text/html' });
    assert.equal(page.status, 200);
    const inPage = revocationTimes(page.text.replace(/<[^>]*>/g, ''));
    assert.ok(inPage.length >= 2, page.text);
    assert.deepEqual([...new Set(inPage)], [want], `times on the page: ${inPage.join(', ')}`);
});
