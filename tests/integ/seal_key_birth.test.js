'use strict';
/*
 * The seals' keys are born in the holder's medium or browser, never in the
 * hall (issue 64 §1/§2; docs/modules/seal.md, "The holder's own key" and
 * "Production onto a medium"; docs/internals/pki.md, "Key birth").
 *
 *   1. A seal order (机构章 + 2 机构业务章) produced onto a SoftHSM2 medium:
 *      three key pairs on the one token (the order's certificate's and one
 *      per 业务章), none extractable; each certificate certifies its key on
 *      the medium, is key_origin 'medium' with its proof of possession; each
 *      SESeal lists its certificate; hall-stamp stamps a PDF with a 业务章's
 *      key through PKCS#11 and /sign/verify says 有效.
 *   2. A 机构个人章: production makes no certificate; the holder's SMS
 *      carries a code (no PIN); POST /pki/seal-holder with the seal's code,
 *      the SMS's code and a request the holder's key signed issues the
 *      机构个人证书 (key_origin 'browser') and the SESeal listing it; a wrong
 *      code is counted, a bad request refused, a used code 410, parallel
 *      posts make one certificate.
 *   3. The custody scan finds no private key of any of these certificates.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { SKIP } = require('./lib/hall');
const { HALL, Client, applicant, freshPhone } = require('./lib/client');
const { operator, reviewer, smsTo, tmpdir, openssl, psql, fetchPki } = require('./lib/pki');
const { toApply } = require('./lib/seal');
const { orgForm } = require('./lib/payflow');
const { makePdf, verifyPdf, HALL_STAMP } = require('./lib/stamp');
const { scan } = require('./lib/custody');

const VAR = process.env.HALL_VAR;

function softhsmModule() {
    for (const m of ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
        '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'])
        if (fs.existsSync(m))
            return m;
    throw new Error('libsofthsm2.so not found: apt-get install softhsm2');
}

const mediaEnv = () => ({ ...process.env, SOFTHSM2_CONF: path.join(VAR, 'media', 'softhsm2.conf') });

function p11(args) {
    const r = spawnSync('pkcs11-tool', ['--module', softhsmModule(), ...args], { encoding: 'utf8', env: mediaEnv() });
    assert.ok(!r.error, `pkcs11-tool runs (apt-get install opensc): ${r.error}`);
    return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const pkcs11Tool = spawnSync('pkcs11-tool', ['--version']);
const skip = SKIP || (pkcs11Tool.error ? 'needs pkcs11-tool (apt-get install opensc)' : false);


const point = (der) => der.subarray(der.length - 65).toString('hex');
const certs = new Set();

/* a seal order saved through /seal/apply with the choices, moved to accepted */
async function accepted(choices) {
    const c = await applicant();
    const key = await toApply(c);
    const form = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key,
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '2', org_style: 'auto', biz_count: '0', person_count: '0', ...choices,
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    return { c, id, form };
}

