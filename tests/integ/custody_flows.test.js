'use strict';
/*
 * Custody, proved over the flows custody_scan.test.js leaves (issue 64 §4:
 * "every flow ... with var/, the database, its WAL, the logs and a backup
 * scanned during and after for any private key: none, ever";
 * docs/internals/pki.md, "Key birth").  Each flow goes through the helpers
 * its own tests use; script/custody-scan runs in a loop beside it (a run
 * at least while it runs, one after), and the scan
 * (tests/integ/lib/custody.js) runs between its steps and after it:
 *   (a) 电子签章: an ECDSA seal order (机构章, 机构业务章, 机构个人章)
 *       produced onto a USB key, scanned before and after the 机构个人章's
 *       holder makes its key (lib/seal.js holderMakesKey), then its unit
 *       renamed by a 变更 produced onto a new USB key (the 业务章's new key
 *       born there); an SM2 seal order whose 机构证书 key (POST /pki/csr,
 *       its 机构章 made with it) and 业务章 key (POST /pki/seal-key) the
 *       applicant's browser makes;
 *   (b) certificates made in the browser (P-256 and SM2 新办) and their 更新,
 *       变更, 补办 and 解锁 (lib/holder.js holderKey: the hall gets the
 *       request only), the keys' scalars known to the scan;
 *   (c) the 证书助手 against the hall on one SoftHSM2 medium: hall-assist
 *       renew, change and unlock, the scan run by a proxy between the
 *       hall's issue (or SO PIN release) and the tool's confirmation;
 *   (d) 制作证书 of three orders at once, twice, with the loop beside them;
 *       and one that fails halfway (HALL_PKI_FAULT=medium_write: the
 *       medium wiped, nothing issued), scanned after the wipe;
 *   (e) script/backup's file opened as script/restore opens it (the dump
 *       as pg_restore writes its SQL, the keys decrypted with the
 *       passphrase, the uploads) and scanned on its own; a holder's key
 *       planted in var/uploads before a backup is found there, in the file
 *       itself and by script/custody-scan, and named by its certificate.
 * The SM2 seal order's own 机构证书, which the hall made as a file before,
 * is the applicant's browser's too (core/biz/produce_csr_seal.c): a test
 * of its own says so.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { SKIP, HALL_ROOT } = require('./lib/hall');
const { HALL, applicant, freshPhone } = require('./lib/client');
const {
    operator, staffRevoke, acceptedByTransfer, smsTo, tmpdir, openssl, psql, orgForm, personForm,
} = require('./lib/pki');
const { sealOrder, holderMakesKey } = require('./lib/seal');
const { holderKey, holderRequest, scalarOf, replacingOrder } = require('./lib/holder');
const { softhsmModule, mediaEnv, p11Skip } = require('./lib/station');
const { scan } = require('./lib/custody');
const { withConf, restore } = require('./lib/cutmod');

const VAR = process.env.HALL_VAR;
const TOOL = path.join(HALL_ROOT || path.resolve(__dirname, '..', '..'), 'tools', 'assist', 'hall-assist');
const skip = SKIP || p11Skip;

/* what the flows made: the certificates whose keys the hall never had,
 * the scalars of the keys the test made as their holder, the scans run
 * between the steps */
const serials = new Set();
const scalars = [];
const between = [];
let sm2SealOrder = null;

/* the scan at a step of a flow: no breach, recorded */
function scanAt(step, opts = {}) {
    const r = scan({ serials: [...serials], scalars, ...opts });
    between.push({ step, scanned: r.scanned });
    assert.deepEqual(r.breaches, [], `the custody scan ${step} (${r.scanned.files} sources)`);
    return r;
}

/* script/custody-scan, again and again until stop() */
function scanLoop() {
    const runs = [];
    let stopping = false, current = null;
    const once = () => new Promise((ok) => {
        const t0 = Date.now();
        /* the certificates and the holders' scalars known when it starts */
        const args = [...[...serials].flatMap((x) => ['--serial', x]), ...scalars.flatMap((x) => ['--scalar', x])];
        const p = spawn(path.join(HALL_ROOT, 'script', 'custody-scan'), args, { env: process.env });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        p.on('close', (status) => ok({ t0, t1: Date.now(), status, out }));
    });
    const loop = (async () => {
        while (!stopping) {
            current = once();
            runs.push(await current);
        }
    })();
    return { runs, stop: async () => { stopping = true; await loop; return runs; } };
}

