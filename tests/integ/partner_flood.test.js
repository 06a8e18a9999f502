'use strict';
/*
 * A stranger who knows a partner's key id cannot lock the partner out, nor
 * fill the audit log (issue 72 §1, docs/partners.md "Limits"):
 *   - unsigned and badly signed calls naming the key id, from one address
 *     and from many, spend nothing of the key's rate: the partner's own
 *     calls at its allowed rate all answer 200 meanwhile (nginx counted a
 *     bucket per X-Hall-Key-Id before any signature: they got 429);
 *   - a known key's refusals are one audit row per key and minute, however
 *     many and however parallel, each counted (/metrics/partner) and a
 *     few sampled in partner.log;
 *   - the key's own bucket (10 a second, 40 at once) is spent by signed
 *     calls only, in one statement: 60 at once pass at most 40 and a few
 *     refilled, the rest 429 with Retry-After.
 * The callers come from loopback addresses of their own (127.0.0.1 is
 * exempt from nginx's per-address limit in the test hall).
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL } = require('./lib/client');
const { psql } = require('./lib/payflow');
const { SKIP, readLogs } = require('./lib/hall');
const { addPartnerKey } = require('./lib/secrets');
const { fetchFrom } = require('./lib/front');

const run = crypto.randomBytes(4).toString('hex');
const KEY = { id: `flood-key-${run}`, secret: crypto.randomBytes(24).toString('hex') };
const PAR = { id: `flood-par-${run}`, secret: crypto.randomBytes(24).toString('hex') };
const BUCKET = { id: `flood-bkt-${run}`, secret: crypto.randomBytes(24).toString('hex') };
const REFUSED = 'hall_events_total{module="partner",event="partner_api_refused"}';
const PQ = '/partner-api/v1/orders/changed?since=2030-01-01T00:00:00Z';

/* headers of a call of key; sig: 'none' for no signature at all, a string for a wrong one */
function headers(key, pathQuery, sig) {
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomBytes(12).toString('hex');
    const h = { 'X-Hall-Key-Id': key.id, Accept: 'application/json' };
    if (sig === 'none')
        return h;
    return {
        ...h, 'X-Hall-Timestamp': ts, 'X-Hall-Nonce': nonce,
        'X-Hall-Signature': sig || crypto.createHmac('sha256', key.secret)
            .update(`GET\n${pathQuery}\n${ts}\n${nonce}\n`).digest('hex'),
    };
}

async function get(from, key, sig) {
    const r = await fetchFrom(from, HALL + PQ, { headers: headers(key, PQ, sig) });
    return { status: r.status, retry: r.headers.get('retry-after'), text: await r.text() };
}

