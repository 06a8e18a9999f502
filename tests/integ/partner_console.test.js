'use strict';
/*
 * Partners in the console (issue 63 §5, docs/partners.md "In the staff
 * console"): a partner's webhook URL, events, webhook secret and API keys,
 * set only through hall-pkitool and psql before, are managed at
 * /admin/partner by the administrators, four eyes: `admin` asks (a
 * staff_requests row, nothing changed), cannot approve it, `admin2`
 * approves on 待批准 and only then is the change made, with its audit rows;
 * a secret the hall makes is in that approval's answer once (no-store),
 * never in the database in clear, nor in an audit row, a request or a log,
 * and it works (the receiver checks the HMAC with it, the API accepts the
 * key); afterwards only its fingerprint is shown.  A URL that is not
 * https, or that resolves to a loopback, link-local, private, CGNAT,
 * unspecified or multicast address, is refused 400 naming url, unless
 * var/hall.conf names the address (the tests' conf names 127.0.0.1 and ::1,
 * the sandbox's receiver: script/lib/common.sh), and a delivery to an
 * address the conf does not name is refused before connecting, whatever
 * the URL said when it was set, and shown on the partner's page.
 * Before this, none of these routes existed (404).
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, SANDBOX, applicant } = require('./lib/client');
const { psql, unpaidOrder, orgForm } = require('./lib/payflow');
const { SKIP, waitFor } = require('./lib/hall');
const { staffLogin } = require('./lib/staff');

const P = 'gzmg';
const SELF_MSG = '不能批准或拒绝自己提出的申请，须由另一位工作人员处理';
const run = crypto.randomBytes(4).toString('hex');

const admin = () => staffLogin('admin', 'Admin2026demo');
const admin2 = () => staffLogin('admin2', 'Admin2026demo2');
const staffId = (login) => psql(`SELECT id FROM staff WHERE login = '${login}'`);
const requests = () => Number(psql("SELECT count(*) FROM staff_requests WHERE kind LIKE 'partner%'"));
const hook = () => psql(`SELECT coalesce(hook_url, '') || '|' || array_to_string(hook_events, ',') || '|' ||
    (hook_secret_enc IS NOT NULL) || '|' || (hook_secret IS NULL) FROM partners WHERE code = '${P}'`);

async function sb(p, body) {
    const r = await fetch(SANDBOX + p, body === undefined ? {} : {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return r.json();
}

/* every file of the hall's logs, as text */
function logs() {
    const dir = path.join(process.env.HALL_VAR, 'log');
    return fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile())
        .map((f) => fs.readFileSync(path.join(dir, f), 'latin1')).join('\n');
}

