'use strict';
/*
 * 机构个人章密钥生成 in headless Chromium (issue 64 §2; docs/modules/seal.md,
 * "The holder's own key"): a seal order with a 机构个人章 produced; the
 * holder, without an account, opens /seal/holder, types the seal's code and
 * the code of the SMS and a PIN twice; the page makes the key, the hall
 * issues the 机构个人证书 and the seal, and the page saves a PKCS#12 that
 * `openssl pkcs12` opens with the PIN typed, whose certificate is the
 * register's (key_origin browser, no p12_enc) and certifies the key in the
 * file; and the .seseal listing it.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant, freshPhone } = require('../integ/lib/client');
const { launchChromium } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { operator, smsTo, tmpdir, openssl, psql, orgForm } = require('../integ/lib/pki');
const { toApply } = require('../integ/lib/seal');

const PIN = 'Seal2026holder';

async function producedPersonSeal() {
    const c = await applicant();
    const key = await toApply(c);
    const phone = freshPhone('135');
    const form = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key,
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '0', biz_count: '0', person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X',
        person_1_years: '1', person_1_style: 'auto', person_1_mobile: phone,
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    const made = await (await operator()).post('/admin/pki/issue', { id });
    assert.equal(made.status, 200, made.text);
    const sms = await smsTo(phone, /印章编码/);
    const [, esId, code] = sms.match(/印章编码(SZCA\d{12}P\d{2}).*验证码([2-9A-HJ-NP-Z]{10})/);
    return { id, esId, code, org: form.org_name };
}

test('seal_holder__key_made_in_the_page__p12_opened_by_openssl_with_the_pin_typed', async () => {
    const s = await producedPersonSeal();
    const browser = await launchChromium();
    const dir = tmpdir();
    try {
        const ctx = await browser.newContext({ acceptDownloads: true });
        const page = await ctx.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        a11y.track(page);
        await page.goto(`${HALL}/seal/holder`);
        assert.match(await page.textContent('#sealkey-intro'), /网上营业厅不持有私钥/);
        await a11y.check(page, '机构个人章密钥生成');
        await page.fill('#sealkey-es', s.esId);
        await page.fill('#sealkey-code', s.code);
        /* a weak PIN is refused in the page: nothing sent */
        await page.fill('#sealkey-pin', '12345678');
        await page.fill('#sealkey-pin2', '12345678');
        await page.click('#sealkey-go');
        await page.waitForSelector('#sealkey-err:not([hidden])');
        assert.match(await page.textContent('#sealkey-err'), /同时包含字母和数字/);
        assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${s.id} AND seal_item_id IS NOT NULL`), '0');

        await page.fill('#sealkey-pin', PIN);
        await page.fill('#sealkey-pin2', PIN);
        const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#sealkey-go')]);
        const p12 = path.join(dir, 'holder.p12');
        await dl.saveAs(p12);
        await page.waitForSelector('#sealkey-done:not([hidden])');
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${s.id} AND state = 'issued'
            AND seal_item_id IS NOT NULL`);
        assert.equal(dl.suggestedFilename(), `${serial}.p12`);
        assert.match(await page.textContent('#sealkey-done'), new RegExp(`机构个人章 ${s.esId} 已制作`));
        assert.equal(await page.inputValue('#sealkey-pin'), '', 'the PIN is not left in the page');
        /* the seal file, offered beside it */
        const [sd] = await Promise.all([page.waitForEvent('download'), page.click('#sealkey-seal')]);
        assert.equal(sd.suggestedFilename(), `${s.esId}.seseal`);

        /* openssl opens it with the PIN typed; its certificate is the register's, for its key */
        assert.notEqual(openssl(['pkcs12', '-in', p12, '-noout', '-passin', 'pass:wrong-pin1']).status, 0);
        const leaf = path.join(dir, 'leaf.pem'), key = path.join(dir, 'key.pem');
        assert.equal(openssl(['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', `pass:${PIN}`, '-out', leaf]).status, 0);
        assert.equal(openssl(['pkcs12', '-in', p12, '-nocerts', '-nodes', '-passin', `pass:${PIN}`, '-out', key]).status, 0);
        assert.equal(openssl(['x509', '-in', leaf, '-noout', '-serial']).stdout.trim(), `serial=${serial}`);
        assert.match(openssl(['x509', '-in', leaf, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus']).stdout,
            /CN=王五/);
        assert.equal(openssl(['x509', '-in', leaf, '-noout', '-pubkey']).stdout,
            openssl(['pkey', '-in', key, '-pubout']).stdout);
        assert.equal(psql(`SELECT (p12_enc IS NULL) || ',' || key_origin FROM certificates WHERE serial = '${serial}'`),
            'true,browser');
        assert.equal(psql(`SELECT cert_serial FROM seseals WHERE es_id = '${s.esId}'`), serial);
        await a11y.check(page, '机构个人章密钥生成, done');
        assert.deepEqual(errors, [], 'no page errors');
    } finally {
        await browser.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