test('seal_order_onto_usb_key__a_key_pair_per_business_seal_on_the_medium__stamp_by_pkcs11_valid', { skip }, async () => {
    const o = await accepted({
        biz_count: '2', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto',
        biz_2_name: '财务专用章', biz_2_style: 'auto',
    });
    const op = await operator();
    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(r.status, 200, r.text);

    /* the register: the order's certificate and one per 业务章, all on one medium, no PKCS#12 */
    const rows = psql(`SELECT serial || '|' || coalesce(seal_item_id::text, '') || '|' || coalesce(medium_serial, '')
        || '|' || key_origin || '|' || (p12_enc IS NULL) || '|' || (pop_checked_at IS NOT NULL) || '|'
        || encode(der, 'hex') FROM certificates WHERE order_id = ${o.id} AND state = 'issued'
        ORDER BY seal_item_id NULLS FIRST`).split('\n').map((l) => l.split('|'));
    assert.equal(rows.length, 3, 'the 机构证书 and two 机构业务证书');
    const medium = rows[0][2];
    assert.match(medium, /^[0-9A-F]{16}$/);
    for (const [serial, , m, origin, noP12, pop] of rows) {
        certs.add(serial);
        assert.deepEqual([m, origin, noP12, pop], [medium, 'medium', 'true', 'true'], serial);
    }
    const pin = (await smsTo(o.form.agent_mobile, new RegExp(`序列号${rows[0][0]}`))).match(/PIN码为：(\d+)/)[1];

    /* the medium: three private keys, each kept in it */
    const list = p11(['--token-label', medium, '--login', '--pin', pin, '--list-objects']);
    assert.equal(list.status, 0, list.out);
    const privs = list.out.split(/\n(?=\S)/).filter((b) => /^Private Key Object; EC/.test(b));
    assert.equal(privs.length, 3, list.out);
    for (const priv of privs) {
        const access = priv.match(/Access:\s*(.*)/)[1].split(/,\s*/);
        for (const a of ['sensitive', 'always sensitive', 'never extractable', 'local'])
            assert.ok(access.includes(a), `each key on the medium is ${a}: ${access}`);
        assert.ok(!access.includes('extractable'), access.join());
    }
    assert.equal((list.out.match(/Certificate Object/g) || []).length, 5, 'three holders\' and the chain');

    /* each certificate on the medium is the register's and certifies the key beside it */
    const dir = tmpdir();
    const seals = psql(`SELECT s.es_id || '|' || s.cert_serial || '|' || i.kind || '|' || encode(s.der, 'hex')
        FROM seseals s JOIN seal_items i ON i.id = s.item_id WHERE s.order_id = ${o.id} ORDER BY s.es_id`)
        .split('\n').map((l) => l.split('|'));
    assert.equal(seals.length, 3);
    for (let k = 0; k < 3; k++) {
        const id = `0${k + 1}`;
        const [serial, , , , , , derHex] = rows[k];
        const rc = p11(['--token-label', medium, '--read-object', '--type', 'cert', '--id', id, '-o', path.join(dir, `c${id}.der`)]);
        assert.equal(rc.status, 0, rc.out);
        assert.equal(fs.readFileSync(path.join(dir, `c${id}.der`)).toString('hex'), derHex, `certificate ${id} is ${serial}`);
        const rp = p11(['--token-label', medium, '--read-object', '--type', 'pubkey', '--id', id, '-o', path.join(dir, `p${id}.der`)]);
        assert.equal(rp.status, 0, rp.out);
        const pub = openssl(['x509', '-inform', 'DER', '-in', path.join(dir, `c${id}.der`), '-noout', '-pubkey']);
        const spki = openssl(['pkey', '-pubin', '-outform', 'DER'], { input: pub.stdout, encoding: null });
        assert.equal(point(spki.stdout), point(fs.readFileSync(path.join(dir, `p${id}.der`))), `key ${id}`);
        /* the seal listing it: the 机构章 the order's, each 业务章 its own */
        const seal = seals.find((s) => s[1] === serial);
        assert.ok(seal, `a seal lists ${serial}`);
        assert.equal(seal[2], k === 0 ? 'org' : 'org_business');
        assert.ok(seal[3].includes(derHex), 'the SESeal carries the certificate');
        /* where its key was born, audited with its proof of possession */
        const born = JSON.parse(psql(`SELECT detail FROM audit_log WHERE entity = 'certificate'
            AND entity_id = '${serial}' AND action = 'key_born'`));
        assert.equal(born.born, 'medium');
        assert.equal(born.medium, medium);
        assert.match(born.csr_sha256, /^[0-9a-f]{64}$/);
    }
    const [biz] = seals.filter((s) => s[2] === 'org_business');
    /* the 业务章's key on the medium, labelled with its seal's code */
    assert.match(list.out, new RegExp(`label:\\s+${biz[0]}`));

    /* hall-stamp signs with that key through PKCS#11; the hall's 签名验证: 有效 */
    await fetchPki(dir);
    fs.writeFileSync(path.join(dir, 'seal.seseal'), Buffer.from(biz[3], 'hex'));
    fs.writeFileSync(path.join(dir, 'in.pdf'), makePdf({ text: 'medium seal' }));
    const st = spawnSync(HALL_STAMP, ['sign', '--in', path.join(dir, 'in.pdf'), '--out', path.join(dir, 'out.pdf'),
        '--seal', path.join(dir, 'seal.seseal'), '--pkcs11-module', softhsmModule(), '--token', medium,
        '--key-label', biz[0], '--chain', path.join(dir, 'ecc.crt'), '--page', '1', '--x', '100', '--y', '100',
        '--tsa', `${HALL}/tsa`, '--pin-fd', '0'], { input: `${pin}\n`, encoding: 'utf8', env: mediaEnv() });
    assert.equal(st.status, 0, `hall-stamp sign: ${st.stdout}${st.stderr}`);
    const v = await verifyPdf(fs.readFileSync(path.join(dir, 'out.pdf')));
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.result.stamps[0].state, '有效');
    assert.equal(v.body.result.stamps[0].signer.serial, biz[1]);
    assert.equal(v.body.result.stamps[0].seal.es_id, biz[0]);
});

