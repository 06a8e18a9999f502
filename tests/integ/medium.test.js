'use strict';
/*
 * 制作证书 onto a USB key (issue 64 §1; docs/internals/pki.md, "Production
 * onto a medium"): the test hall's production station is SoftHSM2 tokens
 * of their own (VAR/media, medium_module), and the operator's real route
 * writes a 新办 机构证书 onto a blank one.  The medium is then opened from
 * outside with OpenSC's pkcs11-tool and the holder's PIN: the key pair was
 * born there and cannot leave (sensitive, never extractable, local), the
 * certificate on it is the register's and certifies that key, and the
 * database holds no PKCS#12 or key for it.  A medium that fails halfway
 * (HALL_PKI_FAULT=medium_write: the key pulled out after the holder's
 * certificate was written, before its chain) is wiped and named, and
 * nothing is issued.  The register and the audit trail say where each key
 * was born (sql/153 key_origin, the issue row's detail), and `hall-audit
 * keys` lists it from the verified chain.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { operator, acceptedByTransfer, smsTo, tmpdir, openssl, psql } = require('./lib/pki');
const { withConf, restore } = require('./lib/cutmod');
const { p11, p11Skip: skip, fileOfBefore } = require('./lib/station');

after(() => restore());

/* the last 65 bytes of a P-256 public key's DER: its point, whatever wraps it */
const point = (der) => der.subarray(der.length - 65).toString('hex');

