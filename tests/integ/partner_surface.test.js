'use strict';
/*
 * The partner API's surface as a stranger sees it (issue 63 §5,
 * docs/partners.md "The partner API"):
 *   - a flood of unsigned requests from one address, each naming a new key
 *     id, is limited by nginx per address (429) and writes no row of the
 *     hash-chained audit log: the refusals of unknown keys are counted
 *     (/metrics/partner) and sampled in the log; a known key's refusals
 *     are audited once a minute (partner_flood.test.js);
 *   - before the signature is checked every refusal reads the same: an
 *     unknown, revoked or expired key and a stale timestamp cannot be told
 *     apart (the reason is in the audit row);
 *   - a body with a NUL inside a string or a member twice is refused with
 *     400 naming the member, never read up to the NUL or first-wins: in
 *     the partner API (after the signature) and the hall's own JSON routes
 *     (core/base/value.c, the one JSON reader).
 * The flood comes from loopback addresses of its own (127.0.0.1 is exempt
 * from the per-address limits in the test hall: HALL_LIMIT_EXEMPT).
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
const KEY = { id: `surface-${run}`, secret: crypto.randomBytes(24).toString('hex') };
const UNKNOWN = 'hall_events_total{module="partner",event="partner_api_unknown_key"}';

/* signed headers for METHOD \n PATH?QUERY \n TS \n NONCE \n BODY */
function signed(key, method, pathQuery, text = '', { ts = Math.floor(Date.now() / 1000), sig } = {}) {
    const nonce = crypto.randomBytes(12).toString('hex');
    const s = `${method}\n${pathQuery}\n${ts}\n${nonce}\n${text}`;
    return {
        'X-Hall-Key-Id': key.id, 'X-Hall-Timestamp': String(ts), 'X-Hall-Nonce': nonce,
        'X-Hall-Signature': sig || crypto.createHmac('sha256', key.secret).update(s).digest('hex'),
        Accept: 'application/json',
    };
}

async function call(key, method, pathQuery, text, opts = {}) {
    const headers = signed(key, method, pathQuery, text || '', opts);
    if (text !== undefined)
        headers['Content-Type'] = 'application/json';
    const r = await (opts.from ? fetchFrom(opts.from, HALL + pathQuery, { method, headers, body: text })
        : fetch(HALL + pathQuery, { method, headers, body: text }));
    const t = await r.text();
    let body = null;
    try {
        body = JSON.parse(t);
    } catch { /* not JSON */ }
    return { status: r.status, body, text: t };
}

