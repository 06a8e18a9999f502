'use strict';
/*
 * The price label's parts add up to the price it labels: 建筑工务署's
 * 机构证书 is 证书费380 + 介质费100 a year, and the 电子签章 (100 a year,
 * chosen by default, seed 003) is a part of its own when chosen:
 * （包含：证书费380，介质费100，电子签章100）580.00元/1年, not the two parts
 * that make 480 beside 580.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const { orgForm, sealStep } = require('./lib/payflow');

const SKIP = !process.env.HALL_URL;

const priceOf = (html) => {
    const p = html.match(/<p class="price" id="price">([\s\S]*?)<\/p>/);
    assert.ok(p, 'the page has the price label');
    return p[1].replace(/<[^>]*>/g, '');
};

test('szjsgws price label: the 电子签章 chosen is one of its parts', { skip: SKIP }, async () => {
    const c = await applicant();
    await c.get('/szjsgws/new?project=szjsgws');
    const ag = await c.post('/szjsgws/new/agree', { project: 'szjsgws', agree1: 'on', agree2: 'on' });
    assert.equal(ag.status, 200, ag.text);
    await sealStep(c, 'yes');
    const page = (await c.get('/szjsgws/new/apply?project=szjsgws')).text;
    assert.equal(priceOf(page), '（包含：证书费380，介质费100，电子签章100）580.00元/1年');
    /* the script adds the part when the step chose it */
    assert.match(page, /data-breakdown="证书费380，介质费100" data-seal-part="电子签章100"/);

    /* saved without the seal: the two parts and their sum */
    await sealStep(c, 'no');
    const r = await c.post('/szjsgws/new/apply', { project: 'szjsgws', ...orgForm({ years: '1' }) });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(priceOf((await c.get(`/szjsgws/new/apply?id=${id}`)).text),
        '（包含：证书费380，介质费100）480.00元/1年');
});
