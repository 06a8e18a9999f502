'use strict';
/*
 * The object store's failure paths (core/store/objstore.c, file.c), with
 * whichever driver the test hall runs (HALL_TEST_STORE: local, or s3 on a
 * one-node Swift):
 *   - an object deleted behind the hall's back, or one that fails its GCM
 *     tag: the download is a clear 404 naming the file, never a 5xx;
 * and with the S3 driver only (Swift's proxy under the hall's process
 * manager, script/lib/swift.sh):
 *   - Swift stopped mid-test: the upload answers the hall's own 503 at
 *     once, no row points at a missing object, the pages keep answering;
 *     Swift back: uploads store again;
 *   - Swift hung (its proxy stopped with SIGSTOP): the upload answers the
 *     hall's own 504 when http_total_ms runs out, no row written.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { atNewForm, psql, orgForm } = require('./lib/payflow');
const { S3, objectBytes, objectExists, objectRemove, objectPut } = require('./lib/objstore');

const SKIP = !process.env.HALL_VAR || !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(5000, 7)]);

async function printedOrder(c) {
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.equal((await c.post('/new/printed', { id })).status, 200);
    await c.get(`/new/upload?id=${id}`);
    return id;
}

const upload = (c, id, kind = 'application') =>
    c.postMultipart('/new/upload', { id, kind }, { file: { name: `${kind}.jpg`, data: JPEG } });

const download = (c, fileId) =>
    fetch(`${c.base}/new/file?id=${fileId}`, { headers: { Cookie: c.cookieHeader() } });

const storedName = (fileId) => psql(`SELECT stored_name FROM order_files WHERE id = ${fileId}`);
const orderNo = (id) => psql(`SELECT order_no FROM orders WHERE id = ${id}`);

/* every live row of the order has its object */
function rowsHaveObjects(id) {
    const names = psql(`SELECT stored_name FROM order_files WHERE order_id = ${id}
        AND removed_at IS NULL`).split('\n').filter(Boolean);
    for (const n of names)
        assert.ok(objectExists(n), `row's object ${n} exists`);
    return names.length;
}

test('an object deleted behind the hall\'s back: the download is a 404 naming the file', { skip: SKIP }, async () => {
    const c = await atNewForm();
    const id = await printedOrder(c);
    const up = await upload(c, id);
    assert.equal(up.status, 200, up.text);
    const ok = await download(c, up.body.file_id);
    assert.equal(ok.status, 200);
    assert.deepEqual(Buffer.from(await ok.arrayBuffer()), JPEG);

    objectRemove(storedName(up.body.file_id));
    const r = await download(c, up.body.file_id);
    const text = await r.text();
    assert.equal(r.status, 404, text);
    assert.match(text, new RegExp(`${orderNo(id)}-application\\.jpg`), 'the file is named');
    assert.match(text, /缺失或已损坏/);
});

test('an object that fails its GCM tag: the same clear 404, never the bytes', { skip: SKIP }, async () => {
    const c = await atNewForm();
    const id = await printedOrder(c);
    const up = await upload(c, id);
    assert.equal(up.status, 200, up.text);
    const name = storedName(up.body.file_id);
    const enc = objectBytes(name);
    assert.ok(enc && enc.length === JPEG.length + 29, 'encrypted: version, nonce, tag around it');
    enc[enc.length - 100] ^= 1;
    objectPut(name, enc);
    const r = await c.get(`/new/file?id=${up.body.file_id}`);
    assert.equal(r.status, 404, r.text);
    assert.match(r.text, new RegExp(`${orderNo(id)}-application\\.jpg`));
    assert.match(r.text, /缺失或已损坏/);
});

/* ---- Swift itself failing (S3 driver) ------------------------------------- */

const RUN = () => path.join(process.env.HALL_VAR, 'run');
const proxyPid = () => Number(fs.readFileSync(path.join(RUN(), 'swift_proxy.pid'), 'utf8').trim());
const parentOf = (pid) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);

function swiftPort() {
    const conf = fs.readFileSync(process.env.HALL_CONF, 'utf8');
    return Number(conf.match(/^s3_endpoint = http:\/\/127\.0\.0\.1:(\d+)/m)[1]);
}

async function swiftUp() {
    for (let i = 0; i < 600; i++) {
        try {
            const r = await fetch(`http://127.0.0.1:${swiftPort()}/healthcheck`);
            if (r.status === 200)
                return true;
        } catch { /* not yet */ }
        await new Promise((res) => setTimeout(res, 100));
    }
    return false;
}

