'use strict';
/*
 * 生成密钥并下载证书 in headless Chromium (issue 64 §2; docs/internals/pki.md,
 * "Made in the browser"): an accepted order of a product whose key is born
 * in the browser (the hall's 机构证书（浏览器生成密钥）, sql/151).  On the order page the
 * holder types a PIN twice (a weak one and two that differ are refused
 * before anything is made), the page generates the key, the hall certifies
 * it, and the page saves a PKCS#12 that `openssl pkcs12` opens with that
 * PIN (PBES2, AES-256-CBC, PBKDF2 with HMAC-SHA256, an HMAC-SHA256 MAC),
 * whose certificate chains to /pki/'s root and whose key is the
 * certificate's; 在线盖章's reader (static/stamp/files.js) opens it too.
 * The database holds no key of it (p12_enc NULL).  ECC, then SM2.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant, freshPhone } = require('../integ/lib/client');
const { launchChromium, signIn } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { acceptedByTransfer, tmpdir, openssl, fetchPki, psql, orgForm } = require('../integ/lib/pki');

/* the hall's browser-key product: no 邮寄信息, no 邮寄方式 */
function browserForm(extra = {}) {
    const f = orgForm({ agent_mobile: freshPhone('137'), key_origin: 'browser', ...extra });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    return f;
}

const PIN = 'Holder2026pin';

async function orderPage(browser, o) {
    const ctx = await browser.newContext({ acceptDownloads: true });
    await signIn(ctx, o.c);
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    a11y.track(page);
    await page.goto(`${HALL}/center/order?id=${o.id}`);
    return { page, errors };
}