/* a P-256 key and its PKCS#10 request, as the holder's browser makes them */
function holderRequest(dir, name) {
    const key = path.join(dir, `${name}.key`);
    let r = openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    assert.equal(r.status, 0, r.stderr);
    r = openssl(['req', '-new', '-key', key, '-subj', '/CN=holder', '-outform', 'DER'], { encoding: null });
    assert.equal(r.status, 0, String(r.stderr));
    return { key, csr: r.stdout.toString('base64') };
}

test('person_seal__holder_makes_key_in_browser__code_csr_certificate_seseal__wrong_used_parallel', { skip: SKIP }, async () => {
    const phone = freshPhone('135');
    const o = await accepted({
        person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
        person_1_style: 'auto', person_1_mobile: phone,
    });
    const op = await operator();
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const item = psql(`SELECT id FROM seal_items WHERE order_id = ${o.id} AND kind = 'org_person'`);
    /* production made no certificate and no seal for it: its holder will */
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item}`), '0');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE item_id = ${item}`), '0');
    const sms = await smsTo(phone, /印章编码/);
    assert.doesNotMatch(sms, /PIN/, 'the SMS carries no PIN');
    const [, esId, code] = sms.match(/印章编码(SZCA\d{12}P\d{2}).*验证码([2-9A-HJ-NP-Z]{10})/);
    /* the agent's pages say whose step it is */
    assert.match((await o.c.get(`/seal/seals?id=${o.id}`)).text, /待持有人生成密钥/);
    const adminPage = await op.get(`/admin/seal?order=${psql(`SELECT order_no FROM orders WHERE id = ${o.id}`)}`);
    assert.match(adminPage.text, new RegExp(`<tr data-es="${esId}"><td>${esId}</td><td>王五</td>`));
    const rv = await reviewer();
    assert.match((await rv.get(`/admin/order?id=${o.id}`)).text, /<span class="seal-key-waiting">待持有人生成密钥<\/span>/);

    const v = new Client();
    assert.match((await v.get('/seal/holder')).text, /机构个人章密钥生成/);
    const dir = tmpdir();
    const req = holderRequest(dir, 'h');
    /* a wrong code: counted, nothing made */
    const wrong = code.startsWith('2') ? `3${code.slice(1)}` : `2${code.slice(1)}`;
    let x = await v.post('/pki/seal-holder', { es_id: esId, code: wrong, csr: req.csr });
    assert.equal(x.status, 400, x.text);
    assert.equal(x.body.field, 'code');
    assert.equal(psql(`SELECT key_code_tries FROM seal_items WHERE id = ${item}`), '1');
    /* a request not signed by its key: no proof of possession */
    const der = Buffer.from(req.csr, 'base64');
    der[der.length - 5] ^= 1;
    x = await v.post('/pki/seal-holder', { es_id: esId, code, csr: der.toString('base64') });
    assert.equal(x.status, 400, x.text);
    assert.equal(x.body.field, 'csr');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item}`), '0');

    /* parallel posts of the right code: one certificate, one seal */
    const all = await Promise.all([0, 1, 2].map(() => v.post('/pki/seal-holder', { es_id: esId, code, csr: req.csr })));
    const ok = all.filter((a) => a.status === 200);
    assert.equal(ok.length, 1, all.map((a) => `${a.status} ${a.text}`).join('\n'));
    for (const a of all.filter((b) => b.status !== 200))
        assert.ok([409, 410].includes(a.status), a.text);
    const made = ok[0].body;
    assert.equal(made.es_id, esId);
    certs.add(made.serial);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item} AND state = 'issued'`), '1');
    const [origin, noP12, pop] = psql(`SELECT key_origin || '|' || (p12_enc IS NULL) || '|' || (pop_checked_at IS NOT NULL)
        FROM certificates WHERE serial = '${made.serial}'`).split('|');
    assert.deepEqual([origin, noP12, pop], ['browser', 'true', 'true']);
    /* the certificate certifies the holder's key, names the holder and the unit */
    fs.writeFileSync(path.join(dir, 'c.der'), Buffer.from(made.cert, 'base64'));
    const pub = openssl(['x509', '-inform', 'DER', '-in', path.join(dir, 'c.der'), '-noout', '-pubkey', '-subject', '-nameopt', 'utf8']);
    assert.equal(pub.status, 0, pub.stderr);
    assert.match(pub.stdout, /CN\s*=\s*王五/);
    assert.match(pub.stdout, new RegExp(`O\\s*=\\s*${o.form.org_name}`));
    const mine = openssl(['pkey', '-in', req.key, '-pubout']);
    assert.equal(pub.stdout.match(/-----BEGIN PUBLIC KEY-----[^-]+-----END PUBLIC KEY-----/)[0].trim(), mine.stdout.trim());
    /* the seal lists it, and is the agent's to download */
    assert.equal(psql(`SELECT cert_serial FROM seseals WHERE es_id = '${esId}'`), made.serial);
    assert.ok(Buffer.from(made.seseal, 'base64').includes(Buffer.from(made.cert, 'base64')));
    const born = JSON.parse(psql(`SELECT detail FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${made.serial}' AND action = 'key_born'`));
    assert.equal(born.born, 'browser');
    assert.match(born.csr_sha256, /^[0-9a-f]{64}$/);
    const list = await o.c.get(`/seal/seals?id=${o.id}`);
    assert.match(list.text, /印章证书由持有人本人在其浏览器中生成密钥并保存/);
    assert.doesNotMatch(list.text, /待持有人生成密钥/);
    assert.match((await rv.get(`/admin/order?id=${o.id}`)).text, /持有人已在其浏览器中生成密钥/);

    /* the code is used: 410 */
    x = await v.post('/pki/seal-holder', { es_id: esId, code, csr: holderRequest(dir, 'h2').csr });
    assert.equal(x.status, 410, x.text);
    /* a malformed seal code names its field */
    x = await v.post('/pki/seal-holder', { es_id: 'SZCA1', code, csr: req.csr });
    assert.equal(x.status, 400);
    assert.equal(x.body.field, 'es_id');
});

test('custody_scan__seal_certificates_of_medium_and_browser__no_private_key_in_hall', { skip }, () => {
    assert.ok(certs.size >= 4, 'the tests above made their certificates');
    const r = scan({ serials: [...certs] });
    assert.deepEqual(r.breaches, []);
    assert.ok(r.scanned.files > 0);
});