/* fn() with script/custody-scan looping beside it: every run clean, one
 * at least while fn ran, and one wholly after it */
async function during(step, fn) {
    const loop = scanLoop();
    /* the first scan under way before the flow starts */
    await new Promise((ok) => setTimeout(ok, 300));
    const t0 = Date.now();
    let t1 = null;
    try {
        await fn();
        t1 = Date.now();
        while (!loop.runs.some((x) => x.t0 > t1))
            await new Promise((ok) => setTimeout(ok, 200));
    } finally {
        await loop.stop();
    }
    const runs = loop.runs;
    for (const r of runs)
        assert.equal(r.status, 0, `script/custody-scan at +${r.t0 - t0} ms ${step}: ${r.out}`);
    const over = runs.filter((r) => r.t0 < t1 && r.t1 > t0);
    assert.ok(over.length >= 1, `a scan ran during ${step} (${t1 - t0} ms): `
        + `${JSON.stringify(runs.map((r) => [r.t0 - t0, r.t1 - t0]))}`);
    between.push({ step: `looping during ${step} (${t1 - t0} ms)`, runs: runs.length, during: over.length });
}

/* the order's issued certificates: [{serial, seal, medium, origin, p12, pop}] */
function issued(id) {
    const rows = psql(`SELECT serial || '|' || coalesce(seal_item_id::text, '') || '|' || coalesce(medium_serial, '')
        || '|' || key_origin || '|' || (p12_enc IS NOT NULL) || '|' || (pop_checked_at IS NOT NULL)
        FROM certificates WHERE order_id = ${id} AND state = 'issued' ORDER BY seal_item_id NULLS FIRST, serial`);
    return rows === '' ? [] : rows.split('\n').map((l) => {
        const [serial, seal, medium, origin, p12, pop] = l.split('|');
        return { serial, seal, medium, origin, p12: p12 === 'true', pop: pop === 'true' };
    });
}

/* a certificate born with its holder: its key's origin, proven, no PKCS#12 */
function bornOutside(c, origin) {
    assert.deepEqual([c.origin, c.p12, c.pop], [origin, false, true], `certificate ${c.serial}`);
    serials.add(c.serial);
}

/* ---- (a) 电子签章 ---------------------------------------------------- */

test('custody_flows__seal_orders__usb_key_business_seal_person_seal_and_sm2_seal_keys_never_in_the_hall', { skip }, () => during('the seal orders', async () => {
    const op = await operator();
    const dir = tmpdir();
    /* an ECDSA seal order: 机构章, a 业务章 and a 机构个人章, onto a USB key */
    const phone = freshPhone('135');
    const o = await sealOrder(await applicant(), {
        org_count: '1', org_years: '2', org_style: 'auto',
        biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto',
        person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
        person_1_style: 'auto', person_1_mobile: phone,
    }, { agent_mobile: freshPhone('138') });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${o.id}`);
    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(r.status, 200, r.text);
    const made = issued(o.id);
    assert.equal(made.length, 2, `the 机构证书 and the 业务章's on the medium: ${JSON.stringify(made)}`);
    for (const c of made) {
        assert.match(c.medium, /^[0-9A-F]{16}$/);
        bornOutside(c, 'medium');
    }
    /* between production and the 机构个人章's holder */
    scanAt('after the seal order\'s production, before the person seal\'s holder');
    const held = await holderMakesKey(phone, dir);
    const person = issued(o.id).find((c) => c.serial === held.serial);
    assert.ok(person && person.seal !== '', `the 机构个人证书 ${held.serial} is the order's`);
    bornOutside(person, 'browser');
    /* the unit renamed by a 变更 produced onto a new USB key: the 业务章's
     * new certificate, its key born on that medium beside the unit's */
    const renamedTo = '深圳托管改名科技有限公司';
    const named = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), org_name: renamedTo, bank_account_name: renamedTo }) });
    const change = replacingOrder(o.id, made[0].serial, 'change', named.id);
    const rc = await op.post('/admin/pki/issue', { id: change, medium: 'pkcs11' });
    assert.equal(rc.status, 200, rc.text);
    assert.match(rc.body.message, /机构业务章 1 枚已以新机构名称换发印章证书/);
    const renamed = issued(change);
    assert.deepEqual(renamed.map((x) => x.seal), ['', made[1].seal], JSON.stringify(renamed));
    for (const x of renamed) {
        assert.equal(x.medium, renamed[0].medium, 'the 业务章\'s key on the change\'s medium');
        bornOutside(x, 'medium');
    }
    scanAt('after the unit renamed, its 业务章 on a new certificate');

    /* an SM2 seal order: its 业务章 key made in the applicant's browser */
    const c = await applicant();
    const s = await sealOrder(c, {
        ca: 'sm2', org_count: '1', org_years: '2', org_style: 'auto',
        biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
    }, { agent_mobile: freshPhone('138') });
    assert.equal(psql(`SELECT p.ca FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = ${s.id}`), 'sm2');
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1 WHERE id = ${s.id}`);
    /* its 机构证书 (the 机构章's signer) from the applicant's request */
    const r2 = await op.post('/admin/pki/issue', { id: s.id, medium: 'pkcs11' });
    assert.equal(r2.status, 409, r2.text);
    await inBrowser(c, s.id, dir);
    sm2SealOrder = s.id;
    scanAt('after the SM2 seal order\'s 机构证书, before its 业务章\'s key');
    const req = holderRequest(dir, 'SM2');
    const esId = psql(`SELECT 'SZCA' || lpad('${s.id}', 12, '0') || 'B01'`);
    const k = await c.post('/pki/seal-key', { es_id: esId, csr: req.b64 });
    assert.equal(k.status, 200, k.text);
    scalars.push(scalarOf(req.key));
    const biz = issued(s.id).find((x) => x.serial === k.body.serial);
    assert.ok(biz && biz.seal !== '', `the 业务章's certificate ${k.body.serial}`);
    bornOutside(biz, 'browser');
    scanAt('after the seal orders');
}));