/* the PIN refused in the page: the message, nothing sent */
async function refused(page, o, pin, again, re) {
    await page.fill('#keygen-pin', pin);
    await page.fill('#keygen-pin2', again);
    await page.click('#keygen-go');
    await page.waitForSelector('#keygen-err:not([hidden])');
    assert.match(await page.textContent('#keygen-err'), re);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id}`), '0');
}

async function journey(browser, dir, { ca, root, alg }) {
    const o = await acceptedByTransfer({ project: 'hall', form: browserForm({ ca }) });
    const { page, errors } = await orderPage(browser, o);
    assert.equal(await page.textContent('#status'), '成功受理');
    const note = await page.textContent('#keygen-note');
    assert.match(note, new RegExp(`密钥（${alg}）在您的这个浏览器中生成`));
    assert.match(note, /从不离开本浏览器，网上营业厅不持有私钥/);
    assert.match(note, /证书PIN码由您在此自己设定，网上营业厅不知道、也不通过转账交易附言或短信发送PIN码/);
    await a11y.check(page, `业务单详情, 生成密钥并下载证书 (${alg})`);

    await refused(page, o, '12345678', '12345678', /同时包含字母和数字/);
    await refused(page, o, 'short1', 'short1', /8至32位/);
    await refused(page, o, PIN, `${PIN}x`, /两次输入的证书PIN码不一致/);

    await page.fill('#keygen-pin', PIN);
    await page.fill('#keygen-pin2', PIN);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#keygen-go')]);
    const p12 = path.join(dir, `${o.id}.p12`);
    await dl.saveAs(p12);
    await page.waitForSelector('#keygen-done:not([hidden])');
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(await page.textContent('#keygen-done'), new RegExp(`序列号 ${serial}`));
    /* a lost file or a forgotten PIN is 补办 or 解锁, not a new application */
    assert.match(await page.textContent('#keygen-done'), /文件丢失请办理“介质遗失补办”，忘记PIN码请办理“证书解锁”/);
    assert.doesNotMatch(await page.textContent('#keygen-done'), /须撤销证书后重新申请/);
    assert.equal(dl.suggestedFilename(), `${serial}.p12`);
    assert.equal(await page.inputValue('#keygen-pin'), '', 'the PIN is not left in the page');

    /* openssl opens it with the holder's PIN: the algorithms asked */
    const info = openssl(['pkcs12', '-in', p12, '-info', '-noout', '-passin', `pass:${PIN}`]);
    assert.equal(info.status, 0, info.stderr);
    const said = info.stderr + info.stdout;
    assert.match(said, /MAC: sha256/);
    assert.match(said, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    assert.match(said, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    assert.notEqual(openssl(['pkcs12', '-in', p12, '-noout', '-passin', 'pass:wrong-pin1']).status, 0);
    const leaf = path.join(dir, `${o.id}.pem`), key = path.join(dir, `${o.id}.key`);
    assert.equal(openssl(['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', `pass:${PIN}`, '-out', leaf]).status, 0);
    assert.equal(openssl(['pkcs12', '-in', p12, '-nocerts', '-nodes', '-passin', `pass:${PIN}`, '-out', key]).status, 0);
    /* the certificate the register issued, to the order's subject, for the key in the file */
    assert.equal(openssl(['x509', '-in', leaf, '-noout', '-serial']).stdout.trim(), `serial=${serial}`);
    assert.match(openssl(['x509', '-in', leaf, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus']).stdout,
        new RegExp(`CN=${o.form.org_name}`));
    assert.equal(openssl(['x509', '-in', leaf, '-noout', '-pubkey']).stdout,
        openssl(['pkey', '-in', key, '-pubout']).stdout);
    /* the chain: the issuing CA in the file is /pki/'s, under /pki/'s root */
    const cas = path.join(dir, `${o.id}-ca.pem`);
    openssl(['pkcs12', '-in', p12, '-cacerts', '-nokeys', '-passin', `pass:${PIN}`, '-out', cas]);
    const fp = (f) => openssl(['x509', '-in', f, '-noout', '-fingerprint', '-sha256']).stdout;
    assert.equal(fp(cas), fp(path.join(dir, `${ca}.crt`)));
    if (alg === 'ECC P-256') {
        const v = openssl(['verify', '-CAfile', path.join(dir, `${root}.crt`), '-untrusted', path.join(dir, `${ca}.crt`), leaf]);
        assert.equal(v.status, 0, v.stderr + v.stdout);
    } else {
        assert.equal(openssl(['x509', '-in', leaf, '-noout', '-issuer']).stdout.replace('issuer=', ''),
            openssl(['x509', '-in', cas, '-noout', '-subject']).stdout.replace('subject=', ''));
    }

    /* 在线盖章's reader of a medium opens it with the PIN (its key is the certificate's) */
    const bytes = [...fs.readFileSync(p12)];
    const leafDer = [...require('node:child_process').execFileSync('openssl', ['x509', '-in', leaf, '-outform', 'DER'])];
    const opened = await page.evaluate(async ({ bytes, leafDer, pin }) => {
        const files = await import('/static/stamp/files.js');
        const m = await files.openMedium(new Uint8Array(bytes), pin, { certs: [new Uint8Array(leafDer)] });
        return { sm2: !!m.sm2, signer: m.signerDer.length === leafDer.length };
    }, { bytes, leafDer, pin: PIN });
    assert.deepEqual(opened, { sm2: alg === 'SM2', signer: true });

    /* no key in the hall: none kept, none to download; the order handed over */
    assert.equal(psql(`SELECT (p12_enc IS NULL) || ',' || key_origin FROM certificates WHERE serial = '${serial}'`),
        'true,browser');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'delivered');
    await page.reload();
    assert.match(await page.textContent('#browser-made'), /密钥已在您的浏览器中生成/);
    assert.equal(await page.locator('#keygen').count(), 0);
    await a11y.check(page, '业务单详情, the key made in the browser');
    assert.deepEqual(errors, [], 'no page errors');
}

test('browser_key__holder_makes_key_and_p12_in_the_page__ecc_and_sm2', async () => {
    const browser = await launchChromium();
    const dir = tmpdir();
    try {
        await fetchPki(dir);
        await journey(browser, dir, { ca: 'ecc', root: 'root', alg: 'ECC P-256' });
        await journey(browser, dir, { ca: 'sm2', root: 'sm2-root', alg: 'SM2' });
    } finally {
        await browser.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('browser_key__apply_form_hides_the_mail_and_prices_without_medium', async () => {
    const browser = await launchChromium();
    try {
        const c = await applicant();
        await c.get('/new?project=hall');
        assert.equal((await c.post('/new/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
        const ctx = await browser.newContext();
        await signIn(ctx, c);
        const page = await ctx.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${HALL}/new/apply?project=hall`);
        assert.equal(await page.isVisible('#mail-fields'), true);
        assert.equal(await page.textContent('#price-total'), '480.00元/1年');
        await page.selectOption('#key_origin', 'browser');
        assert.equal(await page.isVisible('#mail-fields'), false);
        assert.equal(await page.textContent('#price-total'), '380.00元/1年');
        assert.match(await page.textContent('#price'), /包含：证书费380）/);
        await page.selectOption('#cert_type', 'org_person');
        assert.equal(await page.textContent('#price-total'), '该证书类型不提供浏览器生成密钥');
        /* 证书算法 SM2: its key is made in the browser only (sql/161): the
         * USB key chosen turns to the browser's, no mail, no 介质费 */
        await page.selectOption('#cert_type', 'org');
        await page.selectOption('#key_origin', 'hall');
        assert.equal(await page.isVisible('#mail-fields'), true);
        await page.selectOption('#ca', 'sm2');
        assert.equal(await page.inputValue('#key_origin'), 'browser');
        assert.equal(await page.isVisible('#mail-fields'), false);
        assert.equal(await page.textContent('#price-total'), '380.00元/1年');
        assert.match(await page.textContent('#ca-hint'), /SM2证书的密钥只能在浏览器中生成/);
        assert.deepEqual(errors, [], 'no page errors');
    } finally {
        await browser.close();
    }
});
