'use strict';
/*
 * The partner API (issue 55, modules/partner, docs/partners.md "The partner
 * API"): requests signed with one of the partner's keys; a replayed, stale,
 * badly signed request, an expired or revoked key refused (401) before
 * anything is read; an application made by the API whose link a user
 * follows to a pre-filled form; orders found by id, order_no, serial and
 * USCC and listed by change, only the partner's own (another partner's keys
 * see none of them: "not found", as for an order that does not exist); every
 * call on the audit trail.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HALL, applicant } = require('./lib/client');
const { psql, orgForm, unpaidOrder } = require('./lib/payflow');
const { operator } = require('./lib/pki');
const { SKIP } = require('./lib/hall');
const { addPartnerKey } = require('./lib/secrets');

const run = crypto.randomBytes(4).toString('hex');
const REFUSED = '请求认证失败：请核对密钥、时间戳（与本站时钟相差不超过300秒）和签名';
const KEYS = {
    hunan: { id: `hunan-${run}-a`, secret: crypto.randomBytes(24).toString('hex') },
    hunan2: { id: `hunan-${run}-b`, secret: crypto.randomBytes(24).toString('hex') },
    jieyang: { id: `jieyang-${run}`, secret: crypto.randomBytes(24).toString('hex') },
};

/* a valid unified social credit code (GB 32100) ending in random digits */
function uscc() {
    const A = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    const body = `9143010${String(crypto.randomInt(0, 1e10)).padStart(10, '0')}`;
    const sum = [...body].reduce((t, ch, i) => t + A.indexOf(ch) * W[i], 0);
    return body + A[(31 - (sum % 31)) % 31];
}

/* a signed call: METHOD \n PATH?QUERY \n TS \n NONCE \n BODY */
async function call(key, method, pathQuery, body, { ts = Math.floor(Date.now() / 1000), nonce, sig } = {}) {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    nonce = nonce || crypto.randomBytes(12).toString('hex');
    const s = `${method}\n${pathQuery}\n${ts}\n${nonce}\n${text}`;
    const headers = {
        'X-Hall-Key-Id': key.id, 'X-Hall-Timestamp': String(ts), 'X-Hall-Nonce': nonce,
        'X-Hall-Signature': sig || crypto.createHmac('sha256', key.secret).update(s).digest('hex'),
        Accept: 'application/json',
    };
    if (body !== undefined)
        headers['Content-Type'] = 'application/json';
    const r = await fetch(HALL + pathQuery, { method, headers, body: body === undefined ? undefined : text });
    const t = await r.text();
    let j = null;
    try {
        j = JSON.parse(t);
    } catch { /* not JSON */ }
    return { status: r.status, body: j, text: t, nonce, ts };
}

before(() => {
    if (SKIP)
        return;
    for (const [code, k] of [['hunan', KEYS.hunan], ['hunan', KEYS.hunan2], ['jieyang', KEYS.jieyang]])
        addPartnerKey(code, k.id, k.secret, '1 year');
});

