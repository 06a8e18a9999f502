'use strict';
/*
 * 在线盖章 with an SM2 signer (issue 53 §4) in headless Chromium through
 * nginx: a seal the hall made under its sm2 CA, its SM2 PKCS#12 medium and
 * PIN (tests/integ/lib/stamp.js producedSeal, sm2: 证书算法 SM2 chosen in
 * the seal application), chosen in the page; the whole purchase through the
 * pages is tests/e2e/seal_sm2.test.js.
 *   - a wrong PIN: refused in the page, nothing to download;
 *   - the PIN right: the page writes a GB/T 38540 SES_Signature
 *     (/SubFilter /GBT38540.SES_Signature), as hall-stamp does;
 *   - the only request with a body is POST /tsa (a hash); no request holds
 *     a byte of the PKCS#12, the PIN, the SM2 key or the document;
 *   - POST /sign/verify: 有效, level GB/T 38540, every check passed;
 *     hall-stamp verify: 有效; openssl pkeyutl -verify (SM3, the default ID
 *     1234567812345678) over TBS_Sign's DER; and this file's own SM2
 *     verification (BigInt arithmetic on the curve, Node's SM3) accept it;
 *   - 添加文档时间戳 over it: the SM2 stamp still 有效 at /sign/verify.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, fetchPki, derNode, derChildren, sm2Verify, SM2_ID } = require('../integ/lib/pki');
const { producedSeal } = require('../integ/lib/stamp');
const { launchChromium } = require('./lib/browser');
const { tablePdf, lastSignature, hallVerify, toolVerify } = require('./lib/stamp');

const SKIP = !process.env.HALL_URL;
let browser, dir, pin;
const file = (n) => path.join(dir, n);

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    ({ pin } = await producedSeal(dir, { sm2: true }));
    await fetchPki(dir);
    fs.writeFileSync(file('doc.pdf'), tablePdf(2, 'SM2 contract'));
});

after(async () => {
    if (browser)
        await browser.close();
});

/* the medium's SM2 scalar (PKCS#8 → ECPrivateKey's OCTET STRING) */
function sm2Scalar() {
    const pem = execFileSync('openssl', ['pkcs12', '-in', file('medium.p12'), '-nocerts', '-nodes',
        '-passin', `pass:${pin}`]);
    const der = execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-outform', 'DER'], { input: pem });
    const pki = derChildren(derNode(der, 0), der);
    const ecBuf = Buffer.from(pki[2].body);
    const ec = derChildren(derNode(ecBuf, 0), ecBuf);
    assert.equal(ec[1].tag, 0x04);
    return Buffer.from(ec[1].body);
}

function secrets(p12, scalar, pdf) {
    const list = [];
    for (const [label, b] of [['pkcs12', p12], ['sm2 scalar', scalar]]) {
        list.push([label, b]);
        for (const enc of ['hex', 'base64', 'base64url'])
            list.push([`${label} ${enc}`, Buffer.from(b.toString(enc))]);
        list.push([`${label} HEX`, Buffer.from(b.toString('hex').toUpperCase())]);
    }
    for (let i = 0; i + 16 <= p12.length; i += 16)
        list.push([`pkcs12 window ${i}`, p12.subarray(i, i + 16)]);
    /* the document: any 32-byte window of it */
    for (let i = 0; i + 32 <= pdf.length; i += 32)
        list.push([`document window ${i}`, pdf.subarray(i, i + 32)]);
    list.push(['PIN', Buffer.from(pin)]);
    return list;
}

/* ---- an SM2 verification of our own (GM/T 0003.2, GB/T 32918.2 §7) ------------------- */

