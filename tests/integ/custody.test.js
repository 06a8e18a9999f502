'use strict';
/*
 * Key custody (docs/internals/pki.md, "Key custody"): the hall hands the
 * PKCS#12 of a certificate made as a file before issue 64 over once and
 * keeps no private key.  The first download destroys
 * the hall's copy in the transaction that reads it (audited, the PIN SMS
 * emptied); a second answers 410 naming why, with 补办 and 解锁; parallel
 * first downloads serve one and refuse the others cleanly; medium_keep_days
 * after 已签收 the outbox's CA tick destroys a copy never downloaded, once
 * under two outbox workers and parallel sweeps; the migration handles the
 * rows already there; afterwards no byte of the key is in a database dump,
 * the upload directory or the logs.  A 机构个人章's medium is its holder's:
 * the holder's own phone verified before submission, its PIN and download
 * code to that phone only, the holder alone downloads it, once.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Client, HALL, SANDBOX, applicant, freshPhone } = require('./lib/client');
const { operator, reviewer, acceptedByTransfer, acceptedOnline, smsTo, tmpdir, openssl, psql } = require('./lib/pki');
const { sealOrder, verifyHolder } = require('./lib/seal');
const { fileOfBefore } = require('./lib/station');

const VAR = process.env.HALL_VAR;

/* a certificate made as a file before issue 64 (tests/integ/lib/station.js):
 * its PKCS#12 kept until handed over, which is what is tested here */
async function issued() {
    const op = await operator();
    const o = await acceptedByTransfer();
    const { serial } = await fileOfBefore(o);
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

    const staffView = async () => (await o.op.getJSON(`/admin/pki/certs?serial=${o.serial}`)).body.cert.medium;
    assert.equal(await staffView(), '网上营业厅保存中，待首次下载（签收后到期销毁）');

    const m = await download(o.c, o.id);
    assert.equal(m.status, 200, m.body.toString());
    assert.equal(m.type, 'application/x-pkcs12');
    const dir = tmpdir();
    const key = keyOf(dir, m.body, pin);
    /* the operator's 证书管理 says so too */
    assert.match(await staffView(), /^已交付，私钥副本已销毁（\d{4}-\d{2}-\d{2} \d{2}:\d{2}，首次下载时交付）$/);
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
    assert.match(j.message, /^证书介质已交付（\d{4}-\d{2}-\d{2} \d{2}:\d{2}，首次下载时交付），网上营业厅不保留私钥，不能再次下载，也不能重置PIN码。介质遗失请办理证书补办，签发新的证书和介质$/);
    assert.equal(j.reissue_url, `/reissue/serial?project=jieyang&serial=${o.serial}`);
    /* 揭阳 sells no 证书解锁: no link to its refusal */
    assert.equal(j.unlock_url, undefined);
    const html = await download(o.c, o.id, 'text/html');
    assert.equal(html.status, 410);
    assert.match(html.body.toString(), /电子签名法/);
    assert.match(html.body.toString(), new RegExp(`id="medium-reissue" href="/reissue/serial\\?project=jieyang&amp;serial=${o.serial}"`));
    assert.doesNotMatch(html.body.toString(), /id="medium-unlock"/);
    assert.equal(audits(o.serial), '1', 'nothing more destroyed or audited');
    /* the order page says so instead of offering it */
    page = await o.c.get(`/center/order?id=${o.id}`);
    assert.doesNotMatch(page.text, /id="medium"/);
    assert.match(page.text, /id="medium-gone">证书介质已交付（[^）]*首次下载时交付）/);
    assert.match(page.text, /办理证书补办/);
    assert.doesNotMatch(page.text, /办理证书解锁/);

    /* nothing of the key anywhere */
    assertNoKey({ 'private key (DER)': key.der, 'the PKCS#12': m.body, 'the encrypted copy': enc });
    for (const [f, b] of filesUnder(path.join(VAR, 'log')).map((f) => [f, fs.readFileSync(f, 'utf8')]))
        for (const line of key.pemLines)
            assert.ok(!b.includes(line), `a line of the key's PEM in ${f}`);
});