test('Swift stopped: the upload answers 503 at once, no row without its object; back: uploads store', { skip: SKIP || !S3, timeout: 180000 }, async () => {
    const c = await atNewForm();
    const id = await printedOrder(c);
    const first = await upload(c, id, 'application');
    assert.equal(first.status, 200, first.text);
    const rowsBefore = psql(`SELECT count(*) FROM order_files WHERE order_id = ${id}`);

    /* the proxy killed and its supervisor held, so that it stays away */
    const child = proxyPid();
    const sup = parentOf(child);
    fs.appendFileSync(path.join(process.env.HALL_VAR, 'log', 'kills.log'), 'swift_proxy\n');
    process.kill(sup, 'SIGSTOP');
    try {
        process.kill(-child, 'SIGKILL');
        for (let i = 0; i < 100; i++) {
            try { process.kill(child, 0); } catch { break; }
            await new Promise((res) => setTimeout(res, 50));
        }
        const r = await upload(c, id, 'license');
        assert.equal(r.status, 503, r.text);
        assert.match(r.body.message, /文件存储服务暂时不可用/);
        assert.equal(psql(`SELECT count(*) FROM order_files WHERE order_id = ${id}`), rowsBefore,
            'no row written');
        /* the rest of the hall keeps serving, the order's page too */
        assert.equal((await c.get(`/new/upload?id=${id}`)).status, 200);
        /* a download needs the store: the hall's own 503, not nginx's */
        const d = await c.get(`/new/file?id=${first.body.file_id}`);
        assert.equal(d.status, 503, d.text);
        assert.match(d.text, /文件存储服务暂时不可用/);
    } finally {
        process.kill(sup, 'SIGCONT');
    }
    assert.ok(await swiftUp(), 'Swift\'s proxy is back');
    const again = await upload(c, id, 'license');
    assert.equal(again.status, 200, again.text);
    assert.equal(rowsHaveObjects(id), 2);
    const dl = await download(c, again.body.file_id);
    assert.equal(dl.status, 200);
    assert.deepEqual(Buffer.from(await dl.arrayBuffer()), JPEG);
});

test('Swift hung: the upload answers the hall\'s own 504, no row written', { skip: SKIP || !S3, timeout: 180000 }, async () => {
    const c = await atNewForm();
    const id = await printedOrder(c);
    assert.ok(await swiftUp());
    const child = proxyPid();
    process.kill(-child, 'SIGSTOP');
    let r;
    try {
        r = await upload(c, id, 'application');
    } finally {
        process.kill(-child, 'SIGCONT');
    }
    assert.equal(r.status, 504, r.text);
    assert.match(r.body.message, /文件存储服务响应超时/);
    assert.equal(psql(`SELECT count(*) FROM order_files WHERE order_id = ${id}`), '0');
    /* the store answering again: the same upload goes through */
    const again = await upload(c, id, 'application');
    assert.equal(again.status, 200, again.text);
    assert.equal(rowsHaveObjects(id), 1);
});

/* ---- backup and restore -------------------------------------------------- */

