'use strict';
/*
 * 证书新办's JSON submit of a new order reads its session in the apply's
 * own call (sql/097_apply_session.sql, one round trip): what the session
 * read before the form check did still holds.  A session that ended
 * answers 请先登录 and saves nothing; a session unseen for over a minute
 * has its idle deadline moved by the submit; an applicant at the daily cap
 * with no kept carrier pass is refused before the carrier is asked.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { atNewForm, psql, orgForm, sandbox } = require('./lib/payflow');

const SKIP = !process.env.HALL_VAR;

const form = (extra = {}) => ({ project: 'jieyang', ...orgForm(extra) });
const uid = (r) => psql(`SELECT user_id FROM orders WHERE id = ${r.body.redirect.match(/id=(\d+)/)[1]}`);
const orders = (user) => psql(`SELECT count(*) FROM orders WHERE user_id = ${user}`);

test('apply_session__ended_session__login_first_nothing_saved', { skip: SKIP }, async () => {
    const c = await atNewForm();
    const first = await c.post('/new/apply', form());
    assert.equal(first.status, 200, first.text);
    const user = uid(first);
    psql(`DELETE FROM sessions WHERE user_id = ${user}`);
    const r = await c.post('/new/apply', form());
    assert.equal(r.status, 401, r.text);
    assert.match(r.body.message, /请先登录/);
    assert.equal(orders(user), '1');
});

test('apply_session__session_unseen_a_minute__idle_deadline_moved', { skip: SKIP }, async () => {
    const c = await atNewForm();
    const first = await c.post('/new/apply', form());
    assert.equal(first.status, 200, first.text);
    const user = uid(first);
    psql(`UPDATE sessions SET last_seen = now() - interval '5 minutes',
        idle_expires = now() + interval '1 minute' WHERE user_id = ${user}`);
    const r = await c.post('/new/apply', form());
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT bool_and(last_seen > now() - interval '1 minute'
        AND idle_expires > now() + interval '10 minutes') FROM sessions WHERE user_id = ${user}`), 't');
    assert.equal(orders(user), '2');
});

test('apply_session__at_cap_without_carrier_pass__refused_before_the_carrier', { skip: SKIP }, async () => {
    const c = await atNewForm();
    const first = await c.post('/new/apply', form());
    assert.equal(first.status, 200, first.text);
    const user = uid(first);
    psql(`UPDATE user_daily SET orders = 2000000000 WHERE user_id = ${user}`);
    /* a phone the carrier refuses for this name: asking it would answer 400 */
    const phone = '139' + String(crypto.randomInt(0, 1e8)).padStart(8, '0');
    const r = await sandbox('/sandbox/carrier', { method: 'POST',
        body: { phone, name: '别人', id_number: '110101199003071234' } });
    assert.equal(r.status, 200);
    const capped = await c.post('/new/apply', form({ agent_mobile: phone }));
    assert.equal(capped.status, 429, capped.text);
    assert.equal(orders(user), '1');
    psql(`UPDATE user_daily SET orders = 1 WHERE user_id = ${user}`);
});
