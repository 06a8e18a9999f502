'use strict';
/*
 * The CA's token away under the running hall (a file near the end: it
 * disturbs the others).  The operator's mistake is SoftHSM2's token
 * directory renamed (directories.tokendir of pkcs11_softhsm_conf), and the
 * outbox, the OCSP responder, the timestamp authority and the CA console
 * restarted meanwhile (each kill announced in VAR/log/kills.log).  While the
 * token is away only the work that signs waits: SMS codes keep arriving,
 * /ocsp answers the DER tryLater (RFC 6960 2.3) and /tsa a DER rejection
 * with failInfo systemFailure (RFC 3161 2.4.2), never nginx's HTML,
 * except an answer signed before without a nonce, kept across the
 * restart (ocsp_kept) while it is valid; issuance answers 503, and every
 * log that says so names the token
 * directory and the hall.conf key.  Once the directory is back, OCSP
 * answers good, /tsa grants and issuance works within 5 s.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { SKIP, HALL_URL, HALL_VAR, Client, newPhone, sendCode, findProcs, alive, waitFor, sleep } =
    require('./lib/hall');
const { operator, acceptedByTransfer, tmpdir, openssl, fetchPki, ocspQuery, psql, derNode, derChildren } =
    require('./lib/pki');

/* the master of a program: the one of its processes whose parent is not one of them */
function masterOf(name) {
    const procs = findProcs(name).filter((p) => p.state !== 'Z');
    const pids = new Set(procs.map((p) => p.pid));
    const masters = procs.filter((p) => !pids.has(p.ppid));
    return masters.length === 1 ? masters[0].pid : null;
}

/* SoftHSM2's token directory, as the hall's softhsm2.conf names it */
function tokenDir() {
    const conf = fs.readFileSync(path.join(HALL_VAR, 'keys', 'softhsm2.conf'), 'utf8');
    const m = conf.match(/^directories\.tokendir\s*=\s*(\S+)/m);
    assert.ok(m, 'softhsm2.conf names directories.tokendir');
    return m[1];
}

/* what /ocsp answers to the DER request req: { status, type, ocspStatus (null: not an OCSPResponse) } */
async function ocspPost(req) {
    const res = await fetch(`${HALL_URL}/ocsp`, {
        method: 'POST', headers: { 'Content-Type': 'application/ocsp-request' }, body: req,
    });
    const body = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') || '';
    let ocspStatus = null;
    if (type === 'application/ocsp-response' && body[0] === 0x30) {
        const [st] = derChildren(derNode(body, 0), body);
        if (st && st.tag === 0x0a && st.len === 1)
            ocspStatus = st.body[0];
    }
    return { status: res.status, type, ocspStatus, body, text: ocspStatus === null ? body.toString('latin1').slice(0, 80) : '' };
}

/* what /tsa answers to the DER query q: { status, type, pkiStatus (null:
 * not a TimeStampResp), failInfo (the BIT STRING's bytes, hex) } */
async function tsaPost(q) {
    const res = await fetch(`${HALL_URL}/tsa`, {
        method: 'POST', headers: { 'Content-Type': 'application/timestamp-query' }, body: q,
    });
    const body = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') || '';
    let pkiStatus = null;
    let failInfo = '';
    if (type === 'application/timestamp-reply' && body[0] === 0x30) {
        const [info] = derChildren(derNode(body, 0), body);
        const [st, ...rest] = info ? derChildren(info, body) : [];
        if (st && st.tag === 0x02 && st.len === 1)
            pkiStatus = st.body[0];
        const bits = rest.find((n) => n.tag === 0x03);
        failInfo = bits ? Buffer.from(bits.body).toString('hex') : '';
    }
    return { status: res.status, type, pkiStatus, failInfo };
}

/* the hall's log NAME from byte offset on */
const logSince = (name, offset) => {
    const f = path.join(HALL_VAR, 'log', `${name}.log`);
    return fs.existsSync(f) ? fs.readFileSync(f).subarray(offset).toString('utf8') : '';
};
const logSize = (name) => {
    const f = path.join(HALL_VAR, 'log', `${name}.log`);
    return fs.existsSync(f) ? fs.statSync(f).size : 0;
};

