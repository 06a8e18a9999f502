'use strict';
/*
 * 在线盖章 in headless Chromium through nginx (issue 41, "The key stays with
 * its holder" 2): a seal produced by the hall, its PKCS#12 and PIN; the page
 * opened without logging in, the PDF, the .seseal and the PKCS#12 chosen,
 * the PIN typed, a click on the preview, 盖章, the download.
 *   - every request the page sent (URL and body, the pdf.js worker's too)
 *     holds no byte sequence of the PKCS#12, the PIN or the key's scalar;
 *   - the result verifies from outside: pdfsig (the hall's root in an NSS
 *     database) "Signature is Valid", qpdf --check clean, openssl cms
 *     -verify over the two byte ranges, openssl ts -verify of the token;
 *   - a wrong PIN, a .seseal that is not a seal, a PKCS#12 of another
 *     signer, an encrypted and a damaged PDF, the TSA unreachable: the
 *     Chinese message, nothing to download.
 * Logged in, 我的电子印章 → 在线盖章 preselects the seal; a PDF with object
 * and cross-reference streams is stamped twice (two stamps, both valid).
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { HALL } = require('../integ/lib/client');
const { tmpdir } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');
const {
    producedSeal, tablePdf, streamPdf, outsideChecks, keyScalar, lastSignature, toolVerify, hallVerify,
} = require('./lib/stamp');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
let browser, holder, other, dir;

before(async () => {
    if (SKIP)
        return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    dir = tmpdir();
    holder = await producedSeal();
    other = await producedSeal();
    for (const [name, bytes] of [['doc.pdf', tablePdf(3)], ['seal.seseal', holder.seal],
        ['medium.p12', holder.p12], ['other.p12', other.p12], ['other.seseal', other.seal],
        ['not-a-seal.seseal', Buffer.from('30820100', 'hex')], ['streams.pdf', streamPdf(dir, 2)]])
        fs.writeFileSync(path.join(dir, name), bytes);
    const enc = path.join(dir, 'encrypted.pdf');
    execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', path.join(dir, 'doc.pdf'), enc]);
    fs.writeFileSync(path.join(dir, 'damaged.pdf'), tablePdf(1).subarray(0, 300));
});

after(async () => {
    if (browser)
        await browser.close();
});

/* every request of a context, with its body */
function recordRequests(context) {
    const seen = [];
    context.on('request', (r) => seen.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
    return seen;
}

/* the byte sequences that must never leave the browser */
function secrets(p12, pin, scalar) {
    const list = [];
    const forms = (label, b) => {
        list.push([`${label} bytes`, b]);
        list.push([`${label} hex`, Buffer.from(b.toString('hex'))]);
        list.push([`${label} HEX`, Buffer.from(b.toString('hex').toUpperCase())]);
        list.push([`${label} base64`, Buffer.from(b.toString('base64'))]);
        list.push([`${label} base64url`, Buffer.from(b.toString('base64url'))]);
    };
    forms('pkcs12', p12);
    /* any 16-byte window of the PKCS#12, wherever a request might carry a part */
    for (let i = 0; i + 16 <= p12.length; i += 16)
        list.push([`pkcs12 window ${i}`, p12.subarray(i, i + 16)]);
    forms('key scalar', scalar);
    list.push(['PIN', Buffer.from(pin)]);
    list.push(['PIN url-encoded', Buffer.from(encodeURIComponent(pin))]);
    list.push(['PIN utf-16', Buffer.from(pin, 'utf16le')]);
    return list;
}

function assertNothingLeft(requests, list) {
    assert.ok(requests.length > 0);
    for (const r of requests) {
        const hay = [Buffer.from(r.url), Buffer.from(decodeURIComponent(r.url)), r.body || Buffer.alloc(0)];
        for (const [label, needle] of list)
            for (const h of hay)
                assert.equal(h.indexOf(needle), -1, `${label} in ${r.method} ${r.url}`);
    }
}

async function openPage(context, url = `${HALL}/seal/stamp`) {
    const page = await context.newPage();
    a11y.track(page);
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
            problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
        if (r.status() >= 400 && !/favicon\.ico$/.test(r.url()))
            problems.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(url);
    return { page, problems };
}

const file = (n) => path.join(dir, n);

async function choose(page, { pdf = 'doc.pdf', seal = 'seal.seseal', p12 = 'medium.p12', pin }) {
    if (pdf) {
        await page.locator('#stamp-pdf').setInputFiles(file(pdf));
        await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).waitFor();
    }
    if (seal)
        await page.locator('#stamp-seseal').setInputFiles(file(seal));
    if (p12)
        await page.locator('#stamp-p12').setInputFiles(file(p12));
    if (pin !== undefined)
        await page.locator('#stamp-pin').fill(pin);
}