/* ---- (b) made in the browser --------------------------------------- */

/* the hall's 机构证书 with its key made in the browser: nothing mailed */
function browserForm(extra = {}) {
    const f = orgForm({ agent_mobile: freshPhone('137'), key_origin: 'browser', ...extra });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    return f;
}

/* the holder's key and certificate for order id (lib/holder.js) */
async function inBrowser(c, id, dir) {
    const h = await holderKey(c, id, { dir, pin: 'Holder2026pin' });
    scalars.push(h.scalar);
    const [cert] = issued(id);
    assert.equal(cert.serial, h.serial);
    bornOutside(cert, 'browser');
    return h;
}

test('custody_flows__browser_made_new_renew_change_reissue_unlock__the_hall_gets_requests_only', { skip: SKIP }, () => during('the browser flows', async () => {
    const dir = tmpdir();
    const a = await acceptedByTransfer({ project: 'hall', form: browserForm() });
    const first = await inBrowser(a.c, a.id, dir);
    scanAt('after a browser 新办', { dump: false });
    /* 更新, then 变更 of the renewed one (the unit renamed), 补办 of the
     * changed one (revoked at staff's approval), 解锁 of that one: each a
     * new key in the browser */
    const rn = await inBrowser(a.c, replacingOrder(a.id, first.serial, 'renew'), dir);
    const named = await acceptedByTransfer({ project: 'hall',
        form: browserForm({ org_name: '深圳市托管扫描科技有限公司', bank_account_name: '深圳市托管扫描科技有限公司' }) });
    const ch = await inBrowser(a.c, replacingOrder(a.id, rn.serial, 'change', named.id), dir);
    assert.equal(ch.name, '深圳市托管扫描科技有限公司');
    const reissue = replacingOrder(a.id, ch.serial, 'reissue');
    assert.equal((await staffRevoke(ch.serial, 'keyCompromise')).status, 200);
    const re = await inBrowser(a.c, reissue, dir);
    await inBrowser(a.c, replacingOrder(a.id, re.serial, 'unlock'), dir);
    /* an SM2 certificate made in the browser */
    const b = await acceptedByTransfer({ project: 'hall', form: browserForm({ ca: 'sm2' }) });
    const sm2 = await inBrowser(b.c, b.id, dir);
    assert.equal(sm2.algorithm, 'sm2');
    scanAt('after the browser flows');
}));

/* ---- (c) the 证书助手 ------------------------------------------------- */

/* the hall as hall-assist sees it: a proxy that runs at(url) before
 * forwarding each request (the scan between the tool's steps) */
