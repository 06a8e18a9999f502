'use strict';
/*
 * Seed 001's 个人中心 on 光大环境's hall: beside 我的业务单-证书申请 and
 * 我的业务单-在线认证, 我的业务单-光大环境内部应用 lists the applicant's
 * orders made through that channel (partners.center_orders_label).  Other
 * partners' halls have no such entry.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const { unpaidOrder } = require('./lib/payflow');

test('center__gdhj_menu__lists_the_channel_orders_only', async () => {
    const c = await applicant();
    const g = await unpaidOrder(c, { project: 'gdhj' });
    const j = await unpaidOrder(c, { project: 'jieyang' });

    const page = await c.get('/gdhj/center/orders');
    assert.equal(page.status, 200);
    const entry = page.text.match(/<a href="([^"]+)" id="menu-channel-gdhj" class="menu-channel">([^<]+)<\/a>/);
    assert.ok(entry, 'the menu has the channel\'s entry');
    assert.deepEqual([entry[1], entry[2]], ['/gdhj/center/orders?channel=gdhj', '我的业务单-光大环境内部应用']);
    assert.doesNotMatch((await c.get('/jieyang/center/orders')).text, /class="menu-channel"/);

    const list = await c.get('/gdhj/center/orders?channel=gdhj');
    assert.equal(list.status, 200);
    assert.match(list.text, /<h1>我的业务单-光大环境内部应用<\/h1>/);
    const json = await c.getJSON('/gdhj/center/orders?channel=gdhj');
    const ids = json.body.orders.map((o) => Number(o.id));
    assert.ok(ids.includes(g.id), 'the gdhj order');
    assert.ok(!ids.includes(j.id), 'not the jieyang one');
    /* all the applicant's orders without it */
    const all = (await c.getJSON('/gdhj/center/orders')).body.orders.map((o) => Number(o.id));
    assert.ok(all.includes(g.id) && all.includes(j.id));
});

/* seeds 001 and 004: the generic hall's 个人中心 has 我的业务单-光大环境内部应用
 * too, listing the same orders */
test('center__hall_menu__has_the_gdhj_entry_of_seeds_001_004', async () => {
    const c = await applicant();
    const g = await unpaidOrder(c, { project: 'gdhj' });
    const j = await unpaidOrder(c, { project: 'jieyang' });
    for (const p of ['/center/orders', '/center/certs', '/center/finauth', '/account/profile']) {
        const page = await c.get(p);
        assert.equal(page.status, 200, p);
        const entry = page.text.match(/<a href="([^"]+)" id="menu-channel-gdhj" class="menu-channel">([^<]+)<\/a>/);
        assert.ok(entry, `${p}: the menu has 光大环境's entry`);
        assert.deepEqual([entry[1], entry[2]], ['/center/orders?channel=gdhj', '我的业务单-光大环境内部应用']);
    }
    const list = await c.get('/center/orders?channel=gdhj');
    assert.equal(list.status, 200);
    assert.match(list.text, /<h1>我的业务单-光大环境内部应用<\/h1>/);
    assert.match((await c.get('/center/orders')).text, /<h1>我的业务单<\/h1>/);
    const ids = (await c.getJSON('/center/orders?channel=gdhj')).body.orders.map((o) => Number(o.id));
    assert.ok(ids.includes(g.id) && !ids.includes(j.id));
});