/* a click on the preview at (xMm, yMm) from the page's top-left corner (A4) */
async function clickAt(page, xMm, yMm) {
    const canvas = page.locator('#stamp-canvas');
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    await canvas.click({ position: { x: box.width * xMm / 210, y: box.height * yMm / 297 } });
    await page.locator('#stamp-mark').waitFor();
}

async function stampAndDownload(page) {
    await page.locator('#stamp-go').click();
    await page.locator('#stamp-done').waitFor({ timeout: 60000 });
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
    return fs.readFileSync(await dl.path());
}

async function noStamp(page, field, re) {
    await page.locator('#stamp-go').click();
    await page.locator(`#err-${field}`).filter({ hasText: re }).waitFor({ timeout: 60000 });
    assert.equal(await page.locator('#stamp-done').isHidden(), true, 'nothing to download');
    assert.equal(await page.locator('#stamp-download').getAttribute('href'), null);
}

test('在线盖章 without login: wrong PIN refused in Chinese, then stamped; nothing of the PKCS#12, PIN or key left the browser; pdfsig, qpdf, openssl cms and ts agree',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        const requests = recordRequests(context);
        let downloads = 0;
        const { page, problems } = await openPage(context);
        page.on('download', () => downloads++);
        await a11y.check(page, '在线盖章');
        assert.match(await page.locator('#stamp-privacy').innerText(), /不会上传/);
        /* the PDF and crypto code is fetched at the first use, not with the page */
        await page.waitForTimeout(1000);
        assert.deepEqual(requests.filter((r) => /\/static\/stamp\/(vendor\/|files|stamp\.js|pdf-update)/.test(r.url))
            .map((r) => r.url), [], 'nothing of pdf.js, pdf-lib or PKI.js before the form is used');
        /* words a clerk reads: no PKCS#12, no curve names */
        const words = await page.locator('#stamp').innerText();
        assert.doesNotMatch(words, /PKCS#12|P-256|ECDSA|SHA-256/);
        await choose(page, { pin: '00000000' });
        await page.locator('#stamp-pages').filter({ hasText: '共 3 页' }).waitFor();
        await page.locator('#stamp-seal-chosen').filter({ hasText: holder.esId }).waitFor();
        await clickAt(page, 150, 230);
        /* the seal drawn at its real size: 42 mm of the page's 210 */
        const mark = await page.locator('#stamp-mark').boundingBox();
        const canvas = await page.locator('#stamp-canvas').boundingBox();
        assert.ok(Math.abs(mark.width / canvas.width - 42 / 210) < 0.01, `${mark.width} of ${canvas.width}`);
        await page.screenshot({ path: path.join(ARTIFACTS, 'stamp-01-placed.png'), fullPage: true });

        /* (c) a wrong PIN: the message, no stamp */
        await noStamp(page, 'pin', /PIN码错误/);
        await a11y.check(page, '在线盖章, a wrong PIN');
        assert.equal(downloads, 0);

        /* the PIN right: stamped on page 1 at (150 mm, 230 mm) */
        await page.locator('#stamp-pin').fill(holder.pin);
        const out = await stampAndDownload(page);
        await page.locator('#stamp-status').filter({ hasText: '盖章完成' }).waitFor();
        /* the time as every page writes it: 2026-11-27 14:05:09 */
        assert.match(await page.locator('#stamp-status').innerText(), /可信时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}（北京时间）/);
        await a11y.check(page, '在线盖章, stamped');
        await page.screenshot({ path: path.join(ARTIFACTS, 'stamp-02-done.png'), fullPage: true });

        /* (a) no byte of the PKCS#12, the PIN or the key in any request */
        const scalar = keyScalar(dir, holder.p12, holder.pin);
        assertNothingLeft(requests, secrets(holder.p12, holder.pin, scalar));
        const posts = requests.filter((r) => r.method !== 'GET');
        assert.deepEqual(posts.map((r) => new URL(r.url).pathname), ['/tsa'],
            'the one request with a body: the timestamp');
        assert.ok(posts[0].body.length < 200, 'a TimeStampReq, a hash');

        /* the input's bytes untouched, the stamp's update appended, then the
         * /DSS's (PAdES B-LT: stamp_lta.test.js) */
        const input = fs.readFileSync(file('doc.pdf'));
        assert.ok(out.subarray(0, input.length).equals(input), 'the input is a prefix of the result');
        const text = out.subarray(input.length).toString('latin1');
        assert.match(text, /\/SubFilter \/ETSI\.CAdES\.detached/);
        assert.match(text, /\/F 132/);
        assert.match(text, /\/SigFlags 3/);
        assert.equal((out.toString('latin1').match(/%%EOF/g) || []).length, 3);
        /* the seal's centre at (150, 230) mm: /Rect 42 mm wide around it */
        const rect = /\/Rect \[([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)\]/.exec(text).slice(1).map(Number);
        const mm = 72 / 25.4;
        assert.ok(Math.abs(rect[2] - rect[0] - 42 * mm) < 0.05, `width ${rect[2] - rect[0]}`);
        assert.ok(Math.abs((rect[0] + rect[2]) / 2 - 150 * mm) < 3, `centre x ${(rect[0] + rect[2]) / 2}`);
        assert.ok(Math.abs((rect[1] + rect[3]) / 2 - (841.89 - 230 * mm)) < 3, `centre y ${(rect[1] + rect[3]) / 2}`);

        /* (b) from outside */
        const v = await outsideChecks(dir, out, 'web');
        assert.match(v.pdfsig, /Signature Validation: Signature is Valid/, v.pdfsig);
        assert.match(v.pdfsig, /Certificate Validation: Certificate is Trusted/, v.pdfsig);
        assert.match(v.pdfsig, /Signature Type: ETSI\.CAdES\.detached/, v.pdfsig);
        /* the stamp's revision signed whole; the /DSS's update follows it
         * (B-LT), which pdfsig calls "Not total document signed" */
        assert.match(v.pdfsig, new RegExp(`Signed Ranges: \\[0 - ${v.sig.byteRange[1]}\\], \\[${v.sig.byteRange[2]} - ` +
            `${v.sig.byteRange[2] + v.sig.byteRange[3]}\\]`), v.pdfsig);
        assert.match(out.subarray(v.sig.byteRange[2] + v.sig.byteRange[3]).toString('latin1'), /\/Type \/DSS/);
        assert.equal(v.qpdfStatus, 0, v.qpdf);
        assert.match(v.qpdf, /No syntax or stream encoding errors found/);
        assert.equal(v.cmsStatus, 0, v.cms);
        assert.match(v.cms, /Verification successful/);
        assert.equal(v.tsStatus, 0, v.ts);
        assert.match(v.ts, /Verification: OK/);
        /* the 盖章工具's verify and the hall's POST /sign/verify: valid, 有效 */
        const tv = toolVerify(dir, out, 'web-tool-verify.pdf');
        assert.equal(tv.status, 0, `${tv.stdout}${tv.stderr}`);
        assert.match(tv.stdout, /stamp 1: valid/);
        const hv = await hallVerify(out);
        assert.equal(hv.stamps[0].state, '有效', JSON.stringify(hv.stamps[0].checks));
        /* the seal travels in the signed attributes, byte for byte */
        assert.ok(v.sig.cms.indexOf(holder.seal) > 0, 'the .seseal in the CMS');
        /* one byte changed inside a signed range: pdfsig and openssl say invalid */
        const bad = Buffer.from(out);
        bad[200] ^= 0x01;
        const w = await outsideChecks(dir, bad, 'web-bad');
        assert.doesNotMatch(w.pdfsig, /Signature is Valid/);
        assert.notEqual(w.cmsStatus, 0);

        fs.writeFileSync(path.join(dir, 'web-stamped.pdf'), out);
        a11y.assertAllChecked(page);
        assert.deepEqual(problems.filter((p) => !/^(401|403) /.test(p)), []);
        await context.close();
    });