const proxies = [];
after(() => {
    proxies.forEach((p) => p.close());
    restore();
});
async function proxy(at) {
    const srv = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (d) => chunks.push(d));
        req.on('end', async () => {
            try {
                at(req.url);
            } catch (e) {
                /* a breach fails the test after the tool: no answer for it */
                proxy.failed.push(e);
                req.socket.destroy();
                return;
            }
            const body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
            const r = await fetch(`${HALL}${req.url}`, { method: req.method, body,
                headers: { 'content-type': req.headers['content-type'] || 'application/octet-stream',
                    accept: req.headers.accept || 'application/json' } });
            const buf = Buffer.from(await r.arrayBuffer());
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/json' });
            res.end(buf);
        });
    });
    await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
    proxies.push(srv);
    return `http://127.0.0.1:${srv.address().port}`;
}
proxy.failed = [];

function assist(args) {
    return new Promise((ok) => {
        const p = spawn(TOOL, [args[0], '--module', softhsmModule(), ...args.slice(1)], { env: mediaEnv() });
        let out = '', err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('error', (e) => ok({ status: -1, out, err: `hall-assist does not run: ${e.message}` }));
        p.on('close', (status) => ok({ status, out, err }));
    });
}

function pinFile(dir, lines) {
    const f = path.join(dir, `pin-${crypto.randomBytes(4).toString('hex')}`);
    fs.writeFileSync(f, `${lines.join('\n')}\n`, { mode: 0o600 });
    return f;
}

/* a flow of hall-assist on the medium: its code from the order's owner,
 * the tool through the proxy, the scan before the request named last */
async function viaAssist(o, verb, id, pins, last) {
    const t = await o.c.post(`/${verb}/assist/ticket`, { id });
    assert.equal(t.status, 200, t.text);
    let scanned = 0;
    const hall = await proxy((url) => {
        if (url === last) {
            scanAt(`during hall-assist ${verb}, before ${last}`, { dump: false });
            scanned++;
        }
    });
    const r = await assist([verb, '--token', o.medium, '--ticket', t.body.ticket, '--hall', hall,
        '--pin-file', pinFile(o.dir, pins)]);
    assert.deepEqual(proxy.failed, []);
    assert.equal(r.status, 0, `hall-assist ${verb}: ${r.out}\n${r.err}`);
    assert.equal(scanned, 1, `the scan ran before ${last}`);
    return r;
}

