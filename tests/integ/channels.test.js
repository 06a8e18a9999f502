'use strict';
/*
 * A partner's channel says only what it sells: its home page lists exactly
 * the flows it has products of, a flow it does not sell answers the refusal
 * before any form (Hunan sells no 电子签章申请), and 介质遗失补办 is offered
 * in every seeded channel (seed 004: each 前置 URL; 补办费 0.00 + 介质费).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant } = require('./lib/client');
const { psql } = require('./lib/payflow');
const { operator, acceptedByTransfer } = require('./lib/pki');

const PARTNERS = ['jieyang', 'hunan', 'szjsgws', 'nmgzc', 'gzmg', 'gdhj'];

function flowsOn(html) {
    const list = html.match(/<ul class="biz">([\s\S]*?)<\/ul>/);
    assert.ok(list, 'the home page lists the flows');
    return [...list[1].matchAll(/<a href="([^"]+)" id="biz-[a-z]+">([^<]+)<\/a>/g)].map((m) => `${m[2]} ${m[1]}`);
}

test('channels__home_page_lists_exactly_the_flows_each_channel_sells', async () => {
    const c = await applicant();
    /* seed 002's menu order: 办理, 补办, 变更, 解锁, 更新 */
    assert.deepEqual(flowsOn((await c.get('/')).text),
        ['证书新办 /new', '电子签章申请 /seal/product', '介质遗失补办 /reissue/notice', '证书变更 /change/notice',
            '证书解锁 /unlock/notice', '证书更新 /renew/notice']);
    /* 证书变更 where sql/062 sells it; Hunan's menu (seed 002) has CA证书变更,
     * CA证书解锁 and CA证书更新: its products (seed 002's order: 办理, 补办, 变更, 解锁, 更新) */
    const sellsChange = ['jieyang', 'hunan'];
    for (const p of PARTNERS) {
        const home = await c.get(`/${p}/`);
        assert.equal(home.status, 200, p);
        const more = p === 'hunan' ? [`证书解锁 /${p}/unlock/notice`, `证书更新 /${p}/renew/notice`] : [];
        assert.deepEqual(flowsOn(home.text), [`证书新办 /${p}/new`, `介质遗失补办 /${p}/reissue/notice`,
            ...(sellsChange.includes(p) ? [`证书变更 /${p}/change/notice`] : []), ...more], p);
        assert.doesNotMatch(home.text, /电子签章申请/, p);
        /* 金融认证 is no product: a step of every paid order, entered apart from the list */
        assert.match(home.text, new RegExp(`<a href="/${p}/finauth" id="biz-finauth">金融认证</a>`), p);
    }
});

test('channels__renew_and_unlock_refused_where_not_sold__before_any_form', async () => {
    const anon = new Client();
    for (const [p, flow, label] of [['jieyang', 'renew', '证书更新'], ['gdhj', 'unlock', '证书解锁']]) {
        for (const path of [`/${p}/${flow}/notice`, `/${p}/${flow}/serial`, `/${p}/${flow}`]) {
            const r = await anon.get(path);
            assert.equal(r.status, 404, `${path}: ${r.status}`);
            assert.match(r.text, new RegExp(`该项目暂不办理${label}业务`), path);
            assert.doesNotMatch(r.text, /<form/, path);
        }
    }
    /* Hunan sells both: its notice pages answer */
    assert.equal((await anon.get('/hunan/renew/notice')).status, 200);
    assert.equal((await anon.get('/hunan/unlock/notice')).status, 200);
});

test('channels__hunan_seal_refused_before_any_form_nothing_written', async () => {
    const want = /该项目暂不办理电子签章申请业务/;
    /* anonymous: the refusal, not the product page nor the login */
    const anon = new Client();
    for (const path of ['/hunan/seal/product', '/hunan/seal/apply', '/hunan/seal']) {
        const r = await anon.get(path);
        assert.equal(r.status, 404, `${path}: ${r.status}`);
        assert.match(r.text, want, path);
        assert.doesNotMatch(r.text, /<form[^>]*action="\/hunan\/seal|<input[^>]*name="(org_name|kind)"/, path);
    }
    /* logged in: the same; a submit changes nothing */
    const c = await applicant();
    const page = await c.get('/hunan/seal/product');
    assert.equal(page.status, 404);
    assert.match(page.text, want);
    const before = psql('SELECT count(*) FROM orders');
    const post = await c.post('/hunan/seal/apply', { kind: 'org', years: '1' });
    assert.equal(post.status, 404, post.text);
    assert.match(post.body.message, want);
    assert.equal(psql('SELECT count(*) FROM orders'), before);
    /* the hall sells it: its product page is there */
    assert.equal((await c.get('/seal/product')).status, 200);
});

test('channels__reissue_offered_in_each_channel_with_its_fee', async () => {
    /* each seeded partner: a reissue product for each type it sells new,
     * 补办费 0.00 + 介质费 100.00 once (seed 004) */
    assert.equal(psql(`SELECT string_agg(n.partner_code || ':' || n.cert_type || ':'
            || coalesce(r.price_per_year_fen || '+' || r.fixed_fee_fen, 'none'), ',' ORDER BY n.partner_code, n.cert_type)
        FROM products n LEFT JOIN products r ON r.partner_code = n.partner_code
            AND r.cert_type = n.cert_type AND r.business_type = 'reissue' AND r.active
            AND r.key_origin = 'hall'
        WHERE n.business_type = 'new' AND n.active AND n.partner_code <> 'hall'`),
    'gdhj:org:0+10000,gzmg:org:0+10000,hunan:org:0+10000,hunan:person:0+10000,'
        + 'jieyang:org:0+10000,jieyang:org_person:0+10000,jieyang:person:0+10000,'
        + 'nmgzc:org:0+10000,szjsgws:org:0+10000');
    /* a Jieyang certificate's holder reissues it in the Jieyang channel */
    const op = await operator();
    const o = await acceptedByTransfer({ project: 'jieyang' });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.equal((await o.c.get('/jieyang/reissue/notice')).status, 200);
    assert.equal((await o.c.post('/jieyang/reissue/agree', { agree1: 'on', agree2: 'on' })).status, 200);
    const s = await o.c.get(`/jieyang/reissue/serial?serial=${serial}`);
    assert.equal(s.status, 200, s.text);
    const page = await o.c.get(`/jieyang/reissue/apply?serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /id="price-reissue">0\.00元</);
    assert.match(page.text, /id="price-medium">100\.00元</);
    assert.match(page.text, /id="total-amount">100\.00元</);
});