/* the secret in clear nowhere but the answer that showed it */
function nowhere(secret) {
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE detail::text LIKE '%${secret}%'`), '0', 'not audited');
    assert.equal(psql(`SELECT count(*) FROM staff_requests WHERE payload::text LIKE '%${secret}%'`), '0');
    assert.equal(psql(`SELECT count(*) FROM partners WHERE hook_secret = '${secret}' OR link_secret = '${secret}'`), '0');
    assert.ok(!logs().includes(secret), 'never logged');
}

/* a signed partner API call (docs/partners.md "Signing a request") */
async function api(keyId, secret, pathQuery) {
    const ts = Math.floor(Date.now() / 1000);
    const nonce = crypto.randomBytes(12).toString('hex');
    const sig = crypto.createHmac('sha256', secret).update(`GET\n${pathQuery}\n${ts}\n${nonce}\n`).digest('hex');
    const r = await fetch(HALL + pathQuery, {
        headers: {
            'X-Hall-Key-Id': keyId, 'X-Hall-Timestamp': String(ts), 'X-Hall-Nonce': nonce,
            'X-Hall-Signature': sig, Accept: 'application/json',
        },
    });
    return r.status;
}

function reset() {
    psql(`UPDATE partners SET hook_url = NULL, hook_events = '{}', hook_secret_enc = NULL WHERE code = '${P}'`);
}

before(() => {
    if (!SKIP)
        reset();
});

after(() => {
    if (!SKIP)
        reset();
});

test('partner_console__hook_url__asked_by_one_approved_by_another__applied_audited_secret_shown_once', { skip: SKIP }, async () => {
    const a = await admin();
    const before0 = hook();
    const page = await a.getJSON(`/admin/partner?code=${P}`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.partner.hooked, false);
    assert.equal(page.body.partner.hook_secret_set, false);

    const url = `${SANDBOX}/partner/hook/${P}`;
    const ask = await a.post('/admin/partner/hook', {
        code: P, url, events: 'order.submitted,order.paid', reason: '合作方提供了新的回调地址',
    });
    assert.equal(ask.status, 200, ask.text);
    const rid = ask.body.request_id;
    assert.ok(rid > 0, ask.text);
    assert.equal(ask.body.redirect, `/admin/partner?code=${P}`);
    assert.equal(hook(), before0, 'nothing changed by the request');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff_request' AND entity_id = '${rid}'
        AND action = 'request' AND actor = 'staff:${staffId('admin')}'`), '1');

    /* one pending request per thing */
    const twice = await a.post('/admin/partner/hook', { code: P, url, events: 'order.paid', reason: '再次申请' });
    assert.equal(twice.status, 409, twice.text);
    assert.equal(twice.body.field, 'url');
    assert.match(twice.body.message, new RegExp(`编号 ${rid}，admin提出`));

    /* the requester cannot approve it; a reviewer may not at all */
    const self = await a.post('/admin/partner/approve', { id: rid });
    assert.equal(self.status, 403, self.text);
    assert.equal(self.body.message, SELF_MSG);
    const rev = await staffLogin('reviewer', 'Reviewer2026demo');
    assert.equal((await rev.post('/admin/partner/approve', { id: rid })).status, 403);
    assert.equal((await rev.getJSON(`/admin/partner?code=${P}`)).status, 403);
    assert.equal(hook(), before0);

    /* 待批准 names it, and sends its approval to the page that shows the secret */
    const b = await admin2();
    const row = (await b.getJSON('/admin/approvals')).body.pending.find((r) => r.id === rid);
    assert.ok(row, 'pending on /admin/approvals');
    assert.equal(row.kind, 'partner_hook');
    assert.equal(row.approve_url, '/admin/partner/approve');
    assert.equal(row.reveal, true);
    assert.ok(row.what.includes(url) && row.what.includes('提交申请（order.submitted）'), row.what);

    /* the answer that shows the secret is never stored by a cache */
    const res = await fetch(`${HALL}/admin/partner/approve`, {
        method: 'POST', redirect: 'manual',
        headers: {
            Cookie: b.cookieHeader(), 'X-CSRF-Token': b.csrf, Accept: 'application/json',
            'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ id: rid, note: '已核对合作方来函' }).toString(),
    });
    const ok = { status: res.status, text: await res.text() };
    assert.equal(ok.status, 200, ok.text);
    ok.body = JSON.parse(ok.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(ok.body.kind, 'partner_hook');
    const secret = ok.body.secret;
    assert.match(secret, /^[0-9a-f]{48}$/, 'a new webhook secret, the partner had none');
    assert.equal(ok.body.fingerprint, crypto.createHash('sha256').update(secret).digest('hex').slice(0, 16));
    assert.equal(hook(), `${url}|order.submitted,order.paid|true|true`, 'applied, the secret encrypted');

    /* audited in the approval's transaction: who asked, who approved, never the secret */
    const audit = psql(`SELECT actor || '|' || coalesce(from_state, '') || '|' || to_state || '|' ||
        (detail->>'requested_by') || '|' || (detail->>'events') || '|' || (detail->>'hook_secret_fingerprint')
        FROM audit_log WHERE entity = 'partner' AND entity_id = '${P}' AND action = 'hook_set'
        AND (detail->>'request_id')::bigint = ${rid}`);
    assert.equal(audit, `staff:${staffId('admin2')}||${url}|staff:${staffId('admin')}|order.submitted,order.paid|${ok.body.fingerprint}`);
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'staff_request' AND entity_id = '${rid}'
        AND action = 'approve' AND actor = 'staff:${staffId('admin2')}'`), '1');
    nowhere(secret);

    /* once: the request is decided, the pages show the fingerprint only */
    const again = await b.post('/admin/partner/approve', { id: rid });
    assert.equal(again.status, 409, again.text);
    assert.ok(!again.text.includes(secret));
    for (const p of [`/admin/partner?code=${P}`, '/admin/partners', '/admin/approvals']) {
        const r = await b.get(p);
        assert.equal(r.status, 200, p);
        assert.ok(!r.text.includes(secret), `${p} does not show the secret`);
    }
    const after0 = (await b.getJSON(`/admin/partner?code=${P}`)).body.partner;
    assert.equal(after0.hook_url, url);
    assert.equal(after0.hook_secret_fingerprint, ok.body.fingerprint);
    assert.deepEqual(after0.hook_events.map((e) => e.event), ['order.submitted', 'order.paid']);
    const same = await a.post('/admin/partner/hook', { code: P, url, events: 'order.paid,order.submitted', reason: '重复' });
    assert.equal(same.status, 409, same.text);
    assert.equal(same.body.field, 'url');
    assert.match(same.body.message, /与当前设置相同/);

    /* and it is the secret the events are signed with */
    await sb('/sandbox/partner/config', { partner: P, secret, clear: true });
    const c = await applicant();
    const o = await unpaidOrder(c, { project: P, form: orgForm() });
    const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    const got = await waitFor('the event at the receiver', async () => {
        const r = (await sb(`/sandbox/partner/received?partner=${P}`)).received
            .filter((x) => x.body && x.body.order.order_no === no);
        return r.length > 0 ? r : null;
    }, { timeoutMs: 30000 });
    assert.equal(got[0].event, 'order.submitted');
    assert.equal(got[0].hmac_ok, true, 'signed with the secret shown once');
});

test('partner_console__loopback_private_link_local_urls__refused_400_naming_url__nothing_asked', { skip: SKIP }, async () => {
    const a = await admin();
    const n0 = requests();
    const refused = [
        'https://10.0.0.5/hook', 'https://172.16.3.4/hook', 'https://192.168.1.10/hook',
        'https://169.254.169.254/latest/meta-data', 'https://100.64.0.1/hook', 'https://0.0.0.0/hook',
        'https://224.0.0.1/hook', 'https://127.0.0.2/hook', 'https://[::ffff:127.0.0.1]/hook',
        'https://[fe80::1]/hook', 'https://[fd00::1]/hook', 'https://[::ffff:10.0.0.1]/hook', 'https://[64:ff9b::a00:1]/hook',
    ];
    for (const url of refused) {
        const r = await a.post('/admin/partner/hook', { code: P, url, events: 'order.paid', reason: '测试' });
        assert.equal(r.status, 400, `${url}: ${r.text}`);
        assert.equal(r.body.field, 'url', url);
        assert.match(r.body.message, /^回调地址指向(本机回环|链路本地|内网|运营商级NAT|未指定|组播)地址 .*不能使用/, url);
    }
    for (const [url, msg] of [
        ['http://93.184.216.34/hook', /须以 https:\/\/ 开头/],
        ['ftp://93.184.216.34/hook', /须以 https:\/\/ 开头/],
        ['https://user:pw@93.184.216.34/hook', /不能含用户名和密码/],
        ['https://no-such-host.invalid/hook', /无法解析/],
        ['https://93.184.216.34/a b', /空格/],
    ]) {
        const r = await a.post('/admin/partner/hook', { code: P, url, events: 'order.paid', reason: '测试' });
        assert.equal(r.status, 400, `${url}: ${r.text}`);
        assert.equal(r.body.field, 'url', url);
        assert.match(r.body.message, msg, url);
    }
    /* the other fields, each named */
    const url = `${SANDBOX}/partner/hook/${P}`;
    for (const [fields, status, field, msg] of [
        [{ url, events: 'order.paid,order.lost' }, 400, 'events', /回调事件“order.lost”不存在/],
        [{ url, events: '' }, 400, 'events', /请至少选择一个回调事件/],
        [{ url, events: 'order.paid', reason: '' }, 400, 'reason', /申请理由/],
        [{ url, events: 'order.paid', code: 'nosuch' }, 404, 'code', /合作方不存在/],
        [{ url: `${url}/${'x'.repeat(500)}`, events: 'order.paid' }, 400, 'url', /回调地址/],
    ]) {
        const r = await a.post('/admin/partner/hook', { code: P, reason: '测试', ...fields });
        assert.equal(r.status, status, r.text);
        assert.equal(r.body.field, field, r.text);
        assert.match(r.body.message, msg);
    }
    assert.equal(requests(), n0, 'no request written');
});

test('partner_console__api_key_added_and_revoked_by_four_eyes__secret_once_works_then_refused', { skip: SKIP }, async () => {
    const a = await admin();
    const b = await admin2();
    const keyId = `${P}-${run}`;
    for (const [fields, field] of [
        [{ key_id: 'short' }, 'key_id'], [{ key_id: 'bad id with spaces' }, 'key_id'],
        [{ key_id: keyId, days: '0' }, 'days'], [{ key_id: keyId, days: '5000' }, 'days'],
    ]) {
        const r = await a.post('/admin/partner/key', { code: P, reason: '测试', ...fields });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.field, field, r.text);
    }
    const ask = await a.post('/admin/partner/key', { code: P, key_id: keyId, days: '30', reason: '合作方新系统上线' });
    assert.equal(ask.status, 200, ask.text);
    assert.equal(psql(`SELECT count(*) FROM partner_api_keys WHERE key_id = '${keyId}'`), '0', 'not before approval');
    assert.equal((await a.post('/admin/partner/approve', { id: ask.body.request_id })).status, 403);

    const ok = await b.post('/admin/partner/approve', { id: ask.body.request_id });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.key_id, keyId);
    assert.match(ok.body.secret, /^[0-9a-f]{64}$/);
    assert.match(ok.body.not_after, /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    const secret = ok.body.secret;
    assert.equal(psql(`SELECT (secret IS NULL) || '|' || (secret_enc IS NOT NULL) || '|' ||
        (not_after - now() BETWEEN interval '29 days 23 hours' AND interval '30 days')
        FROM partner_api_keys WHERE key_id = '${keyId}' AND partner_code = '${P}'`), 'true|true|true');
    assert.equal(psql(`SELECT actor FROM audit_log WHERE entity = 'partner_api_key' AND entity_id = '${keyId}'
        AND action = 'added'`), `staff:${staffId('admin2')}`);
    nowhere(secret);
    assert.equal(await api(keyId, secret, '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z&limit=1'), 200);

    const list = (await a.getJSON('/admin/partners')).body.partners.find((p) => p.code === P);
    const k = list.keys.find((x) => x.key_id === keyId);
    assert.deepEqual([k.state, k.fingerprint], ['active', ok.body.fingerprint]);
    assert.ok(!JSON.stringify(list).includes(secret));

    /* revoked: asked, approved by the other, refused at once */
    const rv = await a.post('/admin/partner/key/revoke', { code: P, key_id: keyId, reason: '密钥疑似泄露' });
    assert.equal(rv.status, 200, rv.text);
    const changed = '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z&limit=1';
    assert.equal(await api(keyId, secret, changed), 200, 'still valid until approved');
    const done = await b.post('/admin/partner/approve', { id: rv.body.request_id });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.secret, undefined);
    assert.equal(await api(keyId, secret, changed), 401);
    assert.equal(psql(`SELECT actor || '|' || from_state || '|' || to_state FROM audit_log
        WHERE entity = 'partner_api_key' AND entity_id = '${keyId}' AND action = 'revoked'`),
    `staff:${staffId('admin2')}|active|revoked`);
    const again = await a.post('/admin/partner/key/revoke', { code: P, key_id: keyId, reason: '再次' });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.field, 'key_id');
    const other = await a.post('/admin/partner/key/revoke', { code: 'hunan', key_id: keyId, reason: '错的合作方' });
    assert.equal(other.status, 404, other.text);
});

test('partner_console__delivery_to_an_address_the_conf_refuses__stopped_before_connecting', { skip: SKIP }, async () => {
    /* set as the URL rule would refuse it (psql: a name that resolved
     * elsewhere when it was set); the next try is refused by the sender */
    const secret = 'test-only-console-hook-secret-0123456789';
    require('./lib/secrets').setPartnerSecret(P, 'hook', secret);
    psql(`UPDATE partners SET hook_url = 'http://127.0.0.2:${new URL(SANDBOX).port}/partner/hook/${P}',
        hook_events = '{order.submitted}' WHERE code = '${P}'`);
    await sb('/sandbox/partner/config', { partner: P, secret, clear: true });
    const c = await applicant();
    const o = await unpaidOrder(c, { project: P, form: orgForm() });
    const job = await waitFor('the first try', () => {
        const r = psql(`SELECT o.attempts || '|' || coalesce(o.last_error, '') FROM partner_events e
            JOIN outbox o ON o.id = e.outbox_id WHERE e.order_id = ${o.id}`);
        return r && !r.startsWith('0|') ? r : null;
    }, { timeoutMs: 30000 });
    assert.equal(job, '1|hook_url reaches a private address (partner_hook_allow_private)');
    assert.equal((await sb(`/sandbox/partner/received?partner=${P}`)).received.length, 0, 'nothing reached it');
    /* the failure is on the partner's console page */
    const f = (await (await admin()).getJSON(`/admin/partner?code=${P}`)).body.failures;
    assert.ok(f.some((x) => x.last_error === 'hook_url reaches a private address (partner_hook_allow_private)'),
        JSON.stringify(f));
});
