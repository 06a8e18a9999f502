'use strict';
/*
 * 我的电子印章's 生成印章密钥 in headless Chromium (issue 64 §2; docs/modules/
 * seal.md, "The holder's own key"): an SM2 seal order with a 机构业务章,
 * its 机构证书 made from the applicant's request (POST /pki/csr); its applicant, logged in, sees the 业务章 待生成印章密钥, types a
 * PIN twice and clicks 生成印章密钥; the page makes the SM2 key, the hall
 * issues the 机构业务证书 and the seal, and the page saves a PKCS#12 that
 * `openssl pkcs12` opens with the PIN typed, whose certificate is the
 * register's (SM2, key_origin browser, no p12_enc) and certifies the key in
 * the file; axe finds no violation before and after.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant, freshPhone } = require('../integ/lib/client');
const { launchChromium, signIn } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { tmpdir, openssl, psql, orgForm } = require('../integ/lib/pki');
const { holderKey } = require('../integ/lib/holder');
const { toApply } = require('../integ/lib/seal');

const PIN = 'Seal2026biz';
const SKIP = !process.env.HALL_URL;

async function producedBizSeal() {
    const c = await applicant();
    const key = await toApply(c);
    const form = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key, ca: 'sm2',
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '0', biz_count: '1', biz_years: '1', biz_1_name: '财务专用章', biz_1_style: 'auto', person_count: '0',
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    /* the order's 机构证书: its key born in the applicant's browser too */
    await holderKey(c, id);
    return { c, id, esId: `SZCA${String(id).padStart(12, '0')}B01`, org: form.org_name };
}

test('seal_sm2_business__key_made_on_my_seals_page__p12_opened_by_openssl_with_the_pin_typed', { skip: SKIP }, async () => {
    const s = await producedBizSeal();
    const browser = await launchChromium();
    const dir = tmpdir();
    try {
        const ctx = await browser.newContext({ acceptDownloads: true, locale: 'zh-CN' });
        await signIn(ctx, s.c);
        const page = await ctx.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        a11y.track(page);
        await page.goto(`${HALL}/seal/seals?id=${s.id}`);
        const form = page.locator(`form.bizkey[data-es="${s.esId}"]`);
        assert.match(await page.locator('#seal-list').innerText(), /待生成印章密钥/);
        await a11y.check(page, '我的电子印章, SM2 业务章 waiting');
        /* a weak PIN is refused in the page: nothing sent */
        await form.locator('.bizkey-pin').fill('12345678');
        await form.locator('.bizkey-pin2').fill('12345678');
        await form.locator('.bizkey-go').click();
        await form.locator('.bizkey-err:not([hidden])').waitFor();
        assert.match(await form.locator('.bizkey-err').innerText(), /同时包含字母和数字/);
        assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${s.id} AND seal_item_id IS NOT NULL`), '0');

        await form.locator('.bizkey-pin').fill(PIN);
        await form.locator('.bizkey-pin2').fill(PIN);
        const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }),
            form.locator('.bizkey-go').click()]);
        const p12 = path.join(dir, 'biz.p12');
        await dl.saveAs(p12);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${s.id} AND state = 'issued'
            AND seal_item_id IS NOT NULL`);
        assert.equal(dl.suggestedFilename(), `${serial}.p12`);
        const row = page.locator('#seal-list tbody tr').first();
        assert.match(await row.locator('.seal-state').innerText(), new RegExp(`印章 ${s.esId} 已制作`));
        const [sd] = await Promise.all([page.waitForEvent('download'), row.locator('.bizkey-seal').click()]);
        assert.equal(sd.suggestedFilename(), `${s.esId}.seseal`);

        /* openssl opens it with the PIN typed; its certificate is the register's, SM2, for its key */
        const leaf = path.join(dir, 'leaf.pem'), key = path.join(dir, 'key.pem');
        assert.equal(openssl(['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', `pass:${PIN}`, '-out', leaf]).status, 0);
        assert.equal(openssl(['pkcs12', '-in', p12, '-nocerts', '-nodes', '-passin', `pass:${PIN}`, '-out', key]).status, 0);
        assert.equal(openssl(['x509', '-in', leaf, '-noout', '-serial']).stdout.trim(), `serial=${serial}`);
        assert.match(openssl(['x509', '-in', leaf, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus']).stdout,
            new RegExp(`CN=${s.org}财务专用章`));
        assert.equal(openssl(['x509', '-in', leaf, '-noout', '-pubkey']).stdout,
            openssl(['pkey', '-in', key, '-pubout']).stdout);
        assert.equal(psql(`SELECT (p12_enc IS NULL) || ',' || key_origin || ',' || ca FROM certificates
            WHERE serial = '${serial}'`), 'true,browser,sm2');
        assert.equal(psql(`SELECT cert_serial FROM seseals WHERE es_id = '${s.esId}'`), serial);
        await a11y.check(page, '我的电子印章, SM2 业务章 made');
        /* reloaded: the seal listed 有效 */
        await page.reload();
        assert.match(await page.locator('#seal-list tbody tr').first().locator('.seal-state').innerText(), /^有效/);
        assert.deepEqual(errors, [], 'no page errors');
    } finally {
        await browser.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
