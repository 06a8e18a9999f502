'use strict';
/*
 * Custody, proved (issue 64 §4; docs/internals/pki.md, "Key birth"): with
 * `production_medium = pkcs11` (a copy of hall-pki run with it,
 * tests/integ/lib/cutmod.js), the operator's 制作证书 without a choice
 * makes every flow staff produce onto a USB key: 新办 of a 机构证书 and of a
 * 个人证书, then 更新 of the organisation's certificate, 变更 of the
 * renewed one, 解锁 of the changed one and 补办 of the unlocked one.  Each is issued with its key born in
 * the medium (key_origin 'medium', the proof of possession's time, no
 * PKCS#12), and then the custody scan (tests/integ/lib/custody.js,
 * script/custody-scan) reads var/ but the media's tokens (the cluster's
 * files and its WAL, the logs, uploads and temp files) and a pg_dump of
 * the database -- what script/backup puts, encrypted, in a backup -- and
 * finds no private key of any certificate.  The replacing orders are put in the state staff's
 * approval leaves them with SQL (their pages are the renew, change, unlock
 * and reissue tests'); what is tested here is production and custody.
 * An SM2 certificate cannot go onto SoftHSM2's media (no SM2 signature):
 * 409 naming why; and none is ever a file (制作证书 offers none, and
 * hall-pkitool issue-file answers status 3 naming why).
 * And the scan is shown to see what it claims on a certificate made as a
 * file before issue 64 (tests/integ/lib/station.js, fileOfBefore): the
 * register holds its PKCS#12 (p12_enc, which the scan cannot read:
 * encrypted), and that key planted in clear in var/
 * (PEM, SEC1 DER, PKCS#8 in base64) is found and named by its certificate.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { SKIP } = require('./lib/hall');
const { HALL, freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, smsTo, tmpdir, openssl, psql, orgForm, personForm } = require('./lib/pki');
const { withConf, restore } = require('./lib/cutmod');
const { scan } = require('./lib/custody');
const { fileOfBefore } = require('./lib/station');

const VAR = process.env.HALL_VAR;
const pkcs11Tool = spawnSync('pkcs11-tool', ['--version']);
const skip = SKIP || (pkcs11Tool.error ? 'needs pkcs11-tool (apt-get install opensc)' : false);

after(() => restore());

/* the order's certificate as issued: serial, medium, origin, PoP, p12 */
function issuedOf(id) {
    const [serial, medium, origin, pop, p12] = psql(`SELECT serial || '|' || coalesce(medium_serial, '') || '|'
        || key_origin || '|' || (pop_checked_at IS NOT NULL) || '|' || (p12_enc IS NOT NULL) FROM certificates
        WHERE order_id = ${id} AND state = 'issued' AND seal_item_id IS NULL`).split('|');
    return { serial, medium, origin, pop: pop === 'true', p12: p12 === 'true' };
}

/* a replacing order of the certificate serial, as staff's approval leaves
 * it: the same applicant and form, business, 成功受理 */
function replacing(fromOrder, serial, business) {
    const cols = psql(`SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
        FROM information_schema.columns WHERE table_name = 'orders' AND is_generated = 'NEVER'`);
    return Number(psql(`CREATE TEMP TABLE t AS SELECT * FROM orders WHERE id = ${fromOrder};
        UPDATE t SET id = nextval(pg_get_serial_sequence('orders', 'id')),
            order_no = 'CUSTODY' || currval(pg_get_serial_sequence('orders', 'id')),
            business_type = '${business}', reissue_of = '${serial}', submit_key = NULL,
            waybill_no = NULL, status = 'accepted', submitted_at = now(), review_due = current_date + 1;
        INSERT INTO orders (${cols}) SELECT ${cols} FROM t RETURNING id`).split('\n').pop());
}