test('custody__memo_pin__the_micro_deposit_that_carried_it_is_emptied_with_the_medium', async () => {
    const o = await acceptedOnline(await reviewer());
    await fileOfBefore(o);
    const job = (col) => psql(`SELECT ${col} FROM outbox x JOIN finauth_attempts a ON x.idem_key = 'finauth-' || a.id
        WHERE a.order_id = ${o.id} AND a.memo_kind = 'pin'`);
    assert.equal(job('status'), 'done');
    assert.ok(Number(job('length(payload_enc)')) > 0, 'kept until the medium is handed over');
    const m = await download(o.c, o.id);
    assert.equal(m.status, 200);
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'm.p12'), m.body);
    assert.equal(openssl(['pkcs12', '-in', path.join(dir, 'm.p12'), '-info', '-noout', '-passin', `pass:${o.pin}`]).status, 0);
    assert.equal(job('length(payload_enc)'), '0', 'the deposit\'s memo (the PIN) is not kept');
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
    const pgLog = path.join(process.env.HALL_VAR, 'log', 'postgresql.log');
    const logAt = fs.existsSync(pgLog) ? fs.statSync(pgLog).size : 0;
    const sweeps = await Promise.all([1, 2, 3, 4].map(() => new Promise((ok) => {
        const p = spawn(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'),
            ['-c', process.env.HALL_CONF, 'custody']);
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
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
    /* the sweeps and the ticks never waited on each other into a deadlock
     * (they did when each emptied the sent PIN SMS in the order it found them) */
    if (fs.existsSync(pgLog)) {
        const fd = fs.openSync(pgLog, 'r');
        const buf = Buffer.alloc(fs.statSync(pgLog).size - logAt);
        fs.readSync(fd, buf, 0, buf.length, logAt);
        fs.closeSync(fd);
        assert.doesNotMatch(buf.toString('utf8'), /deadlock detected[\s\S]*?UPDATE outbox SET payload_enc/);
    }
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

/* ---- 机构个人章: the holder's own key -------------------------------------------------- */

const SCAN = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);

async function messagesTo(phone) {
    return ((await (await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}`)).json()).messages || []).map((m) => m.text);
}

test('custody_seal_holder__phone_verified_before_submission__code_to_the_holder_alone__key_made_by_the_holder', async () => {
    const c = await applicant();
    const agent = freshPhone('138'), holder = freshPhone('135');
    const so = await sealOrder(c, {
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0',
        person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
        person_1_style: 'auto', person_1_mobile: holder,
    }, { agent_mobile: agent });
    const item = so.items['org_person:1'];
    assert.equal((await c.post('/seal/printed', { id: so.id })).status, 200);
    for (const kind of ['holder_id_1', 'application', 'license', 'agent_id', 'seal_form', 'cert_attachment'])
        assert.equal((await c.postMultipart('/seal/upload', { id: so.id, kind },
            { file: { name: `${kind}.jpg`, data: SCAN } })).status, 200, kind);
    /* not submitted before the holder's own phone is verified */
    let u = await c.post('/seal/uploaded', { id: so.id });
    assert.equal(u.status, 400);
    assert.deepEqual(u.body.errors.map((e) => e.message), ['请在证书附页页面验证机构个人章（王五）持有人本人的手机号']);
    let page = await c.get(`/seal/attachment?id=${so.id}`);
    assert.match(page.text, /持有人本人手机：135\*\*\*\*\d{4}　<span class="holder-unverified">未验证/);
    /* the code goes to the holder's phone, not the agent's; once a minute */
    const sent = await c.post('/seal/holder/code', { id: item });
    assert.equal(sent.status, 200, sent.text);
    assert.match(sent.body.message, /验证码已发送至持有人手机 135\*\*\*\*\d{4}/);
    const again = await c.post('/seal/holder/code', { id: item });
    assert.equal(again.status, 429);
    const code = (await smsTo(holder, /验证码是\d{6}/)).match(/验证码是(\d{6})/)[1];
    assert.ok(!(await messagesTo(agent)).some((t) => t.includes(code)), 'the agent gets no holder code');
    const wrong = await c.post('/seal/holder/verify', { id: item, code: code === '000000' ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.field, 'code');
    assert.equal(wrong.body.message, '短信验证码不正确');
    assert.equal((await c.post('/seal/holder/verify', { id: item, code })).status, 200);
    page = await c.get(`/seal/attachment?id=${so.id}`);
    assert.match(page.text, /<span class="holder-verified">已验证/);
    u = await c.post('/seal/uploaded', { id: so.id });
    assert.equal(u.status, 200, u.text);
    /* the reviewer sees the holder's phone and that it was proved */
    const rv = await (await reviewer()).get(`/admin/order?id=${so.id}`);
    assert.ok(rv.text.includes(`本人手机：${holder}（已验证）`), 'the reviewer sees the verified phone');
    /* another applicant cannot send codes to this order's holders */
    const other = await applicant();
    await other.get('/center');
    assert.equal((await other.post('/seal/holder/code', { id: item })).status, 404);

    /* produced: no certificate for the 个人章 (its key is the holder's, born
     * in the holder's browser: sql/159); a code to the holder's phone alone,
     * and no PIN in it */
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${so.id}`);
    const op = await operator();
    const made = await op.post('/admin/pki/issue', { id: so.id });
    assert.equal(made.status, 200, made.text);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = ${item}`), '0');
    const sms = await smsTo(holder, /印章编码/);
    const m = sms.match(/王五您好，.*为您申请的机构个人章（印章编码(SZCA\d{12}P01)）已制作，请您本人访问.*\/seal\/holder ，凭印章编码和验证码([2-9A-HJ-NP-Z]{10})在您自己的浏览器中生成印章密钥/);
    assert.ok(m, sms);
    assert.doesNotMatch(sms, /PIN/);
    const [, esId, keyCode] = m;
    const orderPin = (await smsTo(agent, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    for (const t of await messagesTo(agent))
        assert.ok(!t.includes(keyCode), `the agent never sees the holder's code: ${t}`);
    assert.ok((await messagesTo(holder)).every((t) => !t.includes(orderPin)), 'nor the holder the order\'s PIN');

    /* the agent: told whose step it is, never handed anything */
    page = await c.get(`/seal/seals?id=${so.id}`);
    assert.match(page.text, /待持有人生成密钥/);
    assert.doesNotMatch(page.text, new RegExp(`/seal/medium\\?id=${item}"`));

    /* the holder, without an account: the key made on the holder's side, the request posted */
    const v = new Client();
    const hp = await v.get('/seal/holder');
    assert.equal(hp.status, 200);
    assert.match(hp.text, /机构个人章密钥生成/);
    const dir = tmpdir();
    const kp = path.join(dir, 'holder.key');
    assert.equal(openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', kp]).status, 0);
    const csr = openssl(['req', '-new', '-key', kp, '-subj', '/CN=x', '-outform', 'DER'], { encoding: null }).stdout;
    const wrongCode = keyCode.startsWith('2') ? `3${keyCode.slice(1)}` : `2${keyCode.slice(1)}`;
    let r = await v.post('/pki/seal-holder', { es_id: esId, code: wrongCode, csr: csr.toString('base64') });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'code');
    r = await v.post('/pki/seal-holder', { es_id: esId, code: keyCode.toLowerCase(), csr: csr.toString('base64') });
    assert.equal(r.status, 200, r.text);
    const serial = r.body.serial;
    assert.deepEqual(row(serial), { held: false, downloaded: false, why: '', destroyed: false });
    assert.equal(psql(`SELECT key_origin FROM certificates WHERE serial = '${serial}'`), 'browser');
    r = await v.post('/pki/seal-holder', { es_id: esId, code: keyCode, csr: csr.toString('base64') });
    assert.equal(r.status, 410);
    /* the agent sees that the holder has it; the seal's certificate is never offered */
    page = await c.get(`/seal/seals?id=${so.id}`);
    assert.match(page.text, /印章证书由持有人本人在其浏览器中生成密钥并保存，网上营业厅不持有私钥/);
    assert.doesNotMatch(page.text, new RegExp(`/seal/medium\\?id=${item}"`));
    const byAgent = await fetch(`${HALL}/seal/medium?id=${item}`, { headers: { Cookie: c.cookieHeader(), Accept: 'application/json' } });
    assert.equal(byAgent.status, 403);
    assert.match((await byAgent.json()).message, /属于持有人本人/);
    /* 在线盖章 in a column of its own, not among the downloads */
    const head = page.text.match(/<thead><tr>([\s\S]*?)<\/tr><\/thead>/)[1];
    assert.match(head, /<th scope="col">使用<\/th><th scope="col">下载<\/th>/);
    const der = openssl(['pkey', '-in', kp, '-outform', 'DER'], { encoding: null }).stdout;
    assertNoKey({ 'the holder\'s private key': der });
});

test('custody_seal_holder__ten_wrong_codes_lock_the_key_code', async () => {
    const c = await applicant();
    const holder = freshPhone('135');
    const so = await sealOrder(c, {
        org_count: '0', biz_count: '0', person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X',
        person_1_years: '1', person_1_style: 'auto', person_1_mobile: holder,
    });
    await verifyHolder(c, so.id, 1, holder);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${so.id}`);
    assert.equal((await (await operator()).post('/admin/pki/issue', { id: so.id })).status, 200);
    const m = (await smsTo(holder, /印章编码/)).match(/印章编码(SZCA\d{12}P01).*验证码([2-9A-HJ-NP-Z]{10})/);
    const v = new Client();
    await v.get('/seal/holder');
    const dir = tmpdir();
    const kp = path.join(dir, 'holder.key');
    assert.equal(openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', kp]).status, 0);
    const csr = openssl(['req', '-new', '-key', kp, '-subj', '/CN=x', '-outform', 'DER'], { encoding: null })
        .stdout.toString('base64');
    const wrong = m[2].startsWith('2') ? '3' + m[2].slice(1) : '2' + m[2].slice(1);
    const tries = await Promise.all(Array.from({ length: 12 },
        () => v.post('/pki/seal-holder', { es_id: m[1], code: wrong, csr })));
    assert.deepEqual([...new Set(tries.map((t) => t.status))].sort(), [400, 429]);
    assert.equal(tries.filter((t) => t.status === 400).length, 10, 'exactly ten counted');
    const locked = await v.post('/pki/seal-holder', { es_id: m[1], code: m[2], csr });
    assert.equal(locked.status, 429);
    assert.match(locked.body.message, /已锁定/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE seal_item_id = (SELECT id FROM seal_items
        WHERE order_id = ${so.id} AND kind = 'org_person')`), '0', 'nothing issued');
});
