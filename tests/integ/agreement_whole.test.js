'use strict';
/*
 * 《电子认证服务协议》 2026.3 (sql/181; issue 72 §4): the agreement every flow
 * shows is the whole one, no sandbox text: the seeds' preamble and clauses
 * 1-9 (seeds 001, 002) word for word as 2024.1 keeps them, then application
 * and review, issuance, use, the key's custody on a USB key or in the
 * browser, renewal, change, reissue and unlock, revocation, fees, SZCA's
 * duties, liability, personal data, the agreement's changes, law and
 * disputes.  An applicant who accepted 2026.2 accepts 2026.3 anew before
 * the form.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP } = require('./lib/hall');
const { applicant } = require('./lib/client');
const { psql } = require('./lib/pki');

function unescape(s) {
    return s.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
        .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(Number(d)))
        .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/* the agreements' bodies on a page, by code, as the browser reads them */
function bodies(html) {
    return Object.fromEntries([...html.matchAll(
        /<details class="agreement" id="agreement-([a-z_]+)">([\s\S]*?)<div class="agreement-body"[^>]*>([\s\S]*?)<\/div>/g)]
        .map((m) => [m[1], { head: m[2], body: unescape(m[3]) }]));
}

test('cert_service_2026_3__every_flow__whole_agreement__seed_clauses_kept__no_sandbox_text', { skip: SKIP }, async () => {
    const c = await applicant();
    const old = psql(`SELECT body FROM agreements WHERE code = 'cert_service' AND version = '2024.1'`);
    /* the seeds' lines as 2024.1 keeps them: the preamble and clauses 1-9 */
    const kept = old.split('\n').filter((l) => /^(深圳市电子商务安全证书管理有限公司（以下简称SZCA）|一、|[1-9]\. )/.test(l));
    assert.equal(kept.length, 11, old);
    for (const path of ['/new?project=jieyang', '/reissue?project=hall', '/seal?project=hall',
        '/change?project=hall', '/renew?project=hall', '/unlock?project=hall', '/szjsgws/new?project=szjsgws']) {
        const page = await c.get(path);
        assert.equal(page.status, 200, `${path}: ${page.text}`);
        const svc = bodies(page.text).cert_service;
        assert.ok(svc, `${path}: the service agreement shown`);
        assert.match(svc.head, /版本2026\.3/, path);
        const body = svc.body;
        assert.doesNotMatch(body, /沙箱|开发与测试|仅用于|未随指引保留/, `${path}: no sandbox text`);
        for (const line of kept)
            assert.ok(body.includes(line), `${path}: the seed's clause kept: ${line.slice(0, 30)}`);
        for (const part of ['二、证书的申请与审核', '三、证书的签发与接受', '四、证书的使用', '五、证书介质与密钥的保管',
            '六、证书的更新、变更、补办与解锁', '七、证书的撤销', '八、SZCA的权利与责任', '九、费用',
            '十、责任的限制与免责', '十一、个人信息', '十二、协议的生效、变更与终止', '十三、法律适用与争议解决'])
            assert.ok(body.includes(part), `${path}: ${part}`);
        /* the custody as the hall does it: a USB key's key born inside it, a
         * browser's in the browser, neither held by the hall; a browser
         * file's forgotten PIN is 解锁 with a new key, not a new application */
        assert.match(body, /密钥对在USB Key内部生成，私钥不能从USB Key中导出/);
        assert.match(body, /密钥对在用户本人的浏览器中生成/);
        assert.match(body, /SZCA不持有、不备份用户的私钥/);
        assert.match(body, /浏览器生成的证书文件无法解开，审核通过后由用户在浏览器中生成新的密钥/);
        assert.match(body, /有管辖权的人民法院/);
    }
});

test('cert_service_2026_3__accepted_2026_2_only__asked_again_before_the_form', { skip: SKIP }, async () => {
    const c = await applicant();
    assert.equal((await c.get('/new?project=jieyang')).status, 200);
    const uid = psql(`SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1`);
    /* every current agreement accepted, the service agreement at 2026.2 */
    psql(`INSERT INTO agreement_acceptances (user_id, agreement_code, agreement_version, partner_code, ip, context,
            no_publish)
          SELECT ${uid}, a.code, CASE WHEN a.code = 'cert_service' THEN '2026.2' ELSE a.version END, 'jieyang',
                 '127.0.0.1', 'flow:new', false FROM agreements_for('jieyang', 'new') a`);
    const apply = await c.get('/new/apply?project=jieyang');
    assert.equal(apply.status, 303, 'the new version is accepted anew first');
    assert.equal(apply.headers.get('location'), '/new?project=jieyang');
    const r = await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT count(*) FROM agreement_acceptances WHERE user_id = ${uid}
        AND agreement_code = 'cert_service' AND agreement_version = '2026.3'`), '1');
    assert.equal((await c.get('/new/apply?project=jieyang')).status, 200);
});
