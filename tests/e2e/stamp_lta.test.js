'use strict';
/*
 * 在线盖章 stamps PAdES B-LT, and 添加文档时间戳 makes it B-LTA (issue 50 §2;
 * docs/modules/stamp.md, docs/internals/stamp.md), in headless Chromium
 * through nginx, checked with independent tools:
 *   - the stamp's revision is followed by an update of its own holding a
 *     /DSS (ISO 32000-2 12.8.4.3): /Certs with the signer's, the CA's, the
 *     root's and the TSA's certificates, /OCSPs with an answer that
 *     `openssl ocsp -respin -issuer ecc.crt -CAfile root.crt` verifies
 *     (good, the signer's serial), /VRI keyed by the upper-case hex SHA-1 of
 *     the signature's /Contents; pdfsig still says the stamp is valid, the
 *     hall's POST /sign/verify 有效, and `hall-stamp verify --offline` takes
 *     the signer's status from the file (nothing asked online);
 *   - the evidence was asked by the signer's serial only (GET); the only
 *     bodies sent are the two TimeStampReqs (a hash each): never the PDF;
 *   - 添加文档时间戳 appends /Type /DocTimeStamp /SubFilter /ETSI.RFC3161
 *     whose /Contents is a TimeStampToken that `openssl ts -verify` accepts
 *     over the /ByteRange's bytes; pdfsig lists it; /sign/verify still says
 *     the stamp is 有效;
 *   - the evidence unreachable: the stamp is still made, B-T, and the page
 *     says what that means.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir, openssl } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { launchChromium } = require('./lib/browser');
const { producedSeal, tablePdf, outsideChecks, lastSignature, hallVerify, hallStamp, pdfValue } = require('./lib/stamp');

const SKIP = !process.env.HALL_URL;
let browser, holder, dir;
const file = (n) => path.join(dir, n);

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    holder = await producedSeal();
    fs.writeFileSync(file('doc.pdf'), tablePdf(2, 'Long term'));
    fs.writeFileSync(file('seal.seseal'), holder.seal);
    fs.writeFileSync(file('medium.p12'), holder.p12);
});

after(async () => {
    if (browser)
        await browser.close();
});

function recordRequests(context) {
    const seen = [];
    context.on('request', (r) => seen.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
    return seen;
}

async function stampPage(context) {
    const page = await context.newPage();
    a11y.track(page);
    await page.goto(`${HALL}/seal/stamp`);
    await page.locator('#stamp-pdf').setInputFiles(file('doc.pdf'));
    await page.locator('#stamp-pages').filter({ hasText: '共 2 页' }).waitFor();
    await page.locator('#stamp-seseal').setInputFiles(file('seal.seseal'));
    await page.locator('#stamp-p12').setInputFiles(file('medium.p12'));
    await page.locator('#stamp-pin').fill(holder.pin);
    await page.locator('#stamp-x').fill('120');
    await page.locator('#stamp-y').fill('200');
    await page.locator('#stamp-go').click();
    await page.locator('#stamp-done').waitFor({ timeout: 60000 });
    return page;
}

async function download(page, link) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(link).click()]);
    return fs.readFileSync(await dl.path());
}

/* object num's value (its last definition) and, for a stream, its bytes */
function object(buf, num) {
    const s = buf.toString('latin1');
    const at = s.lastIndexOf(`\n${num} 0 obj`);
    assert.ok(at >= 0, `object ${num}`);
    const [v, j] = pdfValue(s, at + `\n${num} 0 obj`.length);
    const m = /^\s*stream\r?\n/.exec(s.slice(j, j + 20));
    const data = m ? buf.subarray(j + m[0].length, j + m[0].length + v.v['/Length'].v) : null;
    return { v, data };
}

const refNum = (r) => Number(r.v.split(' ')[0]);

