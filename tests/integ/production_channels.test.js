'use strict';
/*
 * 制作证书 and 邮寄 by channel (seed 004: 审核通过后，由对应渠道网点制作证书并
 * 邮寄): each order of the queues names its channel (the partner whose link
 * it came through), and an outlet narrows the queue to its own channel.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { operator, acceptedByTransfer } = require('./lib/pki');

test('production_queue__channel_shown_and_filtered', async () => {
    const op = await operator();
    const j = await acceptedByTransfer({ project: 'jieyang' });
    const h = await acceptedByTransfer({ project: 'hunan' });
    const row = (text, id) => (text.match(new RegExp(`<tr data-id="${id}">([\\s\\S]*?)</tr>`)) || [])[1];

    const all = await op.get('/admin/pki/production');
    assert.equal(all.status, 200);
    assert.match(row(all.text, j.id), /class="channel" data-channel="jieyang">揭阳公共资源</);
    assert.match(row(all.text, h.id), /class="channel" data-channel="hunan">/);
    assert.match(all.text, /<select id="channel" name="channel">/);

    const mine = await op.get('/admin/pki/production?channel=hunan');
    assert.equal(mine.status, 200);
    assert.ok(row(mine.text, h.id), 'the channel\'s own order');
    assert.equal(row(mine.text, j.id), undefined, 'another channel\'s order is not listed');
    assert.match(mine.text, /<option value="hunan" selected>/);
    /* JSON too */
    const json = await op.getJSON('/admin/pki/production?channel=jieyang');
    assert.ok(json.body.orders.some((o) => o.id === j.id && o.channel === 'jieyang'));
    assert.ok(json.body.orders.every((o) => o.channel === 'jieyang'));
});
