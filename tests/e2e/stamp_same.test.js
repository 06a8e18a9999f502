'use strict';
/*
 * The two writers write the same stamp (docs/internals/stamp.md): one input
 * PDF stamped by 在线盖章 in headless Chromium and by the 盖章工具
 * (`hall-stamp sign`), the same seal, PKCS#12, page and position; the two
 * updates hold the same objects (numbers), each with the same keys and value
 * kinds (names and references with the same values; /Contents' bytes, the
 * times and the compressed streams differ), a cross-reference of the same
 * kind and a trailer of the same keys; the same /Rect, /T, /Name, /Reason,
 * picture size and /Contents room.  Both outputs are 有效 at the hall's
 * POST /sign/verify and valid for hall-stamp verify; a stamp of one writer
 * over a stamp of the other leaves both valid.  Inputs: a cross-reference
 * table, qpdf's object and cross-reference streams, and the corpus's
 * wrong-length.pdf (tests/data/pdf/corpus: content streams of wrong
 * /Length), where both writers' page object keeps every key it had, /Annots
 * added.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { HALL } = require('../integ/lib/client');
const { tmpdir, fetchPki } = require('../integ/lib/pki');
const { launchChromium } = require('./lib/browser');
const {
    producedSeal, tablePdf, streamPdf, updateStructure, hallStamp, toolVerify, hallVerify, lastSignature, cmsParts,
    pdfValue,
} = require('./lib/stamp');
const { CORPUS } = require('../integ/lib/pixels');
const { derNode, derChildren } = require('../integ/lib/pki');

const SKIP = !process.env.HALL_URL;
let browser, holder, dir;

before(async () => {
    if (SKIP)
        return;
    browser = await launchChromium();
    dir = tmpdir();
    holder = await producedSeal();
    fs.writeFileSync(path.join(dir, 'seal.seseal'), holder.seal);
    fs.writeFileSync(path.join(dir, 'medium.p12'), holder.p12);
    fs.writeFileSync(path.join(dir, 'table.pdf'), tablePdf(2, 'Same stamp'));
    fs.writeFileSync(path.join(dir, 'streams.pdf'), streamPdf(dir, 2));
    fs.copyFileSync(path.join(CORPUS, 'wrong-length.pdf'), path.join(dir, 'wrong-length.pdf'));
    await fetchPki(dir);
});

after(async () => {
    if (browser)
        await browser.close();
});

/* 在线盖章 of input at page, (x, y) mm typed in */
async function webStamp(input, page1, x, y) {
    const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${HALL}/seal/stamp`);
    await page.locator('#stamp-pdf').setInputFiles(input);
    await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).waitFor();
    await page.locator('#stamp-seseal').setInputFiles(path.join(dir, 'seal.seseal'));
    await page.locator('#stamp-p12').setInputFiles(path.join(dir, 'medium.p12'));
    await page.locator('#stamp-pin').fill(holder.pin);
    await page.locator('#stamp-page').fill(String(page1));
    await page.locator('#stamp-page').dispatchEvent('change');
    await page.locator('#stamp-x').fill(String(x));
    await page.locator('#stamp-y').fill(String(y));
    await page.locator('#stamp-go').click();
    await page.locator('#stamp-done').waitFor({ timeout: 60000 });
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#stamp-download').click()]);
    const out = fs.readFileSync(await dl.path());
    await context.close();
    return out;
}

function toolStamp(input, page1, x, y, name) {
    const out = path.join(dir, name);
    const r = hallStamp(['sign', '--in', input, '--out', out, '--seal', path.join(dir, 'seal.seseal'),
        '--p12', path.join(dir, 'medium.p12'), '--page', String(page1), '--x', String(x), '--y', String(y),
        '--tsa', `${HALL}/tsa`], holder.pin);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    return fs.readFileSync(out);
}

/* the keys of object num in the input (its last definition), sorted */
function inputKeys(buf, num) {
    const s = buf.toString('latin1');
    const at = s.lastIndexOf(`\n${num} 0 obj`);
    assert.ok(at >= 0, `object ${num} in the input`);
    const [v] = pdfValue(s, at + `\n${num} 0 obj`.length);
    return Object.keys(v.v).sort();
}

const INPUTS = [['table.pdf', 'a cross-reference table', 'table'], ['streams.pdf', 'cross-reference streams', 'stream'],
    ['wrong-length.pdf', 'content streams of wrong /Length', 'table']];
for (const [input, label, kind] of INPUTS) {
    test(`在线盖章 and hall-stamp sign write the same update to a PDF with ${label}; both 有效 at /sign/verify and hall-stamp verify`,
        { skip: SKIP }, async () => {
            const inFile = path.join(dir, input);
            const inLen = fs.statSync(inFile).size;
            const web = await webStamp(inFile, 2, 150, 230);
            const tool = toolStamp(inFile, 2, 150, 230, `tool-${input}`);
            /* the stamp's own update: 在线盖章's /DSS update (PAdES B-LT) after it aside */
            const webSig = lastSignature(web).byteRange;
            const a = updateStructure(web.subarray(0, webSig[2] + webSig[3]), inLen);
            const toolSig = lastSignature(tool).byteRange;
            const b = updateStructure(tool.subarray(0, toolSig[2] + toolSig[3]), inLen);
            assert.deepEqual(Object.keys(a.objects).sort(), Object.keys(b.objects).sort(), 'the same objects');
            for (const k of Object.keys(b.objects)) {
                assert.deepEqual(a.objects[k].shape, b.objects[k].shape, `object ${k}: keys and value kinds`);
                assert.equal(a.objects[k].stream, b.objects[k].stream, `object ${k}: a stream or not`);
            }
            assert.equal(a.xref, b.xref);
            assert.equal(a.xref, kind);
            /* the page object written again: every key of the input's, /Annots added */
            if (input === 'wrong-length.pdf') {
                const inBuf = fs.readFileSync(inFile);
                for (const [who, st] of [['在线盖章', a], ['hall-stamp', b]]) {
                    const [num] = Object.entries(st.objects).find(([, o]) => o.value.v['/Type'] &&
                        o.value.v['/Type'].v === '/Page')[0].split(' ');
                    const want = [...new Set([...inputKeys(inBuf, num), '/Annots'])].sort();
                    assert.deepEqual(Object.keys(st.objects[`${num} 0`].value.v).sort(), want, `${who}: page ${num}'s keys`);
                    assert.ok(want.includes('/Contents'));
                }
            }
            assert.deepEqual(a.trailer, b.trailer);
            /* the values that do not depend on the time or the signature */
            const widget = (s) => Object.values(s.objects).find((o) => o.value.v['/Subtype'] &&
                o.value.v['/Subtype'].v === '/Widget').value.v;
            const sig = (s) => Object.values(s.objects).find((o) => o.value.v['/Type'] &&
                o.value.v['/Type'].v === '/Sig').value.v;
            const images = (s) => Object.values(s.objects).filter((o) => o.value.v['/Subtype'] &&
                o.value.v['/Subtype'].v === '/Image').map((o) => [o.value.v['/Width'].v, o.value.v['/Height'].v]);
            assert.deepEqual(widget(a)['/Rect'].v.map((n) => n.v), widget(b)['/Rect'].v.map((n) => n.v));
            assert.equal(widget(a)['/T'].v, widget(b)['/T'].v);
            assert.equal(widget(a)['/F'].v, 132);
            for (const k of ['/Name', '/Reason'])
                assert.equal(sig(a)[k].v, sig(b)[k].v, k);
            assert.equal(sig(a)['/Contents'].v.length, sig(b)['/Contents'].v.length, 'the same /Contents room');
            assert.deepEqual(images(a), images(b));
            /* the pixels: the same RGB and alpha rows once inflated (PNG's own
             * values in both; the compressed bytes may differ) */
            const pixels = (st) => Object.values(st.objects).filter((o) => o.value.v['/Subtype'] &&
                o.value.v['/Subtype'].v === '/Image').map((o) => zlib.inflateSync(o.data).toString('hex'));
            const pa = pixels(a), pb = pixels(b);
            assert.equal(pa.length, 2);
            assert.ok(pa[0] === pb[0] && pa[1] === pb[1], 'the same RGB and alpha rows');
            /* the CMS: the same signed attributes in the same (DER) order, the
             * same certificates, the same seal attribute's value */
            const attrs = (pdf) => {
                const p = cmsParts(lastSignature(pdf).cms);
                return {
                    types: p.signedAttrs.map((x) => {
                        const buf = Buffer.from(x.raw);
                        return Buffer.from(derChildren(derNode(buf, 0), buf)[0].raw).toString('hex');
                    }),
                    certs: p.certificates.map((c) => Buffer.from(c.raw).toString('hex')),
                    seal: p.signedAttrs.some((x) => Buffer.from(x.raw).includes(holder.seal)),
                };
            };
            const ca = attrs(web), cb = attrs(tool);
            assert.deepEqual(ca.types, cb.types, 'the same signed attributes, in the same order');
            assert.equal(ca.types.length, 4);
            assert.deepEqual(ca.certs, cb.certs, 'the same certificates');
            assert.equal(ca.seal, true);
            assert.equal(cb.seal, true);

            for (const [name, pdf] of [['web', web], ['tool', tool]]) {
                const v = toolVerify(dir, pdf, `${name}-${input}`);
                assert.equal(v.status, 0, `${name}: ${v.stdout}${v.stderr}`);
                assert.match(v.stdout, /stamp 1: valid/);
                const h = await hallVerify(pdf);
                assert.equal(h.count, 1);
                assert.equal(h.stamps[0].state, '有效', `${name}: ${JSON.stringify(h.stamps[0].checks)}`);
                assert.equal(h.stamps[0].seal.es_id, holder.esId);
            }

            /* one writer's stamp over the other's: both stamps stay valid */
            fs.writeFileSync(path.join(dir, `web-${input}`), web);
            const both = toolStamp(path.join(dir, `web-${input}`), 1, 60, 60, `both-${input}`);
            const v = toolVerify(dir, both, `both-v-${input}`);
            assert.equal(v.status, 0, `${v.stdout}${v.stderr}`);
            assert.match(v.stdout, /stamp 1: valid[\s\S]*stamp 2: valid/);
            const h = await hallVerify(both);
            assert.deepEqual(h.stamps.map((s) => s.state), ['有效', '有效']);
        });
}