test('script/backup carries every stored file, script/restore puts each back byte for byte (S3: into a bucket)', { skip: SKIP, timeout: 600000 }, async () => {
    const { execFileSync, spawnSync } = require('node:child_process');
    const os = require('node:os');
    const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
    const c = await atNewForm();
    const id = await printedOrder(c);
    assert.equal((await upload(c, id)).status, 200);
    const names = psql(`SELECT stored_name FROM order_files WHERE removed_at IS NULL`)
        .split('\n').filter(Boolean);
    assert.ok(names.length > 0);
    /* (the tests above deleted some objects behind the hall's back) */
    const want = new Map(names.map((n) => [n, objectBytes(n)]).filter(([, b]) => b !== null));
    assert.ok(want.size > 0);

    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-objstore-backup-'));
    fs.chmodSync(work, 0o755);
    const env = { ...process.env, HALL_BACKUP_PASSPHRASE: 'objstore-backup-passphrase', HALL_PG_FAST: '1' };
    try {
        const file = path.join(work, 'b.tar');
        let r = spawnSync(path.join(ROOT, 'script', 'backup'), ['--var', process.env.HALL_VAR, '-o', file],
            { env, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr + r.stdout);
        execFileSync('tar', ['-xf', file, '-C', work, 'uploads.tar', 'MANIFEST']);
        assert.match(fs.readFileSync(path.join(work, 'MANIFEST'), 'utf8'),
            S3 ? /^uploads from s3 bucket hall-test$/m : /^uploads from local$/m);
        fs.mkdirSync(path.join(work, 'x'));
        execFileSync('tar', ['-xf', path.join(work, 'uploads.tar'), '-C', path.join(work, 'x')]);
        for (const [n, bytes] of want)
            assert.ok(bytes.equals(fs.readFileSync(path.join(work, 'x', 'uploads', n))), `${n} in the backup`);

        const fresh = path.join(work, 'var');
        fs.mkdirSync(fresh);
        if (S3) {
            const conf = fs.readFileSync(process.env.HALL_CONF, 'utf8');
            const endpoint = conf.match(/^s3_endpoint = (.*)$/m)[1];
            const access = conf.match(/^s3_access_key = (.*)$/m)[1];
            fs.writeFileSync(path.join(fresh, 'hall.conf.local'), ['objstore = s3',
                `s3_endpoint = ${endpoint}`, 's3_bucket = hall-restore', `s3_access_key = ${access}`,
                `s3_secret_key_file = ${path.join(fresh, 'keys', 's3.secret')}`, ''].join('\n'));
        }
        r = spawnSync(path.join(ROOT, 'script', 'restore'), [file, '--var', fresh], { env, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr + r.stdout);
        for (const [n, bytes] of want) {
            let got;
            if (S3) {
                const g = spawnSync(path.join(ROOT, 'tools', 'objstore', 'hall-objstore'),
                    ['-c', path.join(fresh, 'hall.conf'), 'get', n], { maxBuffer: 1 << 28 });
                assert.equal(g.status, 0, `${n}: ${g.stderr}`);
                got = g.stdout;
                assert.equal(fs.existsSync(path.join(fresh, 'uploads', n)), false, `${n} moved, not copied`);
            } else {
                got = fs.readFileSync(path.join(fresh, 'uploads', n));
            }
            assert.ok(bytes.equals(got), `${n} restored byte for byte`);
        }
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
});

/* ---- hall-objstore: upload_dir into a bucket and back ---------------------- */

test('hall-objstore to-s3 and to-local: each object verified, a second run skips what is there, a differing copy replaced', { skip: SKIP || !S3, timeout: 120000 }, () => {
    const { spawnSync } = require('node:child_process');
    const os = require('node:os');
    const crypto = require('node:crypto');
    const { TOOL } = require('./lib/objstore');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-objstore-move-'));
    try {
        const from = path.join(work, 'from');
        const back = path.join(work, 'back');
        fs.mkdirSync(from);
        const objs = new Map();
        for (let i = 0; i < 3; i++) {
            const name = crypto.randomBytes(24).toString('base64url');
            const bytes = crypto.randomBytes(50000 + i);
            fs.writeFileSync(path.join(from, name), bytes);
            objs.set(name, bytes);
        }
        fs.writeFileSync(path.join(from, '.not-an-upload'), 'x');
        const bucket = `hall-move-${crypto.randomBytes(4).toString('hex')}`;
        const conf = path.join(work, 'hall.conf');
        fs.writeFileSync(conf, fs.readFileSync(process.env.HALL_CONF, 'utf8')
            .replace(/^upload_dir = .*$/m, `upload_dir = ${from}`)
            .replace(/^s3_bucket = .*$/m, `s3_bucket = ${bucket}`));
        const run = (...args) => {
            const r = spawnSync(TOOL, ['-c', conf, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
            return { status: r.status, out: r.stdout, err: r.stderr };
        };
        let r = run('to-s3');
        assert.equal(r.status, 0, r.err);
        assert.match(r.out, /^to-s3: 3 copied and verified, 0 there already$/m);
        r = run('to-s3');
        assert.equal(r.status, 0, r.err);
        assert.match(r.out, /^to-s3: 0 copied and verified, 3 there already$/m, 'resumed: nothing copied twice');
        /* a copy in the bucket that differs is replaced */
        const [first] = objs.keys();
        const g = spawnSync(TOOL, ['-c', conf, 'put', first], { input: Buffer.from('not the same') });
        assert.equal(g.status, 0, String(g.stderr));
        r = run('to-s3');
        assert.match(r.out, /^to-s3: 1 copied and verified, 2 there already$/m);
        const ls = run('ls');
        assert.deepEqual(ls.out.split('\n').filter(Boolean).sort(), [...objs.keys()].sort());
        /* and back, into another directory, the bucket emptied */
        r = run('to-local', '--remove', '--dir', back);
        assert.equal(r.status, 0, r.err);
        assert.match(r.out, /^to-local: 3 copied and verified, 0 there already$/m);
        for (const [name, bytes] of objs)
            assert.ok(bytes.equals(fs.readFileSync(path.join(back, name))), name);
        assert.equal(run('ls').out, '', 'the bucket is empty after --remove');
        /* the objects named on stdin that have none */
        const ck = spawnSync(TOOL, ['-c', conf, 'check'], { input: `${first}\n` , encoding: 'utf8' });
        assert.equal(ck.status, 1);
        assert.equal(ck.stdout, `missing ${first}\n`);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
});
