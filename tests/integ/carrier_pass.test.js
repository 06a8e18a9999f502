'use strict';
/*
 * 实名电信认证 is paid per query: a check an applicant passed is not asked
 * again for the same name, ID number and phone within carrier_pass_keep_s
 * (one day by default; sql/087).  It is kept for that applicant only, as
 * an HMAC (no name, ID number or phone in the table), with the request
 * that passed; a failed check is never kept.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { atNewForm, psql, orgForm, sandbox } = require('./lib/payflow');

const SKIP = !process.env.HALL_VAR;

/* what the carrier answers for the phone from now on */
async function register(phone, name, idNumber) {
    const r = await sandbox('/sandbox/carrier', { method: 'POST',
        body: { phone, name, id_number: idNumber } });
    assert.equal(r.status, 200);
}

const uid = (r) => psql(`SELECT user_id FROM orders WHERE id = ${r.body.redirect.match(/id=(\d+)/)[1]}`);

test('a passed carrier check is kept for its applicant; a failed one is asked again', { skip: SKIP }, async () => {
    /* a phone of this run only: the sandbox's registrations are global */
    const phone = '139' + String(crypto.randomInt(0, 1e8)).padStart(8, '0');
    const form = (extra = {}) => ({ project: 'jieyang', ...orgForm({ agent_mobile: phone, ...extra }) });
    await register(phone, '李四', '412723199010050012');

    const a = await atNewForm();
    const first = await a.post('/new/apply', form());
    assert.equal(first.status, 200, first.text);
    const user = uid(first);
    const kept = psql(`SELECT octet_length(key) || '|' || (request_id IS NOT NULL)
        || '|' || (passed_at > now() - interval '1 minute') FROM carrier_passes WHERE user_id = ${user}`);
    assert.equal(kept, '32|true|true');
    /* neither the phone nor the ID number is in the table */
    assert.equal(psql(`SELECT count(*) FROM carrier_passes WHERE user_id = ${user}
        AND (position(convert_to('${phone}', 'UTF8') IN key) > 0
             OR position(convert_to('412723199010050012', 'UTF8') IN key) > 0)`), '0');

    /* the carrier would now refuse the three: the same applicant is not asked again */
    await register(phone, '别人', '110101199003071234');
    const second = await a.post('/new/apply', form());
    assert.equal(second.status, 200, second.text);

    /* another applicant with the same three is asked: refused, nothing saved */
    const b = await atNewForm();
    const refused = await b.post('/new/apply', form());
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.field, 'agent_mobile');
    assert.match(refused.body.message, /实名电信认证未通过/);
    /* the failure was not kept: once the carrier agrees, the same form passes */
    await register(phone, '李四', '412723199010050012');
    const third = await b.post('/new/apply', form());
    assert.equal(third.status, 200, third.text);

    /* another agent name for the first applicant is a new check: refused now */
    await register(phone, '别人', '110101199003071234');
    const renamed = await a.post('/new/apply', form({ agent_name: '王五', mail_receiver: '王五' }));
    assert.equal(renamed.status, 400, renamed.text);
    assert.equal(renamed.body.field, 'agent_mobile');
});
