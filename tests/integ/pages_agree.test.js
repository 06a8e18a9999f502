'use strict';
/*
 * The pages agree with each other (issue 40 §5): the channel just chosen
 * stays chosen on the pay page; 证书选择 says 即将到期 where 我的证书 does;
 * 我的证书's 变更 goes through 操作提示 and the agreements to 证书选择
 * with the certificate chosen; the header names the hall the same way on
 * every applicant's page; the 金融认证 page names the memo's words.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant } = require('./lib/client');
const {
    psql, unpaidOrder, payOnline, confirmTrade, waitStatus, lastTransfer,
} = require('./lib/payflow');
const { operator, acceptedByTransfer } = require('./lib/pki');

const SKIP = !process.env.HALL_URL;

const checked = (html, value) =>
    new RegExp(`<input type="radio" name="channel" value="${value}" checked>`).test(html);

test('pay page: 微信支付 chosen stays chosen under its QR code', { skip: SKIP }, async () => {
    const c = await applicant();
    const o = await unpaidOrder(c);
    const first = await c.get(`/pay?id=${o.id}`);
    assert.ok(checked(first.text, 'alipay') && !checked(first.text, 'wechat'), '支付宝 by default');
    await payOnline(c, o.id, 'wechat');
    const page = await c.get(`/pay?id=${o.id}&qr=wechat`);
    assert.match(page.text, /id="pay-qr"/);
    assert.ok(checked(page.text, 'wechat'), '微信支付 still checked');
    assert.ok(!checked(page.text, 'alipay'));
    /* and when coming back later without the QR code */
    const again = await c.get(`/pay?id=${o.id}`);
    assert.ok(checked(again.text, 'wechat') && !checked(again.text, 'alipay'));
});

async function issuedFor() {
    const op = await operator();
    const o = await acceptedByTransfer();
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    return { ...o, serial };
}

test('证书选择 and 我的证书 give a certificate in its last 30 days the same state; 变更 goes through 操作提示',
    { skip: SKIP }, async () => {
        const o = await issuedFor();
        psql(`UPDATE certificates SET not_after = now() + interval '10 days' WHERE serial = '${o.serial}'`);
        const mine = (await o.c.getJSON('/center/certs')).body.certs.find((x) => x.serial === o.serial);
        assert.equal(mine.state_label, '即将到期');
        const change = mine.actions.find((a) => a.id === 'change');
        assert.ok(change, JSON.stringify(mine.actions));
        assert.equal(change.url, `/change/notice?project=jieyang&serial=${o.serial}`);

        /* 操作提示 -> the agreements -> 证书选择, the certificate carried on */
        const notice = await o.c.get(change.url);
        assert.equal(notice.status, 200);
        assert.match(notice.text, /证书变更 · 操作提示/);
        const next = notice.text.match(/id="notice-ok" href="([^"]+)"/)[1].replace(/&amp;/g, '&');
        assert.equal(next, `/change?project=jieyang&serial=${o.serial}`);
        const agree = await o.c.get(next);
        assert.equal(agree.status, 200);
        assert.match(agree.text, new RegExp(`<input type="hidden" name="serial" value="${o.serial}">`));
        const a = await o.c.post('/change/agree', { project: 'jieyang', agree1: 'on', agree2: 'on', serial: o.serial });
        assert.equal(a.status, 200, a.text);
        assert.equal(a.body.redirect, `/change/serial?project=jieyang&serial=${o.serial}`);
        const choose = await o.c.get(a.body.redirect);
        assert.equal(choose.status, 200);
        const row = choose.text.match(new RegExp(`<tr data-serial="${o.serial}"[^>]*>([\\s\\S]*?)</tr>`))[1];
        assert.match(row, /<td>即将到期<\/td>/);
        /* typed by hand (JSON): the same words */
        const j = await o.c.getJSON(`/change/serial?project=jieyang&serial=${o.serial}`);
        assert.equal(j.body.cert.status_label, '即将到期');

        /* 更新's 操作提示 carries it the same way */
        const rn = await o.c.get(`/renew/notice?project=hall&serial=${o.serial}`);
        assert.equal(rn.status, 200);
        assert.ok(rn.text.includes(`href="/renew?project=hall&amp;serial=${o.serial}"`), 'the notice leads on with it');
        /* nothing else rides along */
        const odd = await o.c.get('/change/notice?project=jieyang&serial=%22x');
        assert.ok(odd.text.includes('href="/change?project=jieyang"'));
    });

test('the header names the hall the same on every applicant\'s page', { skip: SKIP }, async () => {
    const anon = new Client();
    const c = await applicant();
    const brand = (html) => (html.match(/<a class="brand" href="[^"]*">([^<]*)<\/a>/) || [])[1];
    for (const [who, p] of [[anon, '/'], [anon, '/login'], [anon, '/faq'], [anon, '/seal/verify'],
        [c, '/center/orders'], [c, '/center/certs'], [c, '/account/profile'], [c, '/new?project=jieyang']]) {
        const r = await who.get(p);
        assert.equal(r.status, 200, p);
        assert.equal(brand(r.text), '深圳CA网上营业厅', p);
    }
    const hunan = psql("SELECT name FROM partners WHERE code = 'hunan'");
    for (const p of ['/hunan/', '/hunan/center/orders', '/hunan/center/certs', '/hunan/new?project=hunan'])
        assert.equal(brand((await c.get(p)).text), hunan, p);
});

test('金融认证: the page says how the memo names the code', { skip: SKIP }, async () => {
    const c = await applicant();
    const o = await unpaidOrder(c);
    await confirmTrade(await payOnline(c, o.id));
    await waitStatus(o.id, 'finauth_ok');
    const memo = (await lastTransfer(o.account)).memo;
    const words = memo.split(':')[0];
    assert.ok(words.length > 0, memo);
    const page = await c.get(`/finauth?id=${o.id}`);
    assert.equal(page.status, 200);
    const hint = page.text.match(/<p class="hint" id="memo-words">([^<]*)<\/p>/);
    assert.ok(hint, 'the page names the memo\'s words');
    assert.ok(hint[1].includes(`“${words}:”`), `${hint[1]} names ${words}`);
});
