'use strict';
/*
 * The client's address, everywhere the hall counts per address, is the
 * connection's: a client's own X-Forwarded-For is believed only on a
 * connection from a configured trusted proxy (HALL_TRUSTED_PROXIES; the test
 * hall trusts its "front" lib/front.js FRONT_ADDR and nothing else).  Before,
 * nginx believed X-Forwarded-For from any loopback client, so a new header
 * value gave a new 免费体验 counter (10 a day per address) and a new SMS and
 * login-spray budget.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, HALL } = require('./lib/client');
const { psql } = require('./lib/pki');
const { makePdf } = require('./lib/stamp');
const { FRONT_ADDR, fetchFrom } = require('./lib/front');

const SKIP = !process.env.HALL_VAR;

const counted = (addr) =>
    Number(psql(`SELECT coalesce(sum(n), 0) FROM sign_try_counts WHERE addr = 'ip:${addr}'`));

/* one 免费体验 stamp posted from the loopback address from, saying xff */
async function tryFrom(from, xff) {
    const c = new Client();
    const page = await c.get('/sign/try');
    const csrf = page.text.match(/name="_csrf" value="([^"]+)"/)[1];
    const fd = new FormData();
    fd.append('_csrf', csrf);
    for (const [k, v] of Object.entries({ page: '1', x: '100', y: '100' }))
        fd.append(k, v);
    fd.append('file', new Blob([makePdf({ pages: 1, text: 'addr' })], { type: 'application/pdf' }), 'a.pdf');
    const r = await fetchFrom(from, `${HALL}/sign/try`, {
        method: 'POST', body: fd,
        headers: { Cookie: c.cookieHeader(), Accept: 'application/json', 'X-Forwarded-For': xff },
    });
    return r.status;
}

test('client_addr__own_x_forwarded_for__ignored_counted_on_connection', { skip: SKIP }, async () => {
    /* 127.0.0.1: where every client of the default hall comes from, and
     * where nginx used to believe X-Forwarded-For */
    const from = '127.0.0.1';
    const before = counted(from);
    const forged = ['198.18.7.1', '198.18.7.2', '198.18.7.3'];
    let stamped = 0;
    for (const x of forged) {
        const st = await tryFrom(from, x);
        /* other tests stamp from 127.0.0.1 too: its day may be used up */
        assert.ok(st === 200 || st === 429, String(st));
        stamped += st === 200;
    }
    /* counted on the connection's address; nothing on the header's */
    assert.equal(counted(from), before + stamped);
    for (const x of forged)
        assert.equal(counted(x), 0, x);
    /* another loopback address, the same: the header is not believed */
    assert.equal(await tryFrom('127.0.0.5', '198.18.7.4'), 200);
    assert.equal(counted('127.0.0.5'), 1);
    assert.equal(counted('198.18.7.4'), 0);
});

test('client_addr__trusted_front__its_x_forwarded_for_names_the_visitor', { skip: SKIP }, async () => {
    const visitor = '198.18.8.1';
    assert.equal(await tryFrom(FRONT_ADDR, visitor), 200);
    assert.equal(counted(visitor), 1);
    assert.equal(counted(FRONT_ADDR), 0);
});

test('client_addr__daily_limit__not_escaped_by_new_header_values', { skip: SKIP }, async () => {
    const from = '127.0.0.6';
    /* the page states the limit (sign_try_daily_max) */
    const limit = Number((await new Client().get('/sign/try')).text.match(/每天可体验 (\d+) 次/)[1]);
    let last = 0;
    for (let i = 0; i <= limit; i++)
        last = await tryFrom(from, `198.18.9.${i + 1}`);
    /* the eleventh from one connection address is refused, whatever it says */
    assert.equal(last, 429);
    assert.equal(counted(from), limit);
});