async function metric(name) {
    const text = await (await fetch(`${HALL}/metrics/partner`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(name.length + 1)) : 0;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* calls made every `every` ms for `ms` ms, not waiting for their answers */
async function paced(ms, every, make) {
    const out = [];
    for (let t0 = Date.now(), i = 0; Date.now() - t0 < ms; i++) {
        out.push(make(i));
        await sleep(every);
    }
    return Promise.all(out);
}

const auditRows = (id, status) => Number(psql(`SELECT count(*) FROM audit_log
    WHERE entity = 'partner_api' AND entity_id = '${id}' AND detail->>'status' = '${status}'`));
const minutes = (t0, t1) => Math.floor(t1 / 60000) - Math.floor(t0 / 60000) + 1;

before(() => {
    if (SKIP)
        return;
    for (const k of [KEY, PAR, BUCKET])
        addPartnerKey('szjsgws', k.id, k.secret, '1 hour');
});

test('partner_flood__strangers_name_the_key_id_from_one_and_many_addresses__partner_calls_all_answer',
    { skip: SKIP }, async () => {
        const m0 = await metric(REFUSED);
        const t0 = Date.now();
        const [genuine, one, many] = await Promise.all([
            /* the partner: 5 calls a second (its key's rate is 10) */
            paced(6000, 200, () => get('127.0.0.71', KEY)),
            /* a stranger, one address, 15 unsigned calls a second (under
             * nginx's 20 per address) */
            paced(6000, 66, () => get('127.0.0.72', KEY, 'none')),
            /* strangers, 40 addresses, 30 badly signed calls a second */
            paced(6000, 33, (i) => get(`127.0.0.${100 + (i % 40)}`, KEY, 'e'.repeat(64))),
        ]);
        const t1 = Date.now();
        const codes = (l) => l.map((r) => r.status).join(' ');
        assert.ok(genuine.length >= 20, `${genuine.length} calls of the partner`);
        assert.ok(genuine.every((r) => r.status === 200), `the partner's calls: ${codes(genuine)}`);
        assert.ok(one.length + many.length >= 200, `${one.length + many.length} strangers' calls`);
        assert.ok(one.every((r) => r.status === 401), `one address: ${codes(one)}`);
        assert.ok(many.every((r) => r.status === 401), `many addresses: ${codes(many)}`);
        /* a minute's first refusal is a row, with its reason; the rest counted */
        const rows = auditRows(KEY.id, 401);
        assert.ok(rows >= 1 && rows <= minutes(t0, t1), `${rows} audit rows for ${one.length + many.length} refusals`);
        assert.ok(await metric(REFUSED) >= m0 + one.length + many.length, 'every refusal counted');
        const lines = (readLogs()['partner.log'] || '').split('\n')
            .filter((l) => /audited once a minute/.test(l) && l.includes(KEY.id));
        assert.ok(lines.length <= 20, `sampled, not a line each: ${lines.length}`);
        /* the key still works, at once */
        assert.equal((await get('127.0.0.71', KEY)).status, 200);
    });

test('partner_flood__parallel_bad_signatures__one_audit_row_a_minute', { skip: SKIP }, async () => {
    const t0 = Date.now();
    const got = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        get(`127.0.0.${150 + (i % 10)}`, PAR, crypto.randomBytes(32).toString('hex'))));
    const t1 = Date.now();
    assert.ok(got.every((r) => r.status === 401), got.map((r) => r.status).join(' '));
    const rows = auditRows(PAR.id, 401);
    assert.ok(rows >= 1 && rows <= minutes(t0, t1), `${rows} audit rows for 50 parallel refusals`);
    const row = psql(`SELECT actor || '|' || (detail->>'refused') FROM audit_log
        WHERE entity = 'partner_api' AND entity_id = '${PAR.id}' ORDER BY id LIMIT 1`);
    assert.equal(row, 'partner:szjsgws|signature');
    /* the count is kept: the minute's row, and its refusals */
    assert.ok(Number(psql(`SELECT refused + CASE WHEN prev_minute >= now() - interval '2 minutes'
        THEN prev_refused ELSE 0 END FROM partner_api_refusals WHERE key_id = '${PAR.id}'`)) >= 50);
});

test('partner_flood__key_bucket__signed_calls_at_once_pass_at_most_its_burst__429_retry_after',
    { skip: SKIP }, async () => {
        const t0 = Date.now();
        const got = await Promise.all(Array.from({ length: 60 }, () => get('127.0.0.1', BUCKET)));
        const secs = (Date.now() - t0) / 1000;
        const passed = got.filter((r) => r.status === 200).length;
        const limited = got.filter((r) => r.status === 429);
        assert.equal(passed + limited.length, 60, got.map((r) => r.status).join(' '));
        /* 40 at once, and 10 a second refilled while they were answered */
        assert.ok(passed >= 40 && passed <= 41 + Math.ceil(10 * secs), `${passed} of 60 passed in ${secs} s`);
        assert.ok(limited.length >= 1);
        assert.deepEqual(JSON.parse(limited[0].text), { ok: false, message: '请求过于频繁，请稍后再试' });
        assert.equal(limited[0].retry, '1');
        /* a second later the bucket has refilled some */
        await sleep(1100);
        assert.equal((await get('127.0.0.1', BUCKET)).status, 200);
    });

test('partner_flood__unknown_known_and_no_key_id__each_computes_one_hmac', { skip: SKIP }, async () => {
    /* the work of an unknown key id's 401 is a known one's: its HMAC is
     * computed under a secret of no key (counted, not timed) */
    const HMAC = 'hall_events_total{module="partner",event="partner_api_hmac"}';
    const n0 = await metric(HMAC);
    assert.equal((await get('127.0.0.160', { id: `nobody-${run}`, secret: 'x'.repeat(40) })).status, 401);
    assert.equal(await metric(HMAC), n0 + 1, 'an unknown key id');
    assert.equal((await get('127.0.0.160', { id: 'short', secret: 'x'.repeat(40) })).status, 401);
    assert.equal(await metric(HMAC), n0 + 2, 'a key id of no key\'s form');
    assert.equal((await get('127.0.0.160', BUCKET, 'a'.repeat(64))).status, 401);
    assert.equal(await metric(HMAC), n0 + 3, 'a known key, a wrong signature');
});
