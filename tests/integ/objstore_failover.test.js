'use strict';
/*
 * An app host with several S3 endpoints (s3_endpoint = A, B: core/store/
 * objstore.c) loses the one it talks to: with HALL_TEST_STORE=s3, a second
 * Swift proxy (the test hall's own configuration on another port, over the
 * same storage servers) is hall-new's first endpoint and the test hall's
 * proxy its second.  Uploads go on through nginx, one after another; the
 * first proxy is killed (SIGKILL, nothing listening after it) between two
 * of them.  No upload may fail: each worker finds the first endpoint
 * refusing and moves on to the next; then every row downloads the bytes
 * uploaded.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { atNewForm, psql, orgForm } = require('./lib/payflow');
const { S3 } = require('./lib/objstore');
const { withConf, restore } = require('./lib/cutmod');

const SKIP = !process.env.HALL_VAR || !process.env.HALL_URL || !S3;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* a port nothing listens on now */
function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

async function healthy(port) {
    try {
        return (await fetch(`http://127.0.0.1:${port}/healthcheck`)).status === 200;
    } catch {
        return false;
    }
}

/* a JPEG of its own bytes each time */
const scan = () => Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), crypto.randomBytes(6000)]);

async function printedOrder() {
    const c = await atNewForm();
    const r = await c.post('/new/apply', { project: 'jieyang', ...orgForm() });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.equal((await c.post('/new/printed', { id })).status, 200);
    return { c, id };
}

test('two S3 endpoints, the first proxy killed between uploads: no upload fails, every row downloads its bytes', { skip: SKIP, timeout: 300000 }, async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-objfail-'));
    const port = await freePort();
    const own = fs.readFileSync(path.join(process.env.HALL_VAR, 'swift', 'etc', 'proxy-server.conf'), 'utf8');
    const conf = path.join(work, 'proxy-server.conf');
    /* the same proxy on another port, its access log on (PUTs seen) */
    fs.writeFileSync(conf, own.replace(/^bind_port = .*$/m, `bind_port = ${port}`)
        .replace(/^log_level = .*$/m, 'log_level = INFO'));
    const logFile = path.join(work, 'proxy.log');
    const log = fs.openSync(logFile, 'a');
    const proxy = spawn('swift-proxy-server', [conf, '-v'], { detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    let alive = true;
    const kill = () => {
        if (!alive)
            return;
        alive = false;
        try {
            process.kill(-proxy.pid, 'SIGKILL');
        } catch { /* gone already */ }
    };
    try {
        let up = false;
        for (let i = 0; i < 600 && !up; i++) {
            up = await healthy(port);
            if (!up)
                await sleep(100);
        }
        assert.ok(up, `the second proxy answers on ${port}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
        await withConf('new', (text) => {
            const m = text.match(/^s3_endpoint = (.*)$/m);
            assert.ok(m, 'the test hall has an s3_endpoint');
            return text.replace(/^s3_endpoint = .*$/m, `s3_endpoint = http://127.0.0.1:${port}, ${m[1]}`);
        });

        const stored = []; /* { c, fileId, bytes, afterKill } */
        const orders = [];
        for (let i = 0; i < 4; i++)
            orders.push(await printedOrder());
        const kinds = ['application', 'license'];
        let n = 0;
        const uploadOne = async (afterKill) => {
            const { c, id } = orders[n % orders.length];
            const kind = kinds[Math.floor(n / orders.length) % kinds.length];
            const bytes = scan();
            n++;
            const r = await c.postMultipart('/new/upload', { id, kind },
                { file: { name: `${kind}.jpg`, data: bytes } });
            assert.equal(r.status, 200,
                `upload ${n} (${afterKill ? 'after' : 'before'} the first proxy's death): ${r.status} ${r.text}`);
            stored.push({ c, id, kind, fileId: r.body.file_id, bytes, afterKill });
        };
        for (let i = 0; i < 4; i++)
            await uploadOne(false);
        /* the first endpoint was the one used */
        const puts = (fs.readFileSync(logFile, 'utf8').match(/ PUT \/hall-test\//g) || []).length;
        assert.ok(puts >= 4, `the uploads went through the first endpoint (${puts} PUTs in its log)`);

        kill();
        for (let i = 0; i < 50; i++) {
            try {
                process.kill(proxy.pid, 0);
            } catch {
                break;
            }
            await sleep(50);
        }
        assert.equal(await healthy(port), false, 'the first proxy is gone');
        for (let i = 0; i < 12; i++)
            await uploadOne(true);

        /* every live row: its download answers the bytes uploaded */
        const live = stored.filter((s) => psql(`SELECT count(*) FROM order_files WHERE id = ${s.fileId}
            AND removed_at IS NULL`) === '1');
        assert.equal(live.length, orders.length * kinds.length, 'one live row per order and kind');
        for (const s of live) {
            const d = await fetch(`${s.c.base}/new/file?id=${s.fileId}`, { headers: { Cookie: s.c.cookieHeader() } });
            assert.equal(d.status, 200, `download of file ${s.fileId}`);
            assert.ok(Buffer.from(await d.arrayBuffer()).equals(s.bytes), `file ${s.fileId}: the bytes uploaded`);
        }
        /* and the workers said which endpoint they passed over */
        const cutLog = fs.readFileSync(path.join(process.env.HALL_VAR, 'log', 'new-cut.log'), 'utf8');
        assert.match(cutLog, /object store endpoint unreachable, passed over/);
    } finally {
        kill();
        restore();
        fs.rmSync(work, { recursive: true, force: true });
    }
});