/* the last trailer's /Root, then its /DSS: { certs, ocsps, crls, vri } as DER buffers and keys */
function dssOf(buf) {
    const s = buf.toString('latin1');
    const t = s.lastIndexOf('trailer');
    const [trailer] = pdfValue(s, t + 7);
    const cat = object(buf, refNum(trailer.v['/Root'])).v;
    assert.ok(cat.v['/DSS'], 'the catalog names a /DSS');
    const dss = object(buf, refNum(cat.v['/DSS'])).v.v;
    const streams = (arr) => (arr ? arr.v.map((r) => object(buf, refNum(r)).data) : []);
    return { certs: streams(dss['/Certs']), ocsps: streams(dss['/OCSPs']), crls: streams(dss['/CRLs']),
        vri: Object.keys(dss['/VRI'].v), dss };
}

function pemDer(name) {
    return Buffer.from(fs.readFileSync(file(name), 'utf8').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''),
        'base64');
}

test('在线盖章 stamps PAdES B-LT: a /DSS with the chain, the TSA and an OCSP answer openssl verifies; pdfsig valid, /sign/verify 有效, hall-stamp verify --offline uses it; then 添加文档时间戳 gives B-LTA that openssl ts verifies over the ByteRange',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        const requests = recordRequests(context);
        const page = await stampPage(context);
        await page.locator('#stamp-level').filter({ hasText: 'PAdES B-LT' }).waitFor();
        /* the page says what it sends: the esID and the serial, for the states
         * before the PIN and for the evidence */
        assert.match(await page.locator('#stamp-privacy').innerText(),
            /以印章编码和签章人证书的序列号查询印章和证书的状态（印章注销或证书吊销后不能再盖章），以及证书链和吊销状态/);
        await a11y.check(page, '在线盖章, B-LT stamped');
        const out = await download(page, '#stamp-download');
        const input = fs.readFileSync(file('doc.pdf'));
        assert.ok(out.subarray(0, input.length).equals(input), 'the input is a prefix of the result');
        /* two updates: the stamp's, then the /DSS's */
        assert.equal((out.toString('latin1').match(/%%EOF/g) || []).length, 3);
        const sig = lastSignature(out);
        const sigEnd = sig.byteRange[2] + sig.byteRange[3];
        assert.ok(sigEnd < out.length, 'an update after the signed revision');
        assert.match(out.subarray(sigEnd).toString('latin1'), /\/Type \/DSS/);

        /* the /DSS: the certificates, the OCSP answer, /VRI */
        const pki = await outsideChecks(dir, out, 'blt');
        const dss = dssOf(out);
        for (const name of ['root.crt', 'ecc.crt', 'tsa.crt'])
            assert.ok(dss.certs.some((c) => c.equals(pemDer(name))), `${name} in /DSS /Certs`);
        /* the signer's certificate: the one the CMS names */
        const leaf = openssl(['pkcs12', '-in', file('medium.p12'), '-clcerts', '-nokeys', '-passin',
            `pass:${holder.pin}`]);
        const leafDer = Buffer.from(leaf.stdout.replace(/[\s\S]*?-----BEGIN CERTIFICATE-----/, '')
            .replace(/-----END CERTIFICATE-----[\s\S]*/, '').replace(/\s+/g, ''), 'base64');
        assert.ok(dss.certs.some((c) => c.equals(leafDer)), 'the signer\'s certificate in /DSS /Certs');
        fs.writeFileSync(file('leaf.der'), leafDer);
        const serial = openssl(['x509', '-inform', 'DER', '-in', file('leaf.der'), '-noout', '-serial'])
            .stdout.trim().replace('serial=', '');
        assert.equal(dss.ocsps.length, 1);
        fs.writeFileSync(file('dss.ocsp'), dss.ocsps[0]);
        const o = openssl(['ocsp', '-respin', file('dss.ocsp'), '-issuer', file('ecc.crt'), '-CAfile', file('root.crt'),
            '-resp_text']);
        assert.equal(o.status, 0, `${o.stdout}${o.stderr}`);
        assert.match(`${o.stdout}${o.stderr}`, /Response verify OK/);
        assert.match(o.stdout, new RegExp(`Serial Number: ${serial}[\\s\\S]*Cert Status: good`));
        /* /VRI: the SHA-1 of the signature's /Contents, upper-case hex */
        const contents = Buffer.from(out.subarray(sig.byteRange[1] + 1, sig.byteRange[2] - 1).toString('latin1'), 'hex');
        const key = crypto.createHash('sha1').update(contents).digest('hex').toUpperCase();
        assert.deepEqual(dss.vri, [`/${key}`]);
        /* the root's CRL (an ARL) for the TSA's certificate, which names no
         * responder: /CRLs and the /VRI's /CRL, signed by the root */
        assert.equal(dss.crls.length, 1, 'one CRL: the root\'s');
        assert.ok(dss.dss['/VRI'].v[`/${key}`].v['/CRL'], 'the /VRI entry lists the CRL');
        fs.writeFileSync(file('dss.crl'), dss.crls[0]);
        const c = openssl(['crl', '-inform', 'DER', '-in', file('dss.crl'), '-CAfile', file('root.crt'), '-noout',
            '-issuer']);
        assert.equal(c.status, 0, c.stderr);
        assert.match(`${c.stdout}${c.stderr}`, /verify OK/);
        const tsaIssuer = openssl(['x509', '-in', file('tsa.crt'), '-noout', '-issuer']).stdout.trim();
        assert.equal(c.stdout.trim(), tsaIssuer, 'the CRL is the TSA certificate\'s issuer\'s');

        /* pdfsig, qpdf, openssl cms and ts on the stamp: as before */
        assert.match(pki.pdfsig, /Signature Validation: Signature is Valid/, pki.pdfsig);
        assert.match(pki.pdfsig, /Certificate Validation: Certificate is Trusted/, pki.pdfsig);
        assert.equal(pki.qpdfStatus, 0, pki.qpdf);
        assert.equal(pki.cmsStatus, 0, pki.cms);
        assert.equal(pki.tsStatus, 0, pki.ts);
        const hv = await hallVerify(out);
        assert.equal(hv.stamps[0].state, '有效', JSON.stringify(hv.stamps[0]));
        /* the /DSS revision is no change to the stamp (internals/stamp.md, what may follow) */
        assert.equal(hv.stamps[0].coverage.later_changes, false, JSON.stringify(hv.stamps[0].coverage));
        assert.equal(hv.stamps[0].coverage.intact, true, JSON.stringify(hv.stamps[0].coverage));
        assert.equal(hv.stamps[0].level, 'B-LT', JSON.stringify(hv.stamps[0]));
        assert.equal(hv.stamps[0].evidence.tsa_embedded, true, JSON.stringify(hv.stamps[0].evidence));
        console.log(`# /sign/verify on B-LT: ${JSON.stringify(hv.stamps[0].coverage)}`);
        /* the 盖章工具 offline: the signer's status from the file's own answer */
        fs.writeFileSync(file('blt.pdf'), out);
        const tv = hallStamp(['verify', '--offline', '--root', file('root.crt'), '--ca', file('ecc.crt'), file('blt.pdf')]);
        assert.equal(tv.status, 0, `${tv.stdout}${tv.stderr}`);
        assert.match(tv.stdout, /stamp 1: valid/);
        assert.match(tv.stdout, /level: B-LT\n/, 'offline: the TSA\'s evidence (the root\'s CRL) is the file\'s own');
        assert.doesNotMatch(`${tv.stdout}${tv.stderr}`, /未能查询签章人证书的吊销状态/);

        /* 添加文档时间戳 */
        await page.locator('#stamp-lta').click();
        await page.locator('#stamp-lta-done').waitFor({ timeout: 60000 });
        assert.match(await page.locator('#stamp-lta-status').innerText(), /已添加文档时间戳（PAdES B-LTA），时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
        await a11y.check(page, '在线盖章, B-LTA added');
        const lta = await download(page, '#stamp-lta-download');
        assert.ok(lta.subarray(0, out.length).equals(out), 'the B-LT file is a prefix of the B-LTA one');
        const tail = lta.subarray(out.length).toString('latin1');
        assert.match(tail, /\/Type \/DocTimeStamp \/Filter \/Adobe\.PPKLite \/SubFilter \/ETSI\.RFC3161/);
        const dts = lastSignature(lta, { docTimeStamp: true });
        assert.equal(dts.byteRange[2] + dts.byteRange[3], lta.length, 'the document timestamp covers the whole file');
        fs.writeFileSync(file('dts.tst'), dts.cms);
        fs.writeFileSync(file('dts.signed'), dts.signed);
        const ts = openssl(['ts', '-verify', '-token_in', '-in', file('dts.tst'), '-data', file('dts.signed'),
            '-CAfile', file('root.crt'), '-untrusted', file('tsa.crt')]);
        assert.equal(ts.status, 0, `${ts.stdout}${ts.stderr}`);
        assert.match(ts.stdout, /Verification: OK/);
        /* pdfsig (poppler 22.12) reads the document timestamp as a
         * signature field of the TSA over the whole file, and validates no
         * RFC 3161 signature ("Unable to validate this type"): the stamp
         * under it stays valid */
        const both = await outsideChecks(dir, lta, 'blta');
        assert.match(both.pdfsig, /Signature #1:[\s\S]*Signature is Valid\.[\s\S]*Certificate is Trusted\.[\s\S]*Signature #2:/,
            both.pdfsig);
        assert.match(both.pdfsig, /Signature #2:\s*- Signature Field Name: 文档时间戳2\s*- Signer Certificate Common Name: Hall Demo Time Stamping Authority[\s\S]*Total document signed/,
            both.pdfsig);
        assert.equal(both.qpdfStatus, 0, both.qpdf);
        const hv2 = await hallVerify(lta);
        assert.deepEqual(hv2.stamps.map((x) => x.state), ['有效', '有效'], JSON.stringify(hv2.stamps));
        fs.writeFileSync(file('blta.pdf'), lta);
        const tv2 = hallStamp(['verify', '--offline', '--root', file('root.crt'), '--ca', file('ecc.crt'),
            file('blta.pdf')]);
        assert.equal(tv2.status, 0, `${tv2.stdout}${tv2.stderr}`);
        assert.match(tv2.stdout, /stamp 1: valid[\s\S]*文件内嵌OCSP答复[\s\S]*stamp 2: valid\s*field: 文档时间戳2[\s\S]*covers the whole document/);

        /* what left the browser: the evidence asked by serial (GET), the
         * bodies only the two TimeStampReqs; no request holds the PDF */
        const ev = requests.filter((r) => new URL(r.url).pathname === '/sign/evidence');
        assert.equal(ev.length, 1);
        assert.equal(ev[0].method, 'GET');
        assert.equal(new URL(ev[0].url).searchParams.get('serial'), serial);
        const posts = requests.filter((r) => r.method !== 'GET');
        assert.deepEqual(posts.map((r) => new URL(r.url).pathname), ['/tsa', '/tsa']);
        for (const p of posts)
            assert.ok(p.body.length < 200, 'a TimeStampReq, a hash');
        for (const r of requests)
            for (let i = 0; i + 32 <= input.length; i += 256)
                assert.equal(Buffer.from(r.url).indexOf(input.subarray(i, i + 32)), -1);
        a11y.assertAllChecked(page);
        await context.close();
    });

test('在线盖章 with the evidence unreachable: still stamped, B-T, and the page says so',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        await context.route('**/sign/evidence*', (r) => r.abort('connectionrefused'));
        const page = await stampPage(context);
        await page.locator('#stamp-level').filter({ hasText: 'PAdES B-T' }).waitFor();
        assert.match(await page.locator('#stamp-level').innerText(), /未能取得长期验证信息.*验证时须联网查询吊销状态/);
        const out = await download(page, '#stamp-download');
        assert.equal((out.toString('latin1').match(/%%EOF/g) || []).length, 2);
        assert.doesNotMatch(out.toString('latin1'), /\/DSS/);
        assert.equal((await hallVerify(out)).stamps[0].state, '有效');
        fs.writeFileSync(file('bt.pdf'), out);
        const tv = hallStamp(['verify', '--offline', '--root', file('root.crt'), '--ca', file('ecc.crt'), file('bt.pdf')]);
        assert.match(`${tv.stdout}${tv.stderr}`, /需要联网查询吊销状态/);
        await context.close();
    });
