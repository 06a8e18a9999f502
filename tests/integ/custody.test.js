'use strict';
/*
 * Key custody (docs/internals/pki.md, "Key custody"): the hall hands the
 * PKCS#12 over once and keeps no private key.  The first download destroys
 * the hall's copy in the transaction that reads it (audited, the PIN SMS
 * emptied); a second answers 410 naming why, with 补办 and 解锁; parallel
 * first downloads serve one and refuse the others cleanly; medium_keep_days
 * after 已签收 the outbox's CA tick destroys a copy never downloaded, once
 * under two outbox workers and parallel sweeps; the migration handles the
 * rows already there; afterwards no byte of the key is in a database dump,
 * the upload directory or the logs.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { operator, acceptedByTransfer, smsTo, tmpdir, openssl, psql } = require('./lib/pki');

const VAR = process.env.HALL_VAR;

async function issued() {
    const op = await operator();
    const o = await acceptedByTransfer();
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    return { ...o, op, serial };
}

async function download(c, id, accept = 'application/json') {
    const r = await fetch(`${HALL}/pki/medium?id=${id}`, { headers: { Cookie: c.cookieHeader(), Accept: accept } });
    return { status: r.status, type: r.headers.get('content-type') || '', body: Buffer.from(await r.arrayBuffer()) };
}

function row(serial) {
    const [held, downloaded, why, at] = psql(`SELECT p12_enc IS NOT NULL, medium_downloaded_at IS NOT NULL,
        coalesce(medium_destroyed_why, ''), medium_destroyed_at IS NOT NULL FROM certificates
        WHERE serial = '${serial}'`).split('|');
    return { held: held === 't', downloaded: downloaded === 't', why, destroyed: at === 't' };
}

function audits(serial) {
    return psql(`SELECT count(*) FROM audit_log WHERE entity = 'certificate' AND entity_id = '${serial}'
        AND action = 'medium destroy'`);
}

function dump() {
    const bin = path.join(process.env.HALL_PG_BIN || '/usr/lib/postgresql/15/bin', 'pg_dump');
    const r = spawnSync(bin, ['-h', path.join(VAR, 'run', 'pg'), '-U', 'hall', '-d', 'hall', '--no-password'],
        { encoding: 'utf8', maxBuffer: 1 << 30 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
}

function filesUnder(dir) {
    const out = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory())
            out.push(...filesUnder(p));
        else if (e.isFile())
            out.push(p);
    }
    return out;
}

/* the medium opened with its PIN: the private key's DER and PEM body */
function keyOf(dir, p12, pin) {
    const f = path.join(dir, 'm.p12'), pem = path.join(dir, 'key.pem'), der = path.join(dir, 'key.der');
    fs.writeFileSync(f, p12);
    let r = openssl(['pkcs12', '-in', f, '-nocerts', '-nodes', '-passin', `pass:${pin}`, '-out', pem]);
    assert.equal(r.status, 0, r.stderr);
    r = openssl(['pkey', '-in', pem, '-outform', 'DER', '-out', der]);
    assert.equal(r.status, 0, r.stderr);
    const pemBody = fs.readFileSync(pem, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----') && !l.includes(':'));
    return { der: fs.readFileSync(der), pemLines: pemBody };
}

/* no trace of the key (nor of the medium, nor of its encrypted copy) in the
 * database dump, the upload directory or the logs */
function assertNoKey(secrets) {
    const d = dump();
    assert.match(d, /COPY public\.certificates /, 'the dump holds the certificates');
    const files = [...filesUnder(path.join(VAR, 'uploads')), ...filesUnder(path.join(VAR, 'log'))];
    assert.ok(files.length > 0);
    const blobs = files.map((f) => [f, fs.readFileSync(f)]);
    for (const [name, bytes] of Object.entries(secrets)) {
        const hex = bytes.toString('hex');
        assert.ok(!d.includes(hex), `${name}: its bytes are in the database dump`);
        for (const [f, b] of blobs) {
            assert.equal(b.indexOf(bytes), -1, `${name} in ${f}`);
            assert.equal(b.indexOf(Buffer.from(hex)), -1, `${name} as hex in ${f}`);
            assert.equal(b.indexOf(Buffer.from(bytes.toString('base64').slice(0, 60))), -1, `${name} as base64 in ${f}`);
        }
    }
    for (const [f, b] of blobs)
        assert.equal(b.indexOf(Buffer.from('PRIVATE KEY')), -1, `a PEM private key in ${f}`);
}

test('custody__first_download_destroys_the_copy_audited__second_410_names_why__no_key_left', async () => {
    const o = await issued();
    const pin = (await smsTo(o.form.agent_mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    const enc = Buffer.from(psql(`SELECT encode(p12_enc, 'hex') FROM certificates WHERE serial = '${o.serial}'`), 'hex');
    assert.ok(enc.length > 500, 'the hall holds the encrypted medium until it is handed over');
    /* the order page offers it, once */
    let page = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(page.text, new RegExp(`id="medium" href="/pki/medium\\?id=${o.id}"`));
    assert.match(page.text, /只能下载一次/);

    const m = await download(o.c, o.id);
    assert.equal(m.status, 200, m.body.toString());
    assert.equal(m.type, 'application/x-pkcs12');
    const dir = tmpdir();
    const key = keyOf(dir, m.body, pin);
    assert.deepEqual(row(o.serial), { held: false, downloaded: true, why: 'download', destroyed: true });
    assert.equal(audits(o.serial), '1');
    assert.equal(psql(`SELECT actor FROM audit_log WHERE entity = 'certificate' AND entity_id = '${o.serial}'
        AND action = 'medium destroy'`), `user:${psql(`SELECT user_id FROM orders WHERE id = ${o.id}`)}`);
    /* the PIN's SMS, once sent, is not kept either (at the destruction, or
     * by the next tick when it was marked sent after) */
    const pinKept = () => psql(`SELECT length(payload_enc) FROM outbox WHERE idem_key = 'sms-pin-${o.serial}'`);
    for (let i = 0; i < 150 && pinKept() !== '0'; i++)
        await new Promise((ok) => setTimeout(ok, 100));
    assert.equal(pinKept(), '0', 'the PIN SMS payload is emptied once sent');

    /* a second download: 410, why and when, and where to go instead */
    const again = await download(o.c, o.id);
    assert.equal(again.status, 410);
    const j = JSON.parse(again.body.toString());
    assert.match(j.message, /^证书介质已交付（\d{4}-\d{2}-\d{2} \d{2}:\d{2}，首次下载时交付），网上营业厅不保留私钥，不能再次下载。介质遗失请办理补办，忘记PIN码请办理解锁$/);
    assert.equal(j.reissue_url, `/reissue/serial?project=jieyang&serial=${o.serial}`);
    assert.equal(j.unlock_url, `/unlock/serial?project=jieyang&serial=${o.serial}`);
    const html = await download(o.c, o.id, 'text/html');
    assert.equal(html.status, 410);
    assert.match(html.body.toString(), /电子签名法/);
    assert.match(html.body.toString(), new RegExp(`id="medium-reissue" href="/reissue/serial\\?project=jieyang&amp;serial=${o.serial}"`));
    assert.match(html.body.toString(), new RegExp(`id="medium-unlock" href="/unlock/serial\\?project=jieyang&amp;serial=${o.serial}"`));
    assert.equal(audits(o.serial), '1', 'nothing more destroyed or audited');
    /* the order page says so instead of offering it */
    page = await o.c.get(`/center/order?id=${o.id}`);
    assert.doesNotMatch(page.text, /id="medium"/);
    assert.match(page.text, /id="medium-gone">证书介质已交付（[^）]*首次下载时交付）/);
    assert.match(page.text, /办理证书补办/);
    assert.match(page.text, /办理证书解锁/);

    /* nothing of the key anywhere */
    assertNoKey({ 'private key (DER)': key.der, 'the PKCS#12': m.body, 'the encrypted copy': enc });
    for (const [f, b] of filesUnder(path.join(VAR, 'log')).map((f) => [f, fs.readFileSync(f, 'utf8')]))
        for (const line of key.pemLines)
            assert.ok(!b.includes(line), `a line of the key's PEM in ${f}`);
});

test('custody__parallel_first_downloads__one_served_the_others_410__one_consistent_row', async () => {
    const o = await issued();
    const got = await Promise.all([1, 2, 3, 4, 5, 6].map(() => download(o.c, o.id)));
    const statuses = got.map((g) => g.status).sort();
    assert.deepEqual(statuses, [200, 410, 410, 410, 410, 410], got.map((g) => g.body.toString().slice(0, 200)).join('\n'));
    for (const g of got.filter((x) => x.status === 410))
        assert.match(JSON.parse(g.body.toString()).message, /首次下载时交付/);
    assert.deepEqual(row(o.serial), { held: false, downloaded: true, why: 'download', destroyed: true });
    assert.equal(audits(o.serial), '1');
    /* the workers are fine */
    assert.equal((await o.c.get(`/center/order?id=${o.id}`)).status, 200);
});

test('custody__n_days_after_delivery__the_ca_tick_destroys_exactly_once__two_workers_and_parallel_sweeps', async () => {
    const due = await issued(), fresh = await issued(), never = await issued();
    const enc = Buffer.from(psql(`SELECT encode(p12_enc, 'hex') FROM certificates WHERE serial = '${due.serial}'`), 'hex');
    psql(`UPDATE orders SET status = 'delivered', delivery_received_at = now() - interval '7 days 1 minute'
        WHERE id = ${due.id}`);
    psql(`UPDATE orders SET status = 'delivered', delivery_received_at = now() - interval '6 days 23 hours'
        WHERE id = ${fresh.id}`);
    /* the outbox's two workers of its 'other' lane tick every 5 s; four
     * sweeps started at the same moment race them */
    const sweeps = await Promise.all([1, 2, 3, 4].map(() => new Promise((ok) => {
        const p = spawn(path.join(process.env.HALL_ROOT, 'modules/pki/hall-pkitool'),
            ['-c', process.env.HALL_CONF, 'custody']);
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.on('close', (code) => ok({ code, out }));
    })));
    for (const s of sweeps)
        assert.equal(s.code, 0, s.out);
    for (let i = 0; i < 100 && row(due.serial).held; i++)
        await new Promise((ok) => setTimeout(ok, 100));
    /* two ticks of each worker later: still one destruction, one audit row */
    await new Promise((ok) => setTimeout(ok, 11000));
    assert.deepEqual(row(due.serial), { held: false, downloaded: false, why: 'delivered', destroyed: true });
    assert.equal(audits(due.serial), '1');
    assert.ok(/^pki:custody$/.test(psql(`SELECT actor FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${due.serial}' AND action = 'medium destroy'`)));
    assert.equal(psql(`SELECT detail->>'why' FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${due.serial}' AND action = 'medium destroy'`), 'delivered');
    /* not yet due, or never delivered: kept */
    assert.equal(row(fresh.serial).held, true);
    assert.equal(row(never.serial).held, true);
    assert.equal(audits(fresh.serial), '0');
    /* the owner is told */
    const gone = await download(due.c, due.id);
    assert.equal(gone.status, 410);
    assert.match(JSON.parse(gone.body.toString()).message, /签收后保管期满/);
    const page = await due.c.get(`/center/order?id=${due.id}`);
    assert.match(page.text, /id="medium-gone">证书介质已交付（[^）]*签收后保管期满）/);
    assert.ok(!dump().includes(enc.toString('hex')), 'the encrypted copy is gone from the database');
    /* the one kept is still served, once */
    assert.equal((await download(fresh.c, fresh.id)).status, 200);
    assert.equal((await download(fresh.c, fresh.id)).status, 410);
});

test('custody__migration_052__destroys_copies_delivered_over_7_days_ago_and_of_revoked_certificates', async () => {
    const old = await issued(), recent = await issued(), revoked = await issued();
    /* the file's own statements for existing rows, run on rows as they were
     * before it (copies held, nothing recorded), in one transaction so that
     * the outbox's tick cannot take them first; the other tests' held copies
     * are set aside meanwhile and given back */
    const sql = fs.readFileSync(path.join(process.env.HALL_ROOT, 'sql/052_custody.sql'), 'utf8');
    const existing = sql.slice(sql.indexOf('-- Existing rows.'));
    const ours = [old, recent, revoked].map((x) => `'${x.serial}'`).join(',');
    const r = spawnSync('sh', ['-c', `${process.env.HALL_PSQL} -X -q -v ON_ERROR_STOP=1 -1 -f -`], {
        input: `UPDATE orders SET delivery_received_at = now() - interval '8 days' WHERE id = ${old.id};
            UPDATE orders SET delivery_received_at = now() - interval '2 days' WHERE id = ${recent.id};
            UPDATE certificates SET state = 'revoked', revoked_at = now(), revoke_reason = 1,
                revoked_by = 'test' WHERE serial = '${revoked.serial}';
            CREATE TEMPORARY TABLE keep_out ON COMMIT DROP AS SELECT serial, p12_enc FROM certificates
                WHERE p12_enc IS NOT NULL AND serial NOT IN (${ours});
            UPDATE certificates SET p12_enc = NULL WHERE serial IN (SELECT serial FROM keep_out);
            ${existing}
            UPDATE certificates c SET p12_enc = k.p12_enc FROM keep_out k WHERE k.serial = c.serial;`,
        encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(row(old.serial), { held: false, downloaded: false, why: 'migration', destroyed: true });
    assert.equal(row(revoked.serial).why, 'migration');
    assert.equal(row(recent.serial).held, true);
    assert.equal(audits(old.serial), '1');
    assert.equal(psql(`SELECT actor || ' ' || (detail->>'state') FROM audit_log WHERE entity = 'certificate'
        AND entity_id = '${revoked.serial}' AND action = 'medium destroy'`), 'migration:052 revoked');
    const gone = await download(old.c, old.id);
    assert.equal(gone.status, 410);
    assert.match(JSON.parse(gone.body.toString()).message, /按密钥保管规定/);
    assert.equal((await download(recent.c, recent.id)).status, 200);
});
