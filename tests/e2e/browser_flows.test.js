'use strict';
/*
 * 证书解锁 of a certificate made in the browser, in headless Chromium
 * (issue 64 §2, §3; sql/160): a file cannot be unlocked, and the order page
 * says so; once the unlock order is 成功受理 the holder's browser makes a
 * new key, posts the request and saves a new PKCS#12 under a new PIN; the
 * hall revokes the old certificate as superseded and keeps no key.  The
 * first certificate is made from an openssl request (as
 * tests/integ/browser_flows.test.js makes them); the unlock order as
 * staff's approval leaves it.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, freshPhone } = require('../integ/lib/client');
const { launchChromium, signIn } = require('./lib/browser');
const a11y = require('./lib/a11y');
const { acceptedByTransfer, tmpdir, openssl, psql, orgForm } = require('../integ/lib/pki');

const PIN = 'Unlock2026new';

function browserForm() {
    const f = orgForm({ agent_mobile: freshPhone('137'), key_origin: 'browser' });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    return f;
}

test('browser_flows__unlock_of_a_browser_made_file__new_key_and_p12_saved_in_chromium', async () => {
    const dir = tmpdir();
    /* the certificate made in the browser (the request: openssl's) */
    const o = await acceptedByTransfer({ project: 'hall', form: browserForm() });
    const key = path.join(dir, 'first.key'), der = path.join(dir, 'first.der');
    assert.equal(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]).status, 0);
    assert.equal(openssl(['req', '-new', '-key', key, '-subj', '/CN=x', '-outform', 'DER', '-out', der]).status, 0);
    const first = await o.c.post('/pki/csr', { id: o.id, csr: fs.readFileSync(der).toString('base64') });
    assert.equal(first.status, 200, first.text);
    const old = first.body.serial;
    /* its 证书解锁, 成功受理 */
    const cols = psql(`SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
        FROM information_schema.columns WHERE table_name = 'orders' AND is_generated = 'NEVER'`);
    const id = Number(psql(`CREATE TEMP TABLE t AS SELECT * FROM orders WHERE id = ${o.id};
        UPDATE t SET id = nextval(pg_get_serial_sequence('orders', 'id')),
            order_no = 'BFLOWE' || currval(pg_get_serial_sequence('orders', 'id')),
            business_type = 'unlock', reissue_of = '${old}', submit_key = NULL,
            product_id = (SELECT id FROM products WHERE partner_code = 'hall' AND business_type = 'unlock'
                          AND cert_type = 'org' ORDER BY id LIMIT 1),
            status = 'accepted', submitted_at = now(), review_due = current_date + 1;
        INSERT INTO orders (${cols}) SELECT ${cols} FROM t RETURNING id`).split('\n').pop());

    const browser = await launchChromium();
    try {
        const ctx = await browser.newContext({ acceptDownloads: true });
        await signIn(ctx, o.c);
        const page = await ctx.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        a11y.track(page);
        /* 证书解锁's notice says it before anything is asked */
        await page.goto(`${HALL}/unlock/notice`);
        assert.match(await page.textContent('#unlock-browser'), /浏览器中生成密钥的证书文件（.p12）不能解锁[^]*新的密钥/);
        await page.goto(`${HALL}/center/order?id=${id}`);
        assert.equal(await page.textContent('#status'), '成功受理');
        assert.match(await page.textContent('#keygen-flow'),
            /证书文件不能解锁[^]*生成新的密钥，签发新的证书[^]*原证书即被吊销/);
        await a11y.check(page, '业务单详情, 证书解锁 of a browser-made file');
        await page.fill('#keygen-pin', PIN);
        await page.fill('#keygen-pin2', PIN);
        const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#keygen-go')]);
        const p12 = path.join(dir, 'unlocked.p12');
        await dl.saveAs(p12);
        await page.waitForSelector('#keygen-done:not([hidden])');
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'`);
        assert.equal(dl.suggestedFilename(), `${serial}.p12`);
        /* the new PIN opens it; its key is the new certificate's, not the old one's */
        const leaf = path.join(dir, 'leaf.pem'), newKey = path.join(dir, 'new.key');
        assert.equal(openssl(['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', `pass:${PIN}`, '-out', leaf]).status, 0);
        assert.equal(openssl(['pkcs12', '-in', p12, '-nocerts', '-nodes', '-passin', `pass:${PIN}`, '-out', newKey]).status, 0);
        const pub = (f) => openssl(['pkey', '-in', f, '-pubout']).stdout;
        assert.equal(openssl(['x509', '-in', leaf, '-noout', '-pubkey']).stdout, pub(newKey));
        assert.notEqual(pub(newKey), pub(key), 'a new key');
        assert.equal(openssl(['x509', '-in', leaf, '-noout', '-serial']).stdout.trim(), `serial=${serial}`);
        /* the register: the new one browser-born, no key kept; the old one superseded */
        assert.equal(psql(`SELECT key_origin || ',' || (p12_enc IS NULL) || ',' || (pop_checked_at IS NOT NULL)
            FROM certificates WHERE serial = '${serial}'`), 'browser,true,true');
        assert.equal(psql(`SELECT state || ',' || revoke_reason FROM certificates WHERE serial = '${old}'`), 'revoked,4');
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'delivered');
        assert.deepEqual(errors, [], 'no page errors');
    } finally {
        await browser.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