test('production_onto_usb_key__key_born_in_medium_certificate_matches_no_key_in_hall', { skip }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    /* the operator's page offers the USB key, the only medium */
    const queue = await op.get('/admin/pki/production');
    assert.match(queue.text, /<input type="hidden" name="medium" value="pkcs11"><span class="medium">写入USB Key（密钥在介质内生成）<\/span>/);

    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(r.status, 200, r.text);
    const [cert] = psql(`SELECT serial || '|' || coalesce(medium_serial, '') || '|' || (p12_enc IS NULL)
        || '|' || encode(der, 'hex') FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`).split('\n');
    const [serial, medium, noP12, derHex] = cert.split('|');
    assert.match(medium, /^[0-9A-F]{16}$/, 'the certificate names its medium');
    assert.equal(noP12, 'true', 'no PKCS#12 of it in the register');
    assert.match(r.body.message, new RegExp(`^证书已制作：序列号 ${serial}，主题 ${o.form.org_name}；已写入介质 ${medium}，`));
    /* which medium goes into which envelope: the page after, the 邮寄 queue, the order pages */
    const page = await op.get(r.body.redirect);
    assert.match(page.text, new RegExp(`id="made-medium">${medium}<`));
    assert.match((await op.get('/admin/pki/shipping')).text, new RegExp(`装入USB Key <strong>${medium}</strong>`));
    assert.match((await op.get(`/admin/order?id=${o.id}`)).text, new RegExp(`id="medium-serial">USB Key，介质序列号 <strong>${medium}</strong>`));
    const center = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(center.text, new RegExp(`id="medium-serial">已写入USB Key，介质序列号 <strong>${medium}</strong>`));
    assert.ok(!center.text.includes('/pki/medium?id='), 'nothing to download: the key is in the USB key');

    /* the holder's PIN (a corporate transfer: by SMS, as for a file) opens the medium */
    const sms = await smsTo(o.form.agent_mobile, new RegExp(`序列号${serial}`));
    const pin = sms.match(/PIN码为：(\d+)/)[1];
    const list = p11(['--token-label', medium, '--login', '--pin', pin, '--list-objects']);
    assert.equal(list.status, 0, list.out);
    const priv = list.out.split(/\n(?=\S)/).find((b) => /^Private Key Object; EC/.test(b));
    assert.ok(priv, `a private key on the medium:\n${list.out}`);
    const access = priv.match(/Access:\s*(.*)/)[1];
    for (const a of ['sensitive', 'always sensitive', 'never extractable', 'local'])
        assert.ok(access.split(/,\s*/).includes(a), `the medium's key is ${a}: ${access}`);
    assert.ok(!/\bextractable\b/.test(access.replace(/never extractable/, '')), access);
    assert.match(list.out, /Certificate Object; type = X\.509 cert/);
    const dir = tmpdir();

    /* the certificate on the medium is the register's, and certifies the medium's key */
    const rd = p11(['--token-label', medium, '--read-object', '--type', 'cert', '--id', '01',
        '-o', path.join(dir, 'cert.der')]);
    assert.equal(rd.status, 0, rd.out);
    const onMedium = fs.readFileSync(path.join(dir, 'cert.der'));
    assert.equal(onMedium.toString('hex'), derHex, 'the medium holds the certificate of the register');
    const pk = p11(['--token-label', medium, '--read-object', '--type', 'pubkey', '--id', '01',
        '-o', path.join(dir, 'pub.der')]);
    assert.equal(pk.status, 0, pk.out);
    const certPub = openssl(['x509', '-inform', 'DER', '-in', path.join(dir, 'cert.der'), '-noout', '-pubkey']);
    assert.equal(certPub.status, 0, certPub.stderr);
    const spki = openssl(['pkey', '-pubin', '-outform', 'DER'], { input: certPub.stdout, encoding: null });
    assert.equal(point(spki.stdout), point(fs.readFileSync(path.join(dir, 'pub.der'))),
        'the certificate certifies the key on the medium');
    /* the chain rides with it: the CA's and the root's certificates */
    assert.equal((list.out.match(/Certificate Object/g) || []).length, 3, list.out);

    /* the register: where the key was born, the SO PIN kept encrypted, no key */
    const [state, soEnc, csr] = psql(`SELECT state || '|' || (length(so_pin_enc) > 16) || '|' || csr_sha256
        FROM media WHERE serial = '${medium}'`).split('|');
    assert.deepEqual([state, soEnc], ['issued', 'true']);
    const born = JSON.parse(psql(`SELECT detail FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${serial}' AND action = 'key_born'`));
    assert.equal(born.medium, medium);
    assert.equal(born.csr_sha256, csr);
    assert.match(csr, /^[0-9a-f]{64}$/);
    /* key birth: the register's column and the issue's audit row */
    const [origin, popAt] = psql(`SELECT key_origin || '|' || coalesce(to_char(pop_checked_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') FROM certificates WHERE serial = '${serial}'`).split('|');
    assert.equal(origin, 'medium');
    assert.match(popAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'the proof of possession checked, and when');
    const issue = JSON.parse(psql(`SELECT detail FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${serial}' AND action = 'issue'`));
    assert.deepEqual(issue, { key_origin: 'medium', medium, pop: 'checked', pop_checked_at: popAt, csr_sha256: csr });
    /* nothing of a private key anywhere in the order's rows */
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id} AND p12_enc IS NOT NULL`), '0');
    /* no file to download, and the owner is told where the key is */
    const dl = await o.c.get(`/pki/medium?id=${o.id}`);
    assert.equal(dl.status, 410);
    assert.match(dl.text, new RegExp(`该证书的私钥在USB Key（介质 ${medium}）中生成，不能导出`));
    assert.doesNotMatch(dl.text, /证书介质已交付/);
});

function auditKeys(...args) {
    const r = spawnSync(path.join(process.env.HALL_ROOT, 'tools/audit/hall-audit'),
        ['-c', process.env.HALL_CONF, 'keys', ...args], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout, err: r.stderr };
}

test('hall_audit_keys__lists_where_each_key_was_born_from_the_verified_chain', { skip }, async () => {
    const op = await operator();
    const file = await acceptedByTransfer();
    const usb = await acceptedByTransfer();
    await fileOfBefore(file); /* a key the hall made, before issue 64 */
    assert.equal((await op.post('/admin/pki/issue', { id: usb.id, medium: 'pkcs11' })).status, 200);
    const serialOf = (id) => psql(`SELECT serial FROM certificates WHERE order_id = ${id} AND state = 'issued'
        AND seal_item_id IS NULL`);
    const [fs1, us1] = [serialOf(file.id), serialOf(usb.id)];
    const medium = psql(`SELECT medium_serial FROM certificates WHERE serial = '${us1}'`);
    assert.equal(psql(`SELECT key_origin || '|' || (pop_checked_at IS NULL) FROM certificates WHERE serial = '${fs1}'`),
        'hall|true', 'the register of a key the hall made: no proof of possession to check');

    const today = psql("SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')");
    const r = auditKeys('--since', today);
    assert.equal(r.status, 0, r.out + r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /^intact: \d+ rows in \d+ chains/, 'the chain verified first');
    assert.equal(lines[1], 'serial\tissued_at\tkey_origin\tmedium\tpop_checked_at\tsource');
    const row = (serial) => lines.find((l) => l.startsWith(`${serial}\t`)).split('\t');
    const f = row(fs1), u = row(us1);
    /* the chain says where that key was really born: the fixture's holder
     * made it (station.js fileOfBefore: the hall makes none); its key_born
     * row, written with the proof of possession, gives the check's time */
    assert.deepEqual([f[2], f[3], f[5]], ['browser', '-', 'audit']);
    assert.equal(f[4], psql(`SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        FROM audit_log WHERE entity = 'certificate' AND entity_id = '${fs1}' AND action = 'key_born'`));
    assert.match(f[4], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual([u[2], u[3], u[5]], ['medium', medium, 'audit']);
    assert.equal(u[4], psql(`SELECT to_char(pop_checked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        FROM certificates WHERE serial = '${us1}'`));
    assert.match(lines[lines.length - 1], new RegExp(`^keys: \\d+ certificate\\(s\\) since ${today}$`));
    /* a date in the future lists none; a bad one is a usage error */
    const later = auditKeys('--since', '2099-01-01');
    assert.equal(later.status, 0, later.err);
    assert.match(later.out, /keys: 0 certificate\(s\) since 2099-01-01\n$/);
    assert.equal(auditKeys('--since', 'yesterday').status, 2);
});

test('production_onto_usb_key__fails_halfway__medium_wiped_named_nothing_issued', { skip }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    /* a copy of hall-pki whose media are pulled out after the holder's
     * certificate was written (before the chain) */
    process.env.HALL_PKI_FAULT = 'medium_write';
    try {
        await withConf('pki', (text) => text);
    } finally {
        delete process.env.HALL_PKI_FAULT;
    }
    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    restore();
    assert.equal(r.status, 503, r.text);
    const m = r.body.message.match(/^介质 ([0-9A-F]{16}) 制作失败，已擦除，未签发证书/);
    assert.ok(m, r.text);
    const medium = m[1];
    assert.match(r.body.message, /device removed/);
    /* nothing issued: the order still to be made, its serial void */
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'accepted');
    assert.equal(psql(`SELECT string_agg(state, ',') FROM certificates WHERE order_id = ${o.id}`), 'void');
    assert.equal(psql(`SELECT state FROM media WHERE serial = '${medium}'`), 'wiped');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'medium' AND entity_id = '${medium}'
        AND action = 'fail' AND to_state = 'wiped'`), '1');
    /* the medium is there, named, and empty: the certificate written before
     * the failure is gone, and no holder's PIN opens it */
    const slots = p11(['--list-token-slots']);
    assert.match(slots.out, new RegExp(`token label\\s*:\\s*${medium}`), slots.out);
    const objs = p11(['--token-label', medium, '--list-objects']);
    assert.ok(!/Object;/.test(objs.out), `a wiped medium holds nothing:\n${objs.out}`);
    const login = p11(['--token-label', medium, '--login', '--pin', '123456', '--list-objects']);
    assert.notEqual(login.status, 0, 'no user PIN on a wiped medium');

    /* the order is made on the next blank medium */
    const again = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(again.status, 200, again.text);
    const next = psql(`SELECT medium_serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.match(next, /^[0-9A-F]{16}$/);
    assert.notEqual(next, medium);
});