test('partner_api__signed_requests__replay_stale_bad_expired_revoked_refused_and_audited', { skip: SKIP }, async () => {
    const a = await call(KEYS.hunan, 'GET', '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z&limit=1');
    assert.equal(a.status, 200, a.text);
    /* the same request again: replayed */
    const again = await call(KEYS.hunan, 'GET', '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z&limit=1',
        undefined, { nonce: a.nonce, ts: a.ts });
    assert.equal(again.status, 401);
    assert.match(again.body.message, /nonce 重复/);
    const stale = await call(KEYS.hunan, 'GET', '/partner-api/v1/orders?id=1', undefined,
        { ts: Math.floor(Date.now() / 1000) - 3600 });
    assert.equal(stale.status, 401);
    assert.equal(stale.body.message, REFUSED);
    const bad = await call(KEYS.hunan, 'GET', '/partner-api/v1/orders?id=1', undefined, { sig: 'f'.repeat(64) });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.message, REFUSED);
    /* a parameter changed after signing */
    const s = `GET\n/partner-api/v1/orders?id=1\n${Math.floor(Date.now() / 1000)}\n${'a'.repeat(20)}\n`;
    const moved = await call(KEYS.hunan, 'GET', '/partner-api/v1/orders?id=2', undefined,
        { nonce: 'a'.repeat(20), sig: crypto.createHmac('sha256', KEYS.hunan.secret).update(s).digest('hex') });
    assert.equal(moved.status, 401);
    for (const since of ['yesterday', '2026-13-45T99:99:99Z', '2026-11-27 00:00:00']) {
        const r = await call(KEYS.hunan, 'GET', `/partner-api/v1/orders/changed?since=${encodeURIComponent(since)}`);
        assert.equal(r.status, 400, `${since}: ${r.text}`);
        assert.equal(r.body.field, 'since');
    }
    const unknown = await call({ id: `nobody-${run}`, secret: 'x'.repeat(40) }, 'GET', '/partner-api/v1/orders?id=1');
    assert.equal(unknown.status, 401);

    /* rotation: both keys work, then the old one is revoked: refused at once */
    assert.equal((await call(KEYS.hunan2, 'GET', '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z')).status, 200);
    psql(`UPDATE partner_api_keys SET revoked_at = now() WHERE key_id = '${KEYS.hunan.id}'`);
    const revoked = await call(KEYS.hunan, 'GET', '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z');
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.message, REFUSED, 'a revoked key is not told apart');
    assert.equal((await call(KEYS.hunan2, 'GET', '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z')).status, 200);
    psql(`UPDATE partner_api_keys SET not_after = now() - interval '1 second' WHERE key_id = '${KEYS.hunan2.id}'`);
    const expired = await call(KEYS.hunan2, 'GET', '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.message, REFUSED, 'an expired key is not told apart');
    psql(`UPDATE partner_api_keys SET not_after = now() + interval '1 year' WHERE key_id = '${KEYS.hunan2.id}'`);

    /* every call on the hash-chained audit trail; a key's refusals (401)
     * once a minute at most, the minute's first with its reason
     * (sql/200): the test may straddle a minute, so each 401 row is one of
     * the refusals, in their order */
    const rows = psql(`SELECT actor || '|' || action || '|' || (detail->>'status') || '|' || coalesce(detail->>'refused', '')
        FROM audit_log WHERE entity = 'partner_api' AND entity_id IN ('${KEYS.hunan.id}', '${KEYS.hunan2.id}') ORDER BY id`).split('\n');
    assert.deepEqual(rows.filter((r) => !r.includes('|401|')), [
        'partner:hunan|changed|200|', 'partner:hunan|changed|400|since', 'partner:hunan|changed|400|since',
        'partner:hunan|changed|400|since', 'partner:hunan|changed|200|', 'partner:hunan|changed|200|',
    ]);
    const refusals = ['partner:hunan|changed|401|replayed nonce', 'partner:hunan|orders|401|timestamp',
        'partner:hunan|orders|401|signature', 'partner:hunan|orders|401|signature',
        'partner:hunan|changed|401|key revoked', 'partner:hunan|changed|401|key expired'];
    const audited = rows.filter((r) => r.includes('|401|'));
    /* the first of each key's: replayed nonce (hunan's), key expired (hunan2's) */
    assert.equal(audited[0], refusals[0]);
    assert.equal(audited[audited.length - 1], refusals[5]);
    assert.ok(audited.length <= 4, audited.join(', '));
    let at = 0;
    for (const r of audited) {
        while (at < refusals.length && refusals[at] !== r)
            at++;
        assert.ok(at < refusals.length, `${r}: not one of the refusals in their order`);
        at++;
    }
    /* each counted: 5 of hunan's key, 1 of hunan2's */
    assert.equal(psql(`SELECT sum(refused + CASE WHEN prev_minute >= now() - interval '5 minutes' THEN prev_refused
        ELSE 0 END) FROM partner_api_refusals WHERE key_id IN ('${KEYS.hunan.id}', '${KEYS.hunan2.id}')`), '6');
});