async function unknownCount() {
    const text = await (await fetch(`${HALL}/metrics/partner`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${UNKNOWN} `));
    return line ? Number(line.slice(UNKNOWN.length + 1)) : 0;
}

const auditRows = (like) => Number(psql(`SELECT count(*) FROM audit_log WHERE entity = 'partner_api'
    AND entity_id LIKE '${like}'`));

before(() => {
    if (!SKIP)
        addPartnerKey('hunan', KEY.id, KEY.secret, '1 year');
});

test('partner_surface__unsigned_flood_new_key_ids_one_address__429_by_address_no_audit_rows_counted',
    { skip: SKIP }, async () => {
        const ADDR = '127.0.0.61';
        const n0 = await unknownCount();
        const t0 = Date.now();
        const got = [];
        /* 1,000 requests, 50 at a time, each with a key id never seen */
        for (let i = 0; i < 1000; i += 50) {
            got.push(...await Promise.all(Array.from({ length: 50 }, (_, k) =>
                fetchFrom(ADDR, `${HALL}/partner-api/v1/orders?id=1`, {
                    headers: { 'X-Hall-Key-Id': `flood-${run}-${i + k}`, Accept: 'application/json' },
                }).then(async (r) => ({ status: r.status, text: await r.text() })))));
        }
        const secs = (Date.now() - t0) / 1000;
        const count = (s) => got.filter((r) => r.status === s).length;
        assert.equal(count(401) + count(429), 1000, got.map((r) => r.status).join(' '));
        /* 20 a second, a burst of 60: what passed is what the rate allows */
        assert.ok(count(401) <= 60 + 20 * secs + 20,
            `${count(401)} unsigned requests reached the hall in ${secs} s`);
        assert.ok(count(429) >= 500, `${count(429)} of 1000 limited`);
        assert.equal(JSON.parse(got.find((r) => r.status === 429).text).message, '请求过于频繁，请稍后再试');
        /* none of them on the audit trail; each counted; a few log lines */
        assert.equal(auditRows(`flood-${run}-%`), 0);
        assert.ok(await unknownCount() >= n0 + count(401), 'every unknown key counted');
        /* a worker writes one line per 10 s: one that logged for an earlier
         * test's strangers (partner_path_limits) may have said nothing of
         * these; ten seconds on, the next stranger is written whatever
         * worker takes it */
        await new Promise((r) => setTimeout(r, 10500));
        const after = await fetchFrom('127.0.0.63', `${HALL}/partner-api/v1/orders?id=1`, {
            headers: { 'X-Hall-Key-Id': `flood-${run}-after`, Accept: 'application/json' } });
        assert.equal(after.status, 401);
        const lines = (readLogs()['partner.log'] || '').split('\n')
            .filter((l) => /not audited/.test(l) && l.includes(`flood-${run}-`));
        assert.ok(lines.length >= 1 && lines.length <= 10, `sampled, not one line each: ${lines.length}`);

        /* another address is not slowed by it */
        const other = await call({ id: `flood-${run}-other`, secret: 'x'.repeat(40) }, 'GET',
            '/partner-api/v1/orders?id=1', undefined, { from: '127.0.0.62' });
        assert.equal(other.status, 401, other.text);
        /* a known key's refusal (a wrong signature) stays on the audit trail */
        const bad = await call(KEY, 'GET', '/partner-api/v1/orders?id=1', undefined,
            { from: '127.0.0.62', sig: 'f'.repeat(64) });
        assert.equal(bad.status, 401);
        assert.equal(psql(`SELECT actor || '|' || (detail->>'refused') FROM audit_log
            WHERE entity = 'partner_api' AND entity_id = '${KEY.id}' ORDER BY id DESC LIMIT 1`),
        'partner:hunan|signature');
    });

test('partner_surface__before_the_signature__unknown_revoked_expired_stale_bad_answer_alike', { skip: SKIP }, async () => {
    const keys = ['revoked', 'expired'].map((k) => ({ id: `${k}-${run}`, secret: crypto.randomBytes(24).toString('hex') }));
    for (const k of keys)
        addPartnerKey('hunan', k.id, k.secret, '1 year');
    psql(`UPDATE partner_api_keys SET revoked_at = now() WHERE key_id = '${keys[0].id}';
        UPDATE partner_api_keys SET not_after = now() - interval '1 second' WHERE key_id = '${keys[1].id}'`);
    const pq = '/partner-api/v1/orders/changed?since=2030-01-01T00:00:00Z';
    const answers = {
        unknown: await call({ id: `nobody-${run}`, secret: 'x'.repeat(40) }, 'GET', pq),
        revoked: await call(keys[0], 'GET', pq),
        expired: await call(keys[1], 'GET', pq),
        stale: await call(KEY, 'GET', pq, undefined, { ts: Math.floor(Date.now() / 1000) - 3600 }),
        future: await call(KEY, 'GET', pq, undefined, { ts: Math.floor(Date.now() / 1000) + 3600 }),
        signature: await call(KEY, 'GET', pq, undefined, { sig: '0'.repeat(64) }),
    };
    for (const [what, r] of Object.entries(answers)) {
        assert.equal(r.status, 401, `${what}: ${r.text}`);
        assert.equal(r.text, answers.signature.text, `${what} is told apart from a wrong signature`);
    }
    assert.deepEqual(answers.signature.body, { ok: false, field: 'X-Hall-Signature',
        message: '请求认证失败：请核对密钥、时间戳（与本站时钟相差不超过300秒）和签名' });
    /* the key itself still works, and the reasons are on the audit trail */
    assert.equal((await call(KEY, 'GET', pq)).status, 200);
    const why = (id) => psql(`SELECT string_agg(detail->>'refused', ',' ORDER BY id) FROM audit_log
        WHERE entity = 'partner_api' AND entity_id = '${id}'`);
    assert.equal(why(keys[0].id), 'key revoked');
    assert.equal(why(keys[1].id), 'key expired');
    /* a key's refusals are a row once a minute (sql/200): KEY's three
     * here are counted, and any row of them says one of their reasons */
    assert.match(why(KEY.id), /^(signature|timestamp)(,(signature|timestamp))*$/);
    assert.ok(Number(psql(`SELECT refused + CASE WHEN prev_minute >= now() - interval '5 minutes'
        THEN prev_refused ELSE 0 END FROM partner_api_refusals WHERE key_id = '${KEY.id}'`)) >= 3);
});

test('partner_surface__nul_in_a_string_or_a_member_twice__400_naming_it_no_link', { skip: SKIP }, async () => {
    const links0 = psql(`SELECT count(*) FROM partner_links WHERE api_key_id = '${KEY.id}'`);
    const app = '/partner-api/v1/applications';
    /* a member twice: yajl_tree read the first (person) and dropped org */
    const dup = await call(KEY, 'POST', app, '{"cert_type":"person","cert_type":"org","org_name":"湖南重复有限公司"}');
    assert.equal(dup.status, 400, dup.text);
    assert.deepEqual(dup.body, { ok: false, field: 'cert_type', message: 'cert_type出现了不止一次，每个字段只能给一次' });
    /* a NUL: the name was checked whole and kept as "p6" */
    const nul = await call(KEY, 'POST', app, '{"cert_type":"person","name":"p6\\u0000零字节","mobile":"13512345678"}');
    assert.equal(nul.status, 400, nul.text);
    assert.deepEqual(nul.body, { ok: false, field: 'name', message: 'name的值不能含有零字节（\\u0000）' });
    const deep = await call(KEY, 'POST', app, '{"cert_type":"person","x":{"y":"a","y":"b"}}');
    assert.equal(deep.status, 400, deep.text);
    assert.equal(deep.body.field, 'x.y');
    /* unsigned, the signature is refused first, as for any body */
    const unsigned = await call(KEY, 'POST', app, '{"cert_type":"org","cert_type":"org"}', { sig: '0'.repeat(64) });
    assert.equal(unsigned.status, 401);
    assert.equal(psql(`SELECT count(*) FROM partner_links WHERE api_key_id = '${KEY.id}'`), links0, 'no link made');
    assert.equal(psql(`SELECT string_agg(detail->>'refused', ',' ORDER BY id) FROM (SELECT id, detail FROM audit_log
        WHERE entity = 'partner_api' AND entity_id = '${KEY.id}' AND detail->>'status' = '400'
        ORDER BY id DESC LIMIT 3) x`), 'cert_type,name,x.y');
    /* the same body, well formed, makes its link */
    const ok = await call(KEY, 'POST', app, '{"cert_type":"person","name":"赵六","mobile":"13512345678"}');
    assert.equal(ok.status, 200, ok.text);
});

test('hall_json_routes__nul_or_member_twice__400_naming_it', { skip: SKIP }, async () => {
    /* the hall's own JSON routes read bodies with the same reader: before
     * the session and CSRF are looked at, whatever the route */
    for (const [body, field, message] of [
        ['{"project":"hunan","project":"jieyang"}', 'project', 'project出现了不止一次，每个字段只能给一次'],
        ['{"project":"hu\\u0000nan"}', 'project', 'project的值不能含有零字节（\\u0000）'],
    ]) {
        for (const p of ['/new/agree', '/admin/order/reject']) {
            const r = await fetch(HALL + p, { method: 'POST', body,
                headers: { 'Content-Type': 'application/json', Accept: 'application/json' } });
            const t = await r.text();
            assert.equal(r.status, 400, `${p} ${body}: ${t}`);
            assert.deepEqual(JSON.parse(t), { ok: false, field, message }, `${p} ${body}`);
        }
    }
});

test('console__finance_menu__links_failed_outside_calls_other_roles_not', { skip: SKIP }, async () => {
    /* 失败的外部调用 (/admin/outbox: a partner's dead webhooks among them)
     * in finance's menu on every console page, not only on the home page */
    const { staffLogin } = require('./lib/payflow');
    const link = '<a href="/admin/outbox" id="nav-outbox">失败的外部调用</a>';
    const f = await staffLogin('finance', 'Finance2026demo');
    for (const p of ['/admin/finance', '/admin/refunds', '/admin/outbox', '/admin/approvals']) {
        const r = await f.get(p);
        assert.equal(r.status, 200, `${p}: ${r.text.slice(0, 200)}`);
        assert.ok(r.text.includes(link), `finance's menu on ${p}`);
    }
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    const r = await rv.get('/admin/review');
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes('id="nav-outbox"'), 'a reviewer cannot open it: not in the menu');
});
