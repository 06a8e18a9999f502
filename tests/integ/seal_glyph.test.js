'use strict';
/*
 * 电子签章申请 with a name the seal font cannot draw (a 生僻字 beyond the
 * installed CJK font): a drawn seal (工具自动生成) is refused at POST
 * /seal/apply, naming the field and the character, and nothing is saved;
 * the same seal as a cutout of an uploaded impression (根据印模样式抠图)
 * carries no drawn text and goes through.  The preview names the character
 * too.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL, applicant } = require('./lib/client');
const { orgForm, psql } = require('./lib/payflow');
const { SEAL_APPLICANT, toApply, fontless } = require('./lib/seal');

const glyphMessage = (label, ch) =>
    `${label}中的“${ch}”字无法绘制在电子印章上（印章字库中没有这个字），请核对，或选择“根据印模样式抠图”`;

async function post(c, fields, choices) {
    const key = await toApply(c);
    const form = { ...orgForm(fields), ...SEAL_APPLICANT, ...choices, project: 'hall', submit_key: key };
    delete form.years;
    return c.post('/seal/apply', form);
}

test('seal_apply__unit_name_or_seal_name_with_a_character_the_seal_font_lacks__400_naming_field_and_character__nothing_saved', async () => {
    const ch = fontless();
    const c = await applicant();
    const sid = crypto.createHash('sha256').update(c.jar.get('hall_sid')).digest('hex');
    const uid = psql(`SELECT user_id FROM sessions WHERE token_hash = '\\x${sid}'`);
    const orders = () => psql(`SELECT count(*) FROM orders WHERE user_id = ${uid}`);
    const org = `深圳${ch}新科技有限公司`;
    const named = { org_name: org, bank_account_name: org, invoice_title: org };
    const auto = { org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0', person_count: '0' };

    let r = await post(c, named, auto);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'org_name');
    assert.equal(r.body.message, glyphMessage('机构名称', ch));
    assert.equal(orders(), '0', 'no order saved');

    /* a business seal's own name (印章名称) with it */
    r = await post(c, {}, {
        org_count: '0', biz_count: '2', biz_years: '1', biz_1_style: 'auto', biz_1_name: '合同专用章',
        biz_2_style: 'auto', biz_2_name: `财务${ch}章`, person_count: '0',
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'biz_2_name');
    assert.equal(r.body.message, glyphMessage('印章名称', ch));
    assert.equal(orders(), '0', 'no order saved');

    /* the same unit as a cutout: nothing of the name is drawn */
    r = await post(c, named, { ...auto, org_style: 'cutout' });
    assert.equal(r.status, 200, r.text);
    assert.equal(orders(), '1');
    assert.equal(psql(`SELECT subject FROM orders WHERE user_id = ${uid}`), org);
});

test('seal_preview__a_character_the_seal_font_lacks__400_naming_it', async () => {
    const ch = fontless();
    const c = await applicant();
    const preview = (q) => fetch(`${HALL}/seal/preview?${new URLSearchParams(q)}`,
        { headers: { Cookie: c.cookieHeader(), Accept: 'image/png,application/json' } });
    let r = await preview({ kind: 'org', org: `深圳${ch}新科技有限公司`, name: '合同专用章' });
    assert.equal(r.status, 400);
    let body = await r.json();
    assert.equal(body.field, 'org');
    assert.equal(body.message, glyphMessage('机构名称', ch));
    r = await preview({ kind: 'org_person', name: `张${ch}` });
    assert.equal(r.status, 400);
    body = await r.json();
    assert.equal(body.field, 'name');
    assert.equal(body.message, glyphMessage('姓名', ch));
    r = await preview({ kind: 'org', org: '深圳新科技有限公司', name: '合同专用章' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/png');
});