async function made(op, id) {
    /* no medium named: production_medium decides */
    const r = await op.post('/admin/pki/issue', { id });
    assert.equal(r.status, 200, r.text);
    const c = issuedOf(id);
    assert.match(c.medium, /^[0-9A-F]{16}$/, `order ${id} went onto a medium: ${r.text}`);
    assert.deepEqual([c.origin, c.pop, c.p12], ['medium', true, false], `order ${id}: key born in the medium`);
    assert.match(r.body.message, new RegExp(`已写入介质 ${c.medium}`));
    return c;
}

test('custody_scan__every_flow_onto_a_usb_key__no_private_key_in_var_db_wal_or_logs', { skip }, async (t) => {
    await withConf('pki', (text) => `${text}\nproduction_medium = pkcs11\n`);
    const op = await operator();

    const org = await acceptedByTransfer();
    const a = await made(op, org.id);
    const person = await acceptedByTransfer({
        form: personForm({ app_mobile: freshPhone('137'), bank_account: '4000021009100123456' }),
    });
    const p = await made(op, person.id);
    /* 更新: a new key on a new medium, the old one valid until its end */
    const renewed = await made(op, replacing(org.id, a.serial, 'renew'));
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${a.serial}'`), 'issued');
    /* 变更 (of the renewed one: one replacing order per certificate): the
     * old one revoked as superseded when the new one is stored */
    const changed = await made(op, replacing(org.id, renewed.serial, 'change'));
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${renewed.serial}'`), 'revoked');
    /* 解锁 (a medium that cannot be unlocked by its SO PIN: a new one) */
    const unlocked = await made(op, replacing(org.id, changed.serial, 'unlock'));
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${changed.serial}'`), 'revoked');
    /* 补办 (a lost medium: the old one revoked at approval) */
    const reissued = await made(op, replacing(org.id, unlocked.serial, 'reissue'));
    const all = [a, p, renewed, changed, unlocked, reissued];
    assert.equal(new Set(all.map((c) => c.medium)).size, all.length, 'one medium each');

    /* an SM2 certificate: refused onto the medium, nothing burnt */
    const sm2 = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: '4000021009100123456', ca: 'sm2' }) });
    const refused = await op.post('/admin/pki/issue', { id: sm2.id });
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.body.message, /^SM2证书暂不能写入USB Key：制作台的介质没有SM2签名机制/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${sm2.id}`), '0');
    /* an ECC certificate as a file: refused (the hall would make its key),
     * by the page and by hall-pkitool issue-file, nothing burnt; the page
     * offers no file (tests/integ/medium_nofile.test.js) */
    const file = await acceptedByTransfer();
    const asked = await op.post('/admin/pki/issue', { id: file.id, medium: 'p12' });
    assert.equal(asked.status, 400, asked.text);
    assert.equal(asked.body.field, 'medium');
    const conf = path.join(tmpdir(), 'hall.conf');
    fs.writeFileSync(conf, `${fs.readFileSync(process.env.HALL_CONF, 'utf8')}\nproduction_medium = pkcs11\n`);
    const cli = spawnSync(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'),
        ['-c', conf, 'issue-file', String(file.id)], { encoding: 'utf8' });
    assert.equal(cli.status, 3, `${cli.stdout}${cli.stderr}`);
    assert.match(cli.stderr, /文件介质（PKCS#12）已停用/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${file.id}`), '0');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${file.id}`), 'accepted');
    restore();

    const r = scan({ serials: all.map((c) => c.serial) });
    assert.deepEqual(r.breaches, [], `the custody scan (${r.scanned.files} sources, ${r.scanned.bytes} bytes)`);
    assert.ok(r.scanned.files > 100 && r.scanned.bytes > 1e6 && r.scanned.wal > 0 && r.scanned.logs > 0,
        `the cluster's WAL and the logs among what was read: ${JSON.stringify(r.scanned)}`);
    t.diagnostic(`custody scan: ${JSON.stringify(r.scanned)}; the hall's own keys: `
        + `${r.ownKeys.length}; suspects: ${r.suspects.length}${r.suspects.map((x) => `\n  ${x}`).join('')}`);
    /* the register: no key for any of them, and the audit trail says where each was born */
    for (const c of all)
        assert.equal(psql(`SELECT detail->>'key_origin' || '|' || (detail->>'medium') || '|' || (detail->>'pop')
            FROM audit_log WHERE entity = 'certificate' AND entity_id = '${c.serial}' AND action = 'issue'`),
        `medium|${c.medium}|checked`);
});