test('在线盖章 refuses, in Chinese, a file that is not a seal, another signer\'s PKCS#12, an encrypted and a damaged PDF, and the TSA unreachable; nothing is produced',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        const { page } = await openPage(context);
        let downloads = 0;
        page.on('download', () => downloads++);

        await page.locator('#stamp-seseal').setInputFiles(file('not-a-seal.seseal'));
        await page.locator('#err-seseal').filter({ hasText: '不是电子印章文件' }).waitFor();
        await a11y.check(page, '在线盖章, not a seal');

        await page.locator('#stamp-pdf').setInputFiles(file('encrypted.pdf'));
        await page.locator('#err-pdf').filter({ hasText: '已加密' }).waitFor();
        await page.locator('#stamp-pdf').setInputFiles(file('damaged.pdf'));
        await page.locator('#err-pdf').filter({ hasText: '已损坏' }).waitFor();
        await a11y.check(page, '在线盖章, a damaged PDF');

        /* another holder's PKCS#12 with its own right PIN: not this seal's signer */
        await choose(page, { p12: 'other.p12', pin: other.pin });
        await clickAt(page, 100, 100);
        await noStamp(page, 'p12', /不是该电子印章的签章人证书/);

        /* the TSA unreachable: no stamp without its timestamp */
        await page.route('**/tsa', (r) => r.abort('connectionrefused'));
        await choose(page, { pdf: null, seal: null, p12: 'medium.p12', pin: holder.pin });
        await noStamp(page, 'tsa', /时间戳服务暂时无法访问/);
        await a11y.check(page, '在线盖章, the TSA unreachable');
        await page.screenshot({ path: path.join(ARTIFACTS, 'stamp-03-tsa-down.png'), fullPage: true });
        assert.equal(downloads, 0);
        a11y.assertAllChecked(page);
        await context.close();
    });