test('custody_flows__assist_renew_change_unlock_on_one_medium__scanned_between_the_tools_steps', { skip }, () => during('the 证书助手 flows', async () => {
    const op = await operator();
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const p = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(p.status, 200, p.text);
    const [first] = issued(o.id);
    bornOutside(first, 'medium');
    const pin = (await smsTo(phone, new RegExp(`序列号${first.serial}`))).match(/PIN码为：(\d+)/)[1];
    const m = { c: o.c, medium: first.medium, dir: tmpdir() };
    /* 在线更新: into the renewal window, a 成功受理 证书更新 order */
    psql(`UPDATE certificates SET not_after = date_trunc('second', now() + interval '10 days'),
        not_before = date_trunc('second', now() + interval '10 days') - interval '1 year'
        WHERE serial = '${first.serial}'`);
    const renew = replacingOrder(o.id, first.serial, 'renew');
    await viaAssist(m, 'renew', renew, [pin], '/pki/renew/written');
    const [renewed] = issued(renew);
    assert.equal(renewed.medium, first.medium, 'renewed on the same medium');
    bornOutside(renewed, 'medium');
    /* 在线变更: the unit renamed */
    const named = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: phone, org_name: '深圳托管助手科技有限公司', bank_account_name: '深圳托管助手科技有限公司' }) });
    const change = replacingOrder(o.id, renewed.serial, 'change', named.id);
    await viaAssist(m, 'change', change, [pin], '/pki/change/written');
    const [changed] = issued(change);
    assert.equal(changed.medium, first.medium, 'changed on the same medium');
    bornOutside(changed, 'medium');
    /* 解锁: the SO PIN released once, the PIN reset, no new certificate */
    const unlock = replacingOrder(o.id, changed.serial, 'unlock');
    const u = await viaAssist(m, 'unlock', unlock, ['97531864'], '/unlock/assist/rotated');
    assert.match(u.out, new RegExp(`介质 ${first.medium} 已解锁`));
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${unlock}`), '0');
    scanAt('after the 证书助手 flows');
}));

/* ---- (d) during production ----------------------------------------- */

test('custody_flows__parallel_productions_while_the_scan_loops__no_key_at_any_moment', { skip }, async () => {
    const op = await operator();
    const orders = [];
    const person = () => personForm({ app_mobile: freshPhone('137'), bank_account: '4000021009100123456' });
    for (const form of [null, null, person(), null, person(), person()])
        orders.push(await acceptedByTransfer(form ? { form } : {}));
    /* 制作证书 of three orders at once, twice (机构 and 个人), no medium
     * named: production_medium's USB keys */
    const rs = [];
    await during('two rounds of three parallel productions', async () => {
        for (const round of [orders.slice(0, 3), orders.slice(3)])
            rs.push(...await Promise.all(round.map((o) => op.post('/admin/pki/issue', { id: o.id }))));
    });
    for (const r of rs)
        assert.equal(r.status, 200, r.text);
    for (const o of orders) {
        const [c] = issued(o.id);
        assert.match(c.medium, /^[0-9A-F]{16}$/);
        bornOutside(c, 'medium');
    }
    assert.equal(new Set(orders.map((o) => issued(o.id)[0].medium)).size, orders.length, 'one medium each');

    /* a production that fails halfway (a copy of hall-pki whose media are
     * pulled out after the holder's certificate is written, before its
     * chain: medium.test.js): wiped, nothing issued, nothing left */
    const f = await acceptedByTransfer();
    process.env.HALL_PKI_FAULT = 'medium_write';
    try {
        await withConf('pki', (text) => text);
    } finally {
        delete process.env.HALL_PKI_FAULT;
    }
    let failed = null;
    try {
        await during('a production that fails halfway', async () => {
            failed = await op.post('/admin/pki/issue', { id: f.id, medium: 'pkcs11' });
        });
    } finally {
        restore();
    }
    assert.equal(failed.status, 503, failed.text);
    assert.match(failed.body.message, /^介质 [0-9A-F]{16} 制作失败，已擦除，未签发证书/);
    scanAt('after a production wiped halfway');
    /* made again, onto the next blank medium */
    const again = await op.post('/admin/pki/issue', { id: f.id });
    assert.equal(again.status, 200, again.text);
    bornOutside(issued(f.id)[0], 'medium');
});

/* ---- (e) the backup ------------------------------------------------ */

/* script/backup of the test hall, opened as script/restore opens it: dir
 * holds db.sql (pg_restore's SQL of the dump), keys/ and credentials/
 * (decrypted with the passphrase), uploads/, and the file itself */
function backupOpened() {
    const dir = tmpdir();
    const pass = `custody-${crypto.randomBytes(8).toString('hex')}`;
    const file = path.join(dir, 'hall.backup');
    const b = spawnSync(path.join(HALL_ROOT, 'script', 'backup'), ['-o', file, '--var', VAR],
        { env: { ...process.env, HALL_BACKUP_PASSPHRASE: pass }, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr + b.stdout);
    const open = path.join(dir, 'open');
    fs.mkdirSync(open);
    execFileSync('tar', ['-xf', file, '-C', open]);
    const pgBin = path.dirname(process.env.HALL_PSQL.trim().split(/\s+/)[0]);
    execFileSync(path.join(pgBin, 'pg_restore'), ['-f', path.join(open, 'db.sql'), path.join(open, 'db.dump')]);
    const keys = openssl(['enc', '-d', '-aes-256-cbc', '-pbkdf2', '-iter', '600000', '-pass', 'env:HALL_BACKUP_PASSPHRASE',
        '-in', path.join(open, 'keys.tar.enc'), '-out', path.join(open, 'keys.tar')],
    { env: { ...process.env, HALL_BACKUP_PASSPHRASE: pass } });
    assert.equal(keys.status, 0, keys.stderr);
    execFileSync('tar', ['-xf', path.join(open, 'keys.tar'), '-C', open]);
    /* (restore pipes it into tar: no archive of the keys in clear stays) */
    fs.rmSync(path.join(open, 'keys.tar'));
    execFileSync('tar', ['-xf', path.join(open, 'uploads.tar'), '-C', open]);
    assert.ok(fs.existsSync(path.join(open, 'keys', 'pii.key')), 'the keys decrypted');
    assert.match(fs.readFileSync(path.join(open, 'db.sql'), 'utf8'), /COPY public\.certificates /, 'the dump read as SQL');
    return { dir, open, file };
}

/* the backup alone scanned: its files, the hall's keys listed as its own */
const scanBackup = (b) => scan({ varDir: b.open, exclude: [], hallKeys: [path.join(b.open, 'keys')], files: [b.file],
    dump: false, serials: [...serials], scalars });

test('custody_flows__the_backup_opened_as_restore_does__no_key__a_planted_one_found_and_named', { skip }, async () => {
    assert.ok(serials.size >= 15, `the flows above made their certificates: ${serials.size}`);
    /* a browser-made holder's key (the test is its holder), planted where
     * the backup takes the uploads from: found in the backup, named */
    const dir = tmpdir();
    const o = await acceptedByTransfer({ project: 'hall', form: browserForm() });
    const h = await holderKey(o.c, o.id, { dir });
    const planted = path.join(VAR, 'uploads', `custody-canary-${h.serial}.pem`);
    fs.copyFileSync(h.key, planted);
    let b, cli;
    try {
        /* script/custody-scan (what loops beside the flows above) finds it */
        cli = spawnSync(path.join(HALL_ROOT, 'script', 'custody-scan'), ['--no-dump'], { encoding: 'utf8' });
        b = backupOpened();
    } finally {
        fs.rmSync(planted, { force: true });
    }
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, new RegExp(`^BREACH: ${planted} \\(raw, offset 0\\): PEM -----BEGIN PRIVATE KEY-----: `
        + `the private key of certificate ${h.serial} \\(key born: browser\\)$`, 'm'));
    assert.match(cli.stdout, /^BREACHED: /m);
    const found = scanBackup(b);
    const named = `the private key of certificate ${h.serial} (key born: browser)`;
    assert.ok(found.breaches.some((x) => x.startsWith(path.join(b.open, 'uploads')) && x.endsWith(named)),
        `the key in the backup's uploads found:\n${found.breaches.join('\n')}`);
    assert.ok(found.breaches.some((x) => x.startsWith(`${b.file} (`) && x.endsWith(named)),
        `and in the backup file itself (uploads.tar):\n${found.breaches.join('\n')}`);
    assert.ok(found.breaches.every((x) => x.endsWith(named)), found.breaches.join('\n'));
    serials.add(h.serial);

    /* the backup without it: nothing */
    const clean = backupOpened();
    const r = scanBackup(clean);
    assert.deepEqual(r.breaches, [], `the backup (${r.scanned.files} files, ${r.scanned.bytes} bytes)`);
    assert.ok(r.ownKeys.length > 0, 'the hall\'s own keys read in the decrypted keys');
    assert.ok(r.scanned.bytes > 1e5, JSON.stringify(r.scanned));
});