test('custody_scan__sees_what_it_claims__a_file_of_before_holds_p12_enc__a_key_in_clear_is_found_and_named', { skip }, async () => {
    const o = await acceptedByTransfer();
    /* a certificate made as a file before issue 64, still to be handed over */
    await fileOfBefore(o);
    const c = issuedOf(o.id);
    assert.deepEqual([c.origin, c.pop, c.p12, c.medium], ['hall', false, true, '']);
    /* the register holds the PKCS#12: the scan says so (its bytes are
     * encrypted: no structure of a key shows through) */
    const held = scan({ serials: [c.serial], dump: true });
    assert.equal(held.breaches.length, 1, held.breaches.join('\n'));
    assert.match(held.breaches[0], new RegExp(`^certificate ${c.serial}: the register holds its PKCS#12`));

    /* the key itself, in clear where a careless hall could leave it */
    const pin = (await smsTo(o.form.agent_mobile, new RegExp(`序列号${c.serial}`))).match(/PIN码为：(\d+)/)[1];
    const dl = await fetch(`${HALL}/pki/medium?id=${o.id}`,
        { headers: { Cookie: o.c.cookieHeader() } });
    assert.equal(dl.status, 200);
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'm.p12'), Buffer.from(await dl.arrayBuffer()));
    let x = openssl(['pkcs12', '-in', path.join(dir, 'm.p12'), '-nocerts', '-nodes', '-passin', `pass:${pin}`,
        '-out', path.join(dir, 'key.pem')]);
    assert.equal(x.status, 0, x.stderr);
    x = openssl(['ec', '-in', path.join(dir, 'key.pem'), '-outform', 'DER', '-out', path.join(dir, 'sec1.der')]);
    assert.equal(x.status, 0, x.stderr);
    x = openssl(['pkcs8', '-topk8', '-nocrypt', '-in', path.join(dir, 'key.pem'), '-outform', 'DER',
        '-out', path.join(dir, 'p8.der')]);
    assert.equal(x.status, 0, x.stderr);
    const planted = [
        [path.join(VAR, 'log', 'custody-canary.log'), fs.readFileSync(path.join(dir, 'key.pem'))],
        [path.join(VAR, 'tmp', 'custody-canary.bin'),
            Buffer.concat([Buffer.alloc(1000, 7), fs.readFileSync(path.join(dir, 'sec1.der')), Buffer.alloc(10)])],
        [path.join(VAR, 'log', 'custody-canary.json'),
            Buffer.from(`{"msg":"x","blob":"${fs.readFileSync(path.join(dir, 'p8.der')).toString('base64')}"}\n`)],
    ];
    try {
        for (const [f, b] of planted)
            fs.writeFileSync(f, b);
        const found = scan({ dump: false });
        const kinds = { 'custody-canary.log': 'PEM -----BEGIN PRIVATE KEY-----', 'custody-canary.bin': 'DER ECPrivateKey',
            'custody-canary.json': 'DER PKCS#8 (EC)' };
        for (const [f] of planted)
            assert.ok(found.breaches.some((b) => b.startsWith(`${f} (`) && b.includes(kinds[path.basename(f)])
                && b.endsWith(`the private key of certificate ${c.serial}, made by the hall, in clear`)),
            `${f} found:\n${found.breaches.join('\n')}`);
        /* nowhere else: the tests' own temp files (the holder's machine) are not the hall's */
        assert.ok(found.breaches.every((b) => planted.some(([f]) => b.startsWith(`${f} (`))), found.breaches.join('\n'));
    } finally {
        for (const [f] of planted)
            fs.rmSync(f, { force: true });
    }
    /* downloaded: the hall's copy is gone */
    assert.deepEqual(scan({ serials: [c.serial], dump: false }).breaches, []);
});