test('partner_api__application_link_prefills_the_form__orders_by_id_serial_uscc__other_partner_sees_none', { skip: SKIP }, async () => {
    const k = KEYS.hunan2;
    const made = await call(k, 'POST', '/partner-api/v1/applications',
        { cert_type: 'org', org_name: '湖南接口测试有限公司', org_id: '91430100MA4L0XXX1N', project_id: 'HN2026-001' });
    assert.equal(made.status, 200, made.text);
    assert.match(made.body.link, /\/hunan\/login\?next=/);
    const noType = await call(k, 'POST', '/partner-api/v1/applications', { org_name: 'x' });
    assert.equal(noType.status, 400);
    assert.equal(noType.body.field, 'cert_type');
    /* a body that is not a JSON object: unsigned, refused as unsigned
     * (401, before the body is read); signed, 400, on the audit trail */
    const junk = await call(k, 'POST', '/partner-api/v1/applications', '{"cert_type":', { sig: '0'.repeat(64) });
    assert.equal(junk.status, 401, junk.text);
    const notObj = await call(k, 'POST', '/partner-api/v1/applications', '["org"]');
    assert.equal(notObj.status, 400, notObj.text);
    assert.match(notObj.body.message, /JSON 对象/);
    assert.equal(psql(`SELECT detail->>'refused' FROM audit_log WHERE entity = 'partner_api'
        AND entity_id = '${k.id}' ORDER BY id DESC LIMIT 1`), 'body');
    /* what the form would refuse is refused here, naming the field, and
     * makes no link (the user would find a form it cannot send) */
    const links0 = psql(`SELECT count(*) FROM partner_links WHERE api_key_id = '${k.id}'`);
    for (const [body, field, msg] of [
        [{ cert_type: 'org', org_name: '湖南接口测试有限公司', org_id: '91430100MA4L0XXX1X' }, 'org_id', /统一社会信用代码/],
        [{ cert_type: 'org', org_name: '<script>' }, 'org_name', /机构名称/],
        [{ cert_type: 'person', name: '赵六', ric: '440113201410050011' }, 'ric', /身份证号/],
        [{ cert_type: 'person', name: '赵六', mobile: '1350000' }, 'mobile', /手机号码/],
        [{ cert_type: 'person', name: '赵六', email: 'zhaoliu@' }, 'email', /邮箱/],
        [{ cert_type: 'person', name: 'x<y' }, 'name', /姓名/],
    ]) {
        const bad = await call(k, 'POST', '/partner-api/v1/applications', body);
        assert.equal(bad.status, 400, `${field}: ${bad.text}`);
        assert.equal(bad.body.field, field);
        assert.match(bad.body.message, msg);
    }
    assert.equal(psql(`SELECT count(*) FROM partner_links WHERE api_key_id = '${k.id}'`), links0);
    /* the values as the form keeps them: 'x' of an ID number upper case, a USCC's spaces gone */
    const norm = await call(k, 'POST', '/partner-api/v1/applications',
        { cert_type: 'person', name: '赵六', ric: '44011320141005001x', mobile: '0086-13512345678' });
    assert.equal(norm.status, 200, norm.text);

    /* the user follows the link, logs in and finds the form filled in */
    const c = await applicant();
    const next = decodeURIComponent(new URL(made.body.link).searchParams.get('next'));
    const agree = await c.get(next);
    assert.equal(agree.status, 200, agree.text.slice(0, 300));
    const link = next.match(/link=([^&]+)/)[1];
    const a = await c.post('/hunan/new/agree', { project: 'hunan', agree1: 'on', agree2: 'on', link });
    assert.equal(a.status, 200, a.text);
    const form = await c.get(a.body.redirect);
    assert.match(form.text, /已从湖南省公共资源交易服务平台带入您的信息/);
    assert.ok(form.text.includes('value="湖南接口测试有限公司"'), 'the unit name pre-filled');
    assert.ok(form.text.includes('value="91430100MA4L0XXX1N"'), 'the USCC pre-filled');
    assert.equal(psql(`SELECT api_key_id || '|' || project_id FROM partner_links WHERE claimed_by IS NOT NULL
        AND api_key_id = '${k.id}'`), `${k.id}|HN2026-001`);
    /* the form the link filled, sent: the order carries the application's
     * project ID, so that the platform knows its bidder's order by it */
    assert.ok(form.text.includes(`name="link" value="${link}"`), 'the link travels with the form');
    const sent = await c.post('/hunan/new/apply', { project: 'hunan', ...orgForm({ org_name: '湖南接口测试有限公司',
        bank_account_name: '湖南接口测试有限公司', invoice_title: '湖南接口测试有限公司' }), link });
    assert.equal(sent.status, 200, sent.text);
    const linkedId = Number(sent.body.redirect.match(/id=(\d+)/)[1]);
    const linked = await call(k, 'GET', `/partner-api/v1/orders?id=${linkedId}`);
    assert.equal(linked.status, 200, linked.text);
    assert.equal(linked.body.orders[0].project_id, 'HN2026-001');
    /* another applicant's form cannot borrow the ticket (it is the first user's) */
    const other = await applicant();
    await other.get('/hunan/new?project=hunan');
    await other.post('/hunan/new/agree', { project: 'hunan', agree1: 'on', agree2: 'on' });
    const stolen = await other.post('/hunan/new/apply', { project: 'hunan', ...orgForm(), link });
    assert.equal(stolen.status, 200, stolen.text);
    const stolenId = Number(stolen.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT coalesce(project_id, '-') FROM orders WHERE id = ${stolenId}`), '-');

    /* an order of hunan's, issued; one of jieyang's */
    const code = uscc();
    const h = await unpaidOrder(await applicant(), { project: 'hunan', base: '/hunan', form: orgForm({ org_id: code }) });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now() WHERE id = ${h.id}`);
    const op = await operator();
    assert.equal((await op.post('/admin/pki/issue', { id: h.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${h.id}`);
    const no = psql(`SELECT order_no FROM orders WHERE id = ${h.id}`);
    const j = await unpaidOrder(await applicant(), { form: orgForm() });

    for (const q of [`id=${h.id}`, `order_no=${no}`, `serial=${serial}`, `uscc=${code}`]) {
        const r = await call(k, 'GET', `/partner-api/v1/orders?${q}`);
        assert.equal(r.status, 200, `${q}: ${r.text}`);
        assert.ok(r.body.orders.some((o) => o.id === h.id && o.certificates[0].serial === serial), q);
        assert.ok(!r.text.includes('412723199010050012'), 'no ID number');
        /* the other partner's keys: not found */
        const x = await call(KEYS.jieyang, 'GET', `/partner-api/v1/orders?${q}`);
        assert.equal(x.status, 404, `${q} seen by jieyang: ${x.text}`);
    }
    /* another partner's order answers exactly as one that does not exist */
    const foreign = await call(KEYS.jieyang, 'GET', `/partner-api/v1/orders?id=${h.id}`);
    const none = await call(KEYS.jieyang, 'GET', '/partner-api/v1/orders?id=999999999');
    assert.deepEqual([foreign.status, foreign.text], [none.status, none.text]);
    const own = await call(KEYS.jieyang, 'GET', `/partner-api/v1/orders?id=${j.id}`);
    assert.equal(own.status, 200);
    assert.equal((await call(k, 'GET', `/partner-api/v1/orders?id=${j.id}`)).status, 404);

    /* changed since, paged: hunan's pages hold hunan's order and none of jieyang's */
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 100; i++) {
        const q = cursor ? `cursor=${encodeURIComponent(cursor)}&limit=2` : 'since=2020-01-01T00:00:00Z&limit=2';
        const r = await call(k, 'GET', `/partner-api/v1/orders/changed?${q}`);
        assert.equal(r.status, 200, r.text);
        assert.ok(r.body.orders.length <= 2);
        seen.push(...r.body.orders.map((o) => o.id));
        cursor = r.body.next_cursor;
        if (!cursor)
            break;
    }
    assert.ok(seen.includes(h.id));
    assert.ok(!seen.includes(j.id));
    assert.equal(new Set(seen).size, seen.length, 'no order twice across pages');
    const theirs = psql(`SELECT count(*) FROM orders WHERE partner_code = 'hunan' AND status <> 'draft'`);
    assert.equal(seen.length, Number(theirs));
});

test('partner_api__rate_limited_per_key__another_partner_unaffected', { skip: SKIP }, async () => {
    const burst = await Promise.all(Array.from({ length: 90 }, () =>
        call(KEYS.jieyang, 'GET', '/partner-api/v1/orders/changed?since=2030-01-01T00:00:00Z')));
    const limited = burst.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, 'some of 90 requests at once are refused');
    assert.match(limited[0].body.message, /请求过于频繁/);
    assert.ok(burst.every((r) => r.status === 200 || r.status === 429));
    /* hunan's key is not slowed by jieyang's burst */
    assert.equal((await call(KEYS.hunan2, 'GET', '/partner-api/v1/orders/changed?since=2030-01-01T00:00:00Z')).status, 200);
});

test('partner_api__rate_per_partner_over_all_its_keys__as_data__audited', { skip: SKIP }, async () => {
    /* three keys of one partner whose limit is 3 calls a minute: 9 calls,
     * 3 a key (each within a limit per key), reach at most two minutes, so
     * at most 6 pass; another partner is not counted with it */
    const keys = [0, 1, 2].map((i) => ({ id: `rate-${run}-${i}`, secret: crypto.randomBytes(24).toString('hex') }));
    for (const k of keys)
        addPartnerKey('gdhj', k.id, k.secret, '1 hour');
    psql(`UPDATE partners SET api_rate_per_min = 3 WHERE code = 'gdhj'`);
    try {
        const got = [];
        for (let i = 0; i < 9; i++)
            got.push(await call(keys[i % 3], 'GET', '/partner-api/v1/orders/changed?since=2030-01-01T00:00:00Z'));
        assert.ok(got.every((r) => r.status === 200 || r.status === 429), got.map((r) => r.status).join(' '));
        const limited = got.filter((r) => r.status === 429);
        assert.ok(limited.length >= 3, `over 3 a minute for the partner: ${got.map((r) => r.status).join(' ')}`);
        assert.equal(limited[0].body.message, '请求过于频繁，请稍后再试');
        assert.equal((await call(KEYS.hunan2, 'GET', '/partner-api/v1/orders/changed?since=2030-01-01T00:00:00Z')).status, 200);
        /* each refusal on the audit trail */
        const rows = psql(`SELECT count(*) FROM audit_log WHERE entity = 'partner_api' AND actor = 'partner:gdhj'
            AND entity_id LIKE 'rate-${run}-%' AND detail->>'refused' = 'rate' AND detail->>'status' = '429'`);
        assert.equal(Number(rows), limited.length);
    } finally {
        psql(`UPDATE partners SET api_rate_per_min = DEFAULT WHERE code = 'gdhj'`);
    }
});

test('partner_api__rate_per_partner__parallel_calls_do_not_pass_it_together', { skip: SKIP }, async () => {
    /* 12 calls at once over three keys of a partner whose limit is 2 a
     * minute: the count and the refusal are one statement, so at most 4
     * pass (two minutes at most), however the calls interleave */
    const keys = [0, 1, 2].map((i) => ({ id: `prate-${run}-${i}`, secret: crypto.randomBytes(24).toString('hex') }));
    for (const k of keys)
        addPartnerKey('jieyang', k.id, k.secret, '1 hour');
    /* the earlier tests' calls of jieyang this minute forgotten: the limit's
     * count starts at 0 */
    psql(`UPDATE partners SET api_rate_per_min = 2 WHERE code = 'jieyang';
        DELETE FROM partner_api_rate WHERE partner_code = 'jieyang'`);
    try {
        const got = await Promise.all(Array.from({ length: 12 }, (_, i) =>
            call(keys[i % 3], 'GET', '/partner-api/v1/orders/changed?since=2030-01-01T00:00:00Z')));
        const codes = got.map((r) => r.status).join(' ');
        assert.ok(got.every((r) => r.status === 200 || r.status === 429), codes);
        assert.ok(got.filter((r) => r.status === 200).length <= 4, `at most 2 a minute passed: ${codes}`);
        assert.ok(got.some((r) => r.status === 200), codes);
    } finally {
        psql(`UPDATE partners SET api_rate_per_min = DEFAULT WHERE code = 'jieyang'`);
    }
});

test('partner_api__application_of_a_type_the_partner_does_not_sell__refused', { skip: SKIP }, async () => {
    /* 建筑工务署 sells 机构证书 only: a person's application would lead to a
     * form that has no such certificate */
    const key = { id: `szjsgws-${run}`, secret: crypto.randomBytes(24).toString('hex') };
    addPartnerKey('szjsgws', key.id, key.secret, '1 hour');
    const person = await call(key, 'POST', '/partner-api/v1/applications',
        { cert_type: 'person', name: '赵六', mobile: '13512345678' });
    assert.equal(person.status, 400, person.text);
    assert.equal(person.body.field, 'cert_type');
    assert.equal(person.body.message, '该项目不办理个人证书');
    assert.equal(psql(`SELECT count(*) FROM partner_links WHERE api_key_id = '${key.id}'`), '0');
    const org = await call(key, 'POST', '/partner-api/v1/applications',
        { cert_type: 'org', org_name: '深圳接口测试有限公司', org_id: '91110000600037341L' });
    assert.equal(org.status, 200, org.text);
});