/* ---- after everything ---------------------------------------------- */

test('custody_flows__after_every_flow__no_private_key_in_var_db_wal_or_logs', { skip }, (t) => {
    const r = scan({ serials: [...serials], scalars });
    assert.deepEqual(r.breaches, [], `the custody scan (${r.scanned.files} sources, ${r.scanned.bytes} bytes)`);
    assert.ok(r.scanned.wal > 0 && r.scanned.logs > 0, JSON.stringify(r.scanned));
    /* where each key was born, in the audit trail (holder_medium: an
     * assistant's renewal or change, unattested) */
    for (const s of serials)
        assert.match(psql(`SELECT detail->>'born' FROM audit_log WHERE entity = 'certificate'
            AND entity_id = '${s}' AND action = 'key_born'`), /^(medium|holder_medium|browser)$/, `certificate ${s}`);
    t.diagnostic(`${serials.size} certificates, ${scalars.length} known scalars; scans: ${JSON.stringify(between)}; `
        + `after: ${JSON.stringify(r.scanned)}; suspects: ${r.suspects.length}`);
});

test('custody_flows__the_sm2_seal_orders_own_certificate__its_key_not_made_by_the_hall', { skip }, () => {
    assert.ok(sm2SealOrder, 'the seal test made an SM2 seal order');
    const own = issued(sm2SealOrder).filter((c) => c.seal === '');
    assert.equal(own.length, 1, JSON.stringify(issued(sm2SealOrder)));
    const r = scan({ serials: [own[0].serial], dump: false });
    assert.deepEqual([own[0].origin, own[0].p12, r.breaches], ['browser', false, []]);
});
