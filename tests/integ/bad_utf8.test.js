'use strict';
/*
 * Bad bytes are a 400 (issue 72 §2): a query or form parameter that is not
 * well-formed UTF-8 (an overlong %C0%AF, a lone %FF, a cut sequence) is
 * refused where the request is read (core/web/app.c, spool.c), 400 naming
 * the parameter, before PostgreSQL sees it: no 503 系统繁忙, no "invalid
 * byte sequence" in the database's log.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { SKIP } = require('./lib/hall');
const { addPartnerKey } = require('./lib/secrets');

const pgLog = () => {
    try {
        return fs.readFileSync(path.join(process.env.HALL_VAR, 'log', 'postgresql.log'), 'utf8');
    } catch {
        return '';
    }
};
const invalidBytes = (text) => (text.match(/invalid byte sequence/g) || []).length;
const MESSAGE = /^参数\S+含有无效的字符编码（须为UTF-8），请检查后重新提交$/;

async function json(r) {
    const t = await r.text();
    try {
        return { status: r.status, body: JSON.parse(t), text: t };
    } catch {
        return { status: r.status, body: null, text: t };
    }
}

test('bad_utf8__query_parameters_of_every_flow__400_naming_it_nothing_in_the_db_log', { skip: SKIP }, async () => {
    const before = invalidBytes(pgLog());
    const urls = [
        ['/reissue/notice?project=%C0%AF', 'project'],
        ['/unlock/notice?project=%C0%AF', 'project'],
        ['/renew/notice?project=%C0%AF', 'project'],
        ['/change/notice?project=%C0%AF', 'project'],
        ['/szjsgws/getLogin?projectId=%C0%AF', 'projectId'],
        ['/new?project=%C0%AF', 'project'],
        ['/new?project=%FF', 'project'],
        ['/reissue/notice?project=%E4%B8', 'project'],
        ['/hunan/reissue/notice?project=%ED%A0%80', 'project'],
    ];
    for (const [url, field] of urls) {
        for (const accept of ['application/json', 'text/html']) {
            const r = await json(await fetch(HALL + url, { headers: { Accept: accept }, redirect: 'manual' }));
            assert.equal(r.status, 400, `${url} (${accept}): ${r.status} ${r.text.slice(0, 200)}`);
            if (accept === 'application/json') {
                assert.equal(r.body.field, field, url);
                assert.match(r.body.message, MESSAGE, url);
                assert.ok(r.body.message.includes(field), url);
            } else {
                assert.match(r.text, /无效的字符编码/, url);
            }
        }
    }
    /* the same pages with good bytes still answer */
    assert.equal((await fetch(`${HALL}/reissue/notice?project=%E6%B9%96`, { redirect: 'manual' })).status < 500, true);
    assert.equal(invalidBytes(pgLog()), before, 'PostgreSQL saw none of them');
});

test('bad_utf8__form_field_posted__400_naming_it', { skip: SKIP }, async () => {
    const before = invalidBytes(pgLog());
    const r = await json(await fetch(`${HALL}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: 'phone=1351234%C0%AF&code=123456',
    }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'phone');
    assert.match(r.body.message, MESSAGE);
    assert.equal(invalidBytes(pgLog()), before);
});

test('bad_utf8__partner_signed_orders_serial__400_not_503', { skip: SKIP }, async () => {
    const key = { id: `utf8-${crypto.randomBytes(4).toString('hex')}`, secret: crypto.randomBytes(24).toString('hex') };
    addPartnerKey('hunan', key.id, key.secret, '1 hour');
    const before = invalidBytes(pgLog());
    const pq = '/partner-api/v1/orders?serial=%C0%AF';
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomBytes(12).toString('hex');
    const sig = crypto.createHmac('sha256', key.secret).update(`GET\n${pq}\n${ts}\n${nonce}\n`).digest('hex');
    const r = await json(await fetch(HALL + pq, {
        headers: { 'X-Hall-Key-Id': key.id, 'X-Hall-Timestamp': ts, 'X-Hall-Nonce': nonce, 'X-Hall-Signature': sig },
    }));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'serial');
    assert.match(r.body.message, MESSAGE);
    assert.equal(invalidBytes(pgLog()), before);
});
