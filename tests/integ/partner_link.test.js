'use strict';
/*
 * Signed entry links (Hunan): valid, tampered, expired, replayed; the data
 * arrives pre-filled after an SMS login; nobody else can use the ticket.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { Client, applicant } = require('./lib/client');

const SECRET = 'dev-only-hunan-link-secret-change-me';

/* the partner's side, written from docs/partners.md: names and values
 * percent-encoded as RFC 3986 says (encodeURIComponent leaves !'()* alone) */
const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function signedQuery(params, { secret = SECRET, ts = Math.floor(Date.now() / 1000) } = {}) {
    const p = { ts: String(ts), nonce: crypto.randomBytes(8).toString('hex'), ...params };
    const canon = Object.keys(p).sort().map((k) => `${pct(k)}=${pct(p[k])}`).join('&');
    p.sign = crypto.createHmac('sha256', secret).update(canon).digest('hex');
    return new URLSearchParams(p).toString();
}

const PERSON = { cert_type: 'person', name: '王五', ric: '44011320141005001X', mobile: '13700137000' };

test('partner_link__valid__login_then_prefilled_form', async () => {
    const c = await applicant();
    const r = await c.get(`/hunan/new/entry?${signedQuery(PERSON)}`);
    assert.equal(r.status, 303);
    const loc = r.headers.get('location');
    assert.match(loc, /^\/hunan\/new\?project=hunan&link=[A-Za-z0-9_-]{43}$/);
    const agree = await c.get(loc);
    assert.equal(agree.status, 200);
    const link = loc.match(/link=([^&]+)/)[1];
    assert.ok(agree.text.includes(`name="link" value="${link}"`));
    const a = await c.post('/hunan/new/agree', { project: 'hunan', agree1: 'on', agree2: 'on', link });
    assert.equal(a.status, 200, a.text);
    const form = await c.get(a.body.redirect);
    assert.equal(form.status, 200);
    assert.match(form.text, /已从湖南省公共资源交易服务平台带入您的信息/);
    assert.ok(form.text.includes('value="王五"'));
    assert.ok(form.text.includes('value="44011320141005001X"'));
    assert.match(form.text, /<option value="person"[^>]*selected>个人证书/);
    /* the ticket belongs to this applicant now */
    const other = await applicant();
    await other.get('/hunan/new?project=hunan');
    await other.post('/hunan/new/agree', { project: 'hunan', agree1: 'on', agree2: 'on' });
    const stolen = await other.get(`/hunan/new/apply?project=hunan&link=${link}`);
    assert.equal(stolen.status, 200);
    assert.ok(!stolen.text.includes('44011320141005001X'), 'another user must not see the data');
});

test('partner_link__anonymous__sent_to_sms_login_with_next', async () => {
    const c = new Client();
    const r = await c.get(`/hunan/new/entry?${signedQuery({ cert_type: 'org', org_name: '湖南测试有限公司',
        org_id: '91110000600037341L' })}`);
    assert.equal(r.status, 303);
    assert.match(r.headers.get('location'), /^\/hunan\/login\?next=%2Fhunan%2Fnew%3Fproject%3Dhunan%26link%3D/);
    const login = await c.get(r.headers.get('location'));
    assert.equal(login.status, 200);
    assert.match(login.text, /短信验证码/);
});

test('partner_link__tampered_expired_replayed_refused', async () => {
    const c = await applicant();
    const q = signedQuery(PERSON);
    const tampered = q.replace(encodeURIComponent('王五'), encodeURIComponent('赵六'));
    let r = await c.get(`/hunan/new/entry?${tampered}`);
    assert.equal(r.status, 403);
    assert.match(r.text, /链接签名无效/);
    r = await c.get(`/hunan/new/entry?${signedQuery(PERSON, { secret: 'x'.repeat(36) })}`);
    assert.equal(r.status, 403);
    r = await c.get(`/hunan/new/entry?${signedQuery(PERSON, { ts: Math.floor(Date.now() / 1000) - 660 })}`);
    assert.equal(r.status, 403);
    assert.match(r.text, /链接已过期/);
    r = await c.get(`/hunan/new/entry?${q}`);
    assert.equal(r.status, 303);
    r = await c.get(`/hunan/new/entry?${q}`);
    assert.equal(r.status, 403);
    assert.match(r.text, /该链接已使用过/);
    r = await c.get(`/jieyang/new/entry?${signedQuery(PERSON)}`);
    assert.equal(r.status, 404, 'a partner without a secret has no entry links');
});

test('partner_link__example_script_builds_a_link_that_works', async () => {
    const url = execFileSync(path.join(__dirname, '..', '..', 'script', 'partner-link'),
        ['--partner', 'hunan', '--secret', SECRET, '--base', process.env.HALL_URL || '',
            'cert_type=org', 'org_name=湖南示例有限公司', 'org_id=91110000600037341L'],
        { encoding: 'utf8' }).trim();
    const c = await applicant();
    const r = await c.get(url.slice((process.env.HALL_URL || '').length));
    assert.equal(r.status, 303, url);
});