const C = {
    p: 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFFn,
    a: 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFCn,
    b: 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93n,
    n: 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123n,
    gx: 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7n,
    gy: 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0n,
};
const mod = (x, m) => ((x % m) + m) % m;
function inv(x, m) {
    let [r0, r1, s0, s1] = [mod(x, m), m, 1n, 0n];
    while (r1) {
        const q = r0 / r1;
        [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
    }
    return mod(s0, m);
}
function add(P, Q) {
    if (!P)
        return Q;
    if (!Q)
        return P;
    const { p } = C;
    let l;
    if (P[0] === Q[0]) {
        if (mod(P[1] + Q[1], p) === 0n)
            return null;
        l = mod((3n * P[0] * P[0] + C.a) * inv(2n * P[1], p), p);
    } else {
        l = mod((Q[1] - P[1]) * inv(Q[0] - P[0], p), p);
    }
    const x = mod(l * l - P[0] - Q[0], p);
    return [x, mod(l * (P[0] - x) - P[1], p)];
}
function mul(k, P) {
    let R = null;
    for (let Q = P; k > 0n; k >>= 1n, Q = add(Q, Q))
        if (k & 1n)
            R = add(R, Q);
    return R;
}
const big = (b) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const b32 = (v) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
const sm3 = (...parts) => crypto.createHash('sm3').update(Buffer.concat(parts)).digest();

/* pub: 04 || x || y; sig: DER SEQUENCE { r, s } */
function ownSm2Verify(pub, msg, sig) {
    const P = [big(pub.subarray(1, 33)), big(pub.subarray(33, 65))];
    assert.equal(mod(P[1] * P[1] - (P[0] * P[0] * P[0] + C.a * P[0] + C.b), C.p), 0n, 'the key is on the SM2 curve');
    const id = Buffer.from(SM2_ID);
    const z = sm3(Buffer.from([(id.length * 8) >> 8, (id.length * 8) & 255]), id, b32(C.a), b32(C.b), b32(C.gx),
        b32(C.gy), b32(P[0]), b32(P[1]));
    const e = big(sm3(z, msg));
    const rs = derChildren(derNode(sig, 0), sig);
    const [r, s] = [big(rs[0].body), big(rs[1].body)];
    if (r < 1n || r >= C.n || s < 1n || s >= C.n)
        return false;
    const t = mod(r + s, C.n);
    if (t === 0n)
        return false;
    const X = add(mul(s, [C.gx, C.gy]), mul(t, P));
    return X !== null && mod(e + X[0], C.n) === r;
}

/* SES_Signature's parts (docs/internals/stamp.md §2a) */
function sesParts(der) {
    const top = derNode(der, 0);
    const k = derChildren(top, der);
    const tbs = derChildren(k[0], der);
    const bits = (n) => Buffer.from(n.body.subarray(1));
    const tsWrap = derChildren(k[4], der)[0];
    return { tbsDer: Buffer.from(k[0].raw), version: tbs[0].body[0], time: tbs[2].body.toString(),
        dataHash: bits(tbs[3]), property: tbs[4].body.toString(), cert: Buffer.from(k[1].body),
        alg: Buffer.from(k[2].raw).toString('hex'), signature: bits(k[3]), token: bits(tsWrap) };
}

test('在线盖章 with an SM2 medium: wrong PIN refused; stamped in the page as a GB/T 38540 SES_Signature that /sign/verify, hall-stamp, openssl and an own SM2 check accept; only /tsa asked',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        const requests = [];
        context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
        const page = await context.newPage();
        const problems = [];
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        page.on('console', (m) => {
            if (m.type() === 'error')
                problems.push(`console: ${m.text()}`);
        });
        await page.goto(`${HALL}/seal/stamp`);
        await page.locator('#stamp-pdf').setInputFiles(file('doc.pdf'));
        await page.locator('#stamp-pages').filter({ hasText: '共 2 页' }).waitFor();
        await page.locator('#stamp-seseal').setInputFiles(file('seal.seseal'));
        await page.locator('#stamp-p12').setInputFiles(file('medium.p12'));
        const canvas = page.locator('#stamp-canvas');
        const box = await canvas.boundingBox();
        await canvas.click({ position: { x: box.width * 120 / 210, y: box.height * 220 / 297 } });
        await page.locator('#stamp-mark').waitFor();

        /* a wrong PIN: the message, nothing to download, nothing asked of the TSA */
        await page.locator('#stamp-pin').fill('00000000');
        await page.locator('#stamp-go').click();
        await page.locator('#err-pin').filter({ hasText: /PIN码错误/ }).waitFor({ timeout: 60000 });
        assert.equal(await page.locator('#stamp-done').isHidden(), true);
        assert.equal(requests.filter((r) => r.method !== 'GET').length, 0);

        /* the PIN right */
        await page.locator('#stamp-pin').fill(pin);
        await page.locator('#stamp-go').click();
        /* done, or a message said why not (its text in the assertion) */
        await page.waitForFunction(() => !document.getElementById('stamp-done').hidden ||
            [...document.querySelectorAll('[id^="err-"]')].some((e) => e.textContent !== ''), null,
        { timeout: 60000 });
        const said = await page.locator('[id^="err-"]').allInnerTexts();
        assert.equal(await page.locator('#stamp-done').isHidden(), false,
            `stamped: ${said.join(' ')} ${problems.join(' ')}`);
        assert.match(await page.locator('#stamp-level').innerText(), /GB\/T 38540 电子签章（国密SM2\/SM3）/);
        assert.match(await page.locator('#stamp-status').innerText(), /盖章完成：.*可信时间 \d{4}-\d{2}-\d{2} /);
        const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
        const out = fs.readFileSync(await dl.path());
        assert.deepEqual(problems, []);

        /* what left the browser: GETs of the page and its code, one POST /tsa */
        const input = fs.readFileSync(file('doc.pdf'));
        const posts = requests.filter((r) => r.method !== 'GET');
        assert.deepEqual(posts.map((r) => new URL(r.url).pathname), ['/tsa']);
        assert.ok(posts[0].body.length < 200, 'a TimeStampReq, a hash');
        /* (blob: and data: URLs are the page's own: the seal's picture, the
         * download; /sign/stamp-check asks, by the seal's esID and its signer's
         * serial, whether it may stamp) */
        for (const r of requests.filter((x) => x.method === 'GET' && !/^(blob|data):/.test(x.url)))
            assert.match(new URL(r.url).pathname, /^\/(seal\/stamp|sign\/stamp-check|static\/.*)$/, r.url);
        assert.ok(requests.some((r) => new URL(r.url).pathname === '/sign/stamp-check'), 'the seal checked before the PIN');
        assert.ok(requests.some((r) => /\/static\/stamp\/vendor\/sm2\.js$/.test(r.url)), 'the SM2 code loaded');
        const list = secrets(fs.readFileSync(file('medium.p12')), sm2Scalar(), input);
        for (const r of requests)
            for (const h of [Buffer.from(r.url), Buffer.from(decodeURIComponent(r.url)), r.body || Buffer.alloc(0)])
                for (const [label, needle] of list)
                    assert.equal(h.indexOf(needle), -1, `${label} in ${r.method} ${r.url}`);

        /* the file: an incremental update, the SES_Signature as hall-stamp writes it */
        assert.ok(out.subarray(0, input.length).equals(input), 'the input untouched');
        assert.match(out.toString('latin1'), /\/Filter \/Adobe\.PPKLite \/SubFilter \/GBT38540\.SES_Signature \/ByteRange/);
        assert.doesNotMatch(out.toString('latin1'), /\/DSS/);
        fs.writeFileSync(file('stamped.pdf'), out);
        execFileSync('qpdf', ['--check', file('stamped.pdf')], { stdio: 'ignore' });
        const sig = lastSignature(out);
        const ses = sesParts(sig.cms);
        assert.equal(ses.version, 4);
        assert.equal(ses.property, sig.byteRange.join(' '));
        assert.match(ses.time, /^\d{14}Z$/);
        assert.equal(ses.alg, '06082a811ccf55018375', 'SM3withSM2');
        assert.ok(ses.dataHash.equals(sm3(sig.signed)), 'dataHash: SM3 of the two ranges');
        const seal = fs.readFileSync(file('seal.seseal'));
        assert.ok(sig.cms.includes(seal), 'the seal byte for byte');

        /* the signature: openssl (SM3, default ID) and our own check */
        fs.writeFileSync(file('signer.der'), ses.cert);
        execFileSync('openssl', ['x509', '-inform', 'DER', '-in', file('signer.der'), '-out', file('signer.pem')]);
        assert.match(sm2Verify(dir, rawSigned(ses), file('signer.pem')), /Signature Verified Successfully/);
        const pubPem = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', file('signer.der'), '-pubkey',
            '-noout']);
        const pub = Buffer.from(execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pubPem }));
        const point = pub.subarray(pub.length - 65);
        assert.equal(point[0], 4);
        assert.equal(ownSm2Verify(point, ses.tbsDer, ses.signature), true, 'our own SM2 verification');
        const flipped = Buffer.from(ses.tbsDer);
        flipped[flipped.length - 1] ^= 1;
        assert.equal(ownSm2Verify(point, flipped, ses.signature), false, 'and it refuses a changed TBS_Sign');

        /* the hall's 签名验证 and hall-stamp verify */
        const h = await hallVerify(out);
        assert.equal(h.stamps.length, 1);
        const s = h.stamps[0];
        assert.equal(s.state, '有效');
        assert.equal(s.format, 'ses_signature');
        assert.equal(s.level, 'GB/T 38540');
        assert.deepEqual(Object.values(s.checks), Array(Object.keys(s.checks).length).fill('pass'));
        assert.equal(s.chain_to, '本CA SM2根证书');
        const v = toolVerify(dir, out, 'stamped.pdf');
        assert.equal(v.status, 0, v.stdout + v.stderr);
        assert.match(v.stdout, /^(stamp 1: valid|签章1：有效)$/m);
        assert.match(v.stdout, /(checks|核验): (pass|通过)( (pass|通过)){6}$/m);

        /* 添加文档时间戳 over the SM2 stamp: the stamp still 有效 */
        await page.locator('#stamp-lta').click();
        await page.locator('#stamp-lta-done').waitFor({ timeout: 60000 });
        const [dl2] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-lta-download').click()]);
        const lta = fs.readFileSync(await dl2.path());
        assert.ok(lta.subarray(0, out.length).equals(out));
        const hl = await hallVerify(lta);
        assert.equal(hl.stamps[0].state, '有效', JSON.stringify(hl.stamps[0]));
        await context.close();
    });

/* TBS_Sign and the signature as lib/pki.js's sm2Verify reads a signed
 * object: SEQUENCE { tbs, algorithm, BIT STRING } */
function rawSigned(ses) {
    const bits = Buffer.concat([Buffer.from([0]), ses.signature]);
    const body = Buffer.concat([ses.tbsDer, Buffer.from(ses.alg, 'hex'), derTlv(0x03, bits)]);
    return derTlv(0x30, body);
}

function derTlv(tag, body) {
    const n = body.length;
    const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 255]
        : [0x83, n >> 16, (n >> 8) & 255, n & 255];
    return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