test('token_away__sms_keep_going__ocsp_trylater_then_good__back_within_5s', { skip: SKIP }, async () => {
    const op = await operator();
    const issue = (o) => op.post('/admin/pki/issue', { id: o.id });
    const first = await acceptedByTransfer();
    assert.equal((await issue(first)).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${first.id} AND state = 'issued'`);
    const during = await acceptedByTransfer();
    const afterwards = await acceptedByTransfer();
    const dir = tmpdir();
    await fetchPki(dir);
    /* a request with a nonce: signed for each request, never a kept answer */
    const reqFile = path.join(dir, 'req.der');
    const mk = openssl(['ocsp', '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`, '-reqout', reqFile]);
    assert.equal(mk.status, 0, mk.stderr);
    const req = fs.readFileSync(reqFile);
    assert.equal((await ocspPost(req)).ocspStatus, 0, 'a signed answer before the token goes');
    /* without a nonce: an answer signed once and kept (docs/modules/ocsp.md) */
    const keptFile = path.join(dir, 'req-kept.der');
    const mk2 = openssl(['ocsp', '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`, '-no_nonce',
        '-reqout', keptFile]);
    assert.equal(mk2.status, 0, mk2.stderr);
    const keptReq = fs.readFileSync(keptFile);
    const keptBefore = await ocspPost(keptReq);
    assert.equal(keptBefore.ocspStatus, 0, 'a kept answer before the token goes');
    fs.writeFileSync(path.join(dir, 'doc.txt'), 'stamped while the token is away\n');
    const tsq = openssl(['ts', '-query', '-data', path.join(dir, 'doc.txt'), '-sha256', '-cert',
        '-out', path.join(dir, 'q.tsq')]);
    assert.equal(tsq.status, 0, tsq.stderr);
    const stampQuery = fs.readFileSync(path.join(dir, 'q.tsq'));
    assert.equal((await tsaPost(stampQuery)).pkiStatus, 0, 'a timestamp granted before the token goes');

    const tdir = tokenDir();
    const away = `${tdir}.away`;
    const logs = ['outbox', 'ocsp', 'pki', 'tsa'];
    const offsets = Object.fromEntries(logs.map((n) => [n, logSize(n)]));
    const seen = [];
    let restored = false;
    let sms = 0;
    try {
        fs.renameSync(tdir, away);
        /* the processes that open the token at start, restarted while it is away */
        const before = {};
        for (const [name, bin] of [['outbox', 'hall-outbox'], ['ocsp', 'hall-ocsp'], ['pki', 'hall-pki'],
            ['tsa', 'hall-tsa']]) {
            before[bin] = masterOf(bin);
            assert.ok(before[bin], `one master of ${bin}`);
            fs.appendFileSync(path.join(HALL_VAR, 'log', 'kills.log'), `${name}\n`);
            process.kill(before[bin], 'SIGKILL');
        }
        /* while the responder restarts nginx answers for it: DER, never its HTML page */
        const restarting = [];
        const stamps = [];
        for (const until = Date.now() + 3000; Date.now() < until; await sleep(20)) {
            restarting.push(await ocspPost(req));
            stamps.push(await tsaPost(stampQuery));
        }
        const html = restarting.filter((a) => a.ocspStatus === null);
        assert.deepEqual(html.slice(0, 3), [], `${html.length} of ${restarting.length} answers not an OCSPResponse`);
        const notResp = stamps.filter((a) => a.status !== 200 || a.pkiStatus === null);
        assert.deepEqual(notResp.slice(0, 3), [], `${notResp.length} of ${stamps.length} /tsa answers not a TimeStampResp`);
        await waitFor('the killed masters to be gone', () => Object.values(before).every((p) => !alive(p)));

        /* 12 s without the token: three SMS codes, OCSP asked all along */
        const t0 = Date.now();
        for (let i = 0; i < 3; i++) {
            const phone = newPhone('145');
            const code = await sendCode(new Client(), phone, 'login').catch((e) => e);
            assert.ok(typeof code === 'string' && /^\d{6}$/.test(code),
                `SMS code ${i + 1} of 3 delivered while the token is away: ${code}`);
            sms++;
            while (Date.now() - t0 < (i + 1) * 4000) {
                seen.push(await ocspPost(req));
                await sleep(250);
            }
        }
        const bad = seen.filter((a) => a.ocspStatus !== 3);
        assert.deepEqual(bad.slice(0, 3), [], `every /ocsp answer a DER tryLater (${bad.length} of ${seen.length} not)`);
        /* ... but the answer signed before the restart, without a nonce, is
         * still answered by the restarted responder, byte for byte */
        const kept = await ocspPost(keptReq);
        assert.equal(kept.ocspStatus, 0, 'the kept answer, not tryLater');
        assert.ok(kept.body.equals(keptBefore.body), 'the same signed bytes');
        assert.ok(seen.length >= 10, `${seen.length} OCSP probes`);
        assert.ok(seen.every((a) => a.status === 200 && a.type === 'application/ocsp-response'));
        /* the TSA, its module running without the token: rejection, systemFailure (bit 25) */
        const stamp = await tsaPost(stampQuery);
        assert.equal(stamp.status, 200);
        /* twenty more refused stamps: tsa.log says so when it begins (once
         * per worker), not a line per stamp */
        for (let i = 0; i < 20; i++)
            assert.equal((await tsaPost(stampQuery)).pkiStatus, 2);
        const refusedLines = logSince('tsa', offsets.tsa).split('\n').filter((l) => /outcome=internal/.test(l));
        assert.ok(refusedLines.length >= 1 && refusedLines.length <= 8,
            `${refusedLines.length} tsa.log lines for 21 refused stamps:\n${refusedLines.slice(0, 3).join('\n')}`);
        assert.equal(stamp.pkiStatus, 2, 'rejection while the token is away');
        assert.equal(stamp.failInfo, '0600000040', 'failInfo systemFailure');
        assert.ok(masterOf('hall-tsa'), 'the timestamp authority runs without the token');

        /* issuance waits for the token: 503, no certificate, no intent left behind */
        const r = await issue(during);
        assert.equal(r.status, 503, r.text);
        assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${during.id}`), '0',
            'no intent written while the CA cannot sign');

        /* each log says what is wrong and where to look */
        for (const n of logs) {
            const text = logSince(n, offsets[n]);
            assert.match(text, new RegExp(`token directory ${tdir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is missing`
                + '.*directories\\.tokendir of pkcs11_softhsm_conf'), `${n}.log names the cause:\n${text.slice(-1500)}`);
            assert.doesNotMatch(text, /C_Initialize: general error \(0x5\)"/, `${n}.log`);
        }
    } finally {
        if (fs.existsSync(away) && !fs.existsSync(tdir)) {
            fs.renameSync(away, tdir);
            restored = true;
        }
    }
    assert.ok(restored, 'the token directory is back');
    assert.equal(sms, 3);

    /* back within 5 s: a signed good, and issuance */
    const back = Date.now();
    await waitFor('a signed OCSP answer', async () => (await ocspPost(req)).ocspStatus === 0,
        { timeoutMs: 5000, intervalMs: 200 });
    await waitFor('a granted timestamp', async () => (await tsaPost(stampQuery)).pkiStatus === 0,
        { timeoutMs: 5000, intervalMs: 200 });
    const q = ocspQuery(dir, 'ecc', serial);
    assert.match(q.line, /: good$/, q.out);
    assert.ok(q.verified, q.out);
    await waitFor('issuance to work again', async () => {
        const r = await issue(afterwards);
        assert.ok(r.status === 200 || r.status === 503, `${r.status} ${r.text}`);
        return r.status === 200;
    }, { timeoutMs: Math.max(500, 5000 - (Date.now() - back)), intervalMs: 250 });
    assert.equal(psql(`SELECT state FROM certificates WHERE order_id = ${afterwards.id}`), 'issued');
});