test('我的电子印章 links each valid seal to 在线盖章, which opens with that seal chosen; a PDF with cross-reference streams stamped twice, both stamps valid',
    { skip: SKIP }, async () => {
        const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, locale: 'zh-CN',
            acceptDownloads: true });
        await signIn(context, holder.c);
        const requests = recordRequests(context);
        const me = await context.newPage();
        a11y.track(me);
        await me.goto(`${HALL}/seal/seals?id=${holder.id}`);
        const link = me.locator(`#seal-list tr[data-item="${holder.item}"] .stamp-link`);
        assert.equal(await link.getAttribute('href'), `/seal/stamp?id=${holder.item}`);
        await a11y.check(me, '我的电子印章 with 在线盖章');
        await Promise.all([me.waitForURL(/\/seal\/stamp\?id=/), link.click()]);
        await me.locator('#stamp-seal-chosen').filter({ hasText: `已选用我的电子印章` }).waitFor();
        assert.match(await me.locator('#stamp-seal-chosen').innerText(), new RegExp(holder.esId));
        /* the seal file's field no longer asks for a file it has */
        const label = await me.locator('#stamp-seseal-label').innerText();
        assert.ok(!label.startsWith('*') && label.includes('已选用我的电子印章'), label);
        await a11y.check(me, '在线盖章, the seal chosen');

        await choose(me, { pdf: 'streams.pdf', seal: null, pin: holder.pin });
        await me.locator('#stamp-page').fill('2');
        await me.locator('#stamp-page').dispatchEvent('change');
        await clickAt(me, 60, 60);
        const once = await stampAndDownload(me);
        assert.match(once.subarray(fs.statSync(file('streams.pdf')).size).toString('latin1'), /\/Type \/XRef/,
            'a cross-reference stream after a stream');
        fs.writeFileSync(file('once.pdf'), once);
        await choose(me, { pdf: 'once.pdf', seal: null, p12: null });
        await clickAt(me, 150, 60);
        const twice = await stampAndDownload(me);
        assert.ok(twice.subarray(0, once.length).equals(once));
        const v = await outsideChecks(dir, twice, 'twice');
        assert.equal((v.pdfsig.match(/Signature is Valid/g) || []).length, 2, v.pdfsig);
        /* the second field is 印章2 */
        assert.match(twice.subarray(once.length).toString('latin1'), /\/T <FEFF53707AE00032>/);
        assert.equal(v.qpdfStatus, 0, v.qpdf);
        assert.deepEqual((await hallVerify(twice)).stamps.map((x) => x.state), ['有效', '有效']);
        /* the second stamp signs the first's /DSS too; its own follows it */
        const br = lastSignature(twice).byteRange;
        assert.ok(br[2] + br[3] > once.length && br[2] + br[3] < twice.length);
        assert.match(twice.subarray(br[2] + br[3]).toString('latin1'), /\/Type \/DSS/);
        /* the second /DSS lists the first's evidence too: a /VRI and an OCSP answer for each stamp */
        const dss = /\/Type \/DSS \/Certs \[[^\]]*\] \/OCSPs \[([^\]]*)\][\s\S]*?endobj/.exec(
            twice.subarray(br[2] + br[3]).toString('latin1'));
        assert.ok(dss, 'the second /DSS');
        assert.equal(dss[1].trim().split(/\s+/).length, 6, 'two OCSP answers (three tokens a reference)');
        assert.equal((dss[0].match(/\/Type \/VRI/g) || []).length, 2);
        /* the holder's own seal file came from the hall; the PKCS#12 did not go there */
        assertNothingLeft(requests, [['pkcs12', holder.p12], ['PIN', Buffer.from(holder.pin)]]);
        a11y.assertAllChecked(me);
        await context.close();
    });
