'use strict';
/*
 * Issue 51 §4, seed 003 (建筑工务署): "3. 选择"是否办理电子签章",点击"下一步";
 * (默认为"是")" — its own step between the agreements and 录入信息, not a
 * field of the form.  The agreements lead to it; 录入信息 without a choice
 * sends the applicant back to it; the form shows the choice and has no
 * field for it; 否 makes an order without the seal at the lower price and
 * asks no 电子签章采集表, 是 the bundle (580 元, the 采集表 asked); a "seal"
 * posted with the form changes nothing; going back shows the step with the
 * choice kept, and a choice changed there for a saved order is what its
 * next submit saves.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant, freshPhone } = require('./lib/client');
const { psql, orgForm } = require('./lib/payflow');

const BASE = '/szjsgws';

async function agreed(c) {
    assert.equal((await c.get(`${BASE}/new?project=szjsgws`)).status, 200);
    const a = await c.post(`${BASE}/new/agree`, { project: 'szjsgws', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    return a.body.redirect;
}

function selected(html) {
    const m = html.match(/<option value="(yes|no)" selected>/);
    return m && m[1];
}

test('seal_step__szjsgws__its_own_step_before_the_form_否_no_seal_是_the_bundle', async () => {
    const c = await applicant();
    const next = await agreed(c);
    assert.equal(next, `${BASE}/new/seal?project=szjsgws`, 'the agreements lead to the step');
    /* 录入信息 before the choice: back to the step */
    const early = await c.get(`${BASE}/new/apply?project=szjsgws`);
    assert.equal(early.status, 303);
    assert.equal(early.headers.get('location'), `${BASE}/new/seal?project=szjsgws`);
    const step = await c.get(next);
    assert.equal(step.status, 200);
    for (const s of ['办理电子签章（带*为必填项）', '* 电子签章办理', '>下一步</button>'])
        assert.ok(step.text.includes(s), `the step shows ${s}`);
    assert.equal(selected(step.text), 'yes', '是 by default');
    /* a submit straight to the form without the step names it */
    const c2 = await applicant();
    await agreed(c2);
    const skip = await c2.post(`${BASE}/new/apply`, orgForm({ project: 'szjsgws', seal: 'yes' }));
    assert.equal(skip.status, 409, skip.text);
    assert.match(skip.text, /请先选择是否办理电子签章/);

    /* 否: the form has no seal field, the price without the seal */
    const bad = await c.post(`${BASE}/new/seal`, { project: 'szjsgws', seal: 'maybe' });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /电子签章办理/);
    const no = await c.post(`${BASE}/new/seal`, { project: 'szjsgws', seal: 'no' });
    assert.equal(no.status, 200, no.text);
    assert.equal(no.body.redirect, `${BASE}/new/apply?project=szjsgws`);
    const form = await c.get(no.body.redirect);
    assert.equal(form.status, 200);
    assert.ok(!/name="seal"/.test(form.text), '录入信息 has no 是否办理电子签章 field');
    assert.match(form.text, /电子签章办理：否/);
    assert.match(form.text, /送好礼/, 'the promotion\'s popup');
    assert.match(form.text, /id="price-total" data-fen="48000"/);
    assert.ok(form.text.includes(`href="${BASE}/new/seal?project=szjsgws">上一步</a>`), '上一步 is the step');
    /* a seal posted with the form changes nothing: the step decided */
    const r = await c.post(`${BASE}/new/apply`, orgForm({ project: 'szjsgws', seal: 'yes', years: '1',
        agent_mobile: freshPhone('137') }));
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.equal(psql(`SELECT seal || '|' || amount_fen FROM orders WHERE id = ${id}`), 'false|48000');
    assert.match((await c.get(`${BASE}/new/print?id=${id}`)).text, /id="print-seal">不办理</);
    assert.equal((await c.post(`${BASE}/new/printed`, { id })).status, 200);
    let up = await c.get(`${BASE}/new/upload?id=${id}`);
    assert.equal(up.status, 200);
    assert.ok(!up.text.includes('seal_form'), 'no 电子签章采集表 asked without the seal');
    /* going back: the step with the choice kept */
    assert.equal(selected((await c.get(`${BASE}/new/seal?project=szjsgws`)).text), 'no');
    assert.equal(selected((await c.get(`${BASE}/new/seal?id=${id}`)).text), 'no');

    /* the saved order's choice changed on the step: its next submit takes it */
    const yes = await c.post(`${BASE}/new/seal`, { id, seal: 'yes' });
    assert.equal(yes.status, 200, yes.text);
    assert.equal(yes.body.redirect, `${BASE}/new/apply?id=${id}`);
    const again = await c.get(yes.body.redirect);
    assert.match(again.text, /电子签章办理：是/);
    assert.match(again.text, /id="price-total" data-fen="58000"/);
    const r2 = await c.post(`${BASE}/new/apply`, orgForm({ project: 'szjsgws', id, seal: 'no', years: '1',
        agent_mobile: freshPhone('137') }));
    assert.equal(r2.status, 200, r2.text);
    assert.equal(psql(`SELECT seal || '|' || amount_fen FROM orders WHERE id = ${id}`), 'true|58000');
    assert.equal(selected((await c.get(`${BASE}/new/seal?id=${id}`)).text), 'yes');
    assert.match((await c.get(`${BASE}/new/print?id=${id}`)).text, /id="print-seal">办理/);
    assert.equal((await c.post(`${BASE}/new/printed`, { id })).status, 200);
    up = await c.get(`${BASE}/new/upload?id=${id}`);
    assert.equal(up.status, 200);
    assert.ok(up.text.includes('seal_form'), 'the 电子签章采集表 asked with the seal');
    /* by seed 003's name for it (sql/182), its template too */
    assert.match(up.text, /id="material-seal_form">\* 数字证书印模采集表</);
    assert.match(up.text,
        /id="note-seal_form">点击右方下载数字证书印模采集表（即电子签章采集表）模板，上传数字证书印模采集表扫描件/);

    /* 是 from the start: the bundle, (480 + 100) × 3 */
    const c3 = await applicant();
    await agreed(c3);
    assert.equal((await c3.post(`${BASE}/new/seal`, { project: 'szjsgws', seal: 'yes' })).status, 200);
    const r3 = await c3.post(`${BASE}/new/apply`, orgForm({ project: 'szjsgws', seal: 'no', years: '3',
        agent_mobile: freshPhone('137') }));
    assert.equal(r3.status, 200, r3.text);
    const id3 = r3.body.redirect.match(/id=(\d+)/)[1];
    assert.equal(psql(`SELECT seal || '|' || amount_fen FROM orders WHERE id = ${id3}`), 'true|174000');
    /* a partner without the seal has no such step */
    const h = await applicant();
    assert.equal((await h.get('/hunan/new?project=hunan')).status, 200);
    const ha = await h.post('/hunan/new/agree', { project: 'hunan', agree1: 'on', agree2: 'on' });
    assert.equal(ha.body.redirect, '/hunan/new/apply?project=hunan');
});
