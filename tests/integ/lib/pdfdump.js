'use strict';
/*
 * The page's PDF modules (static/stamp/*.js, ES modules) loaded in node,
 * and what the page's reader (pdf-read.js) reads of a file in tests/pdf-dump's
 * text (see tests/pdf-dump.c), for tests/integ/pdf_read_diff.test.js.
 *
 * Debian 12's node 18 reads a .js file as CommonJS unless its package says
 * "type": "module": the folder is copied, with such a package.json, into a
 * temporary directory and imported from there.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.join(__dirname, '..', '..', '..');
const PDF_DUMP = path.join(ROOT, 'tests', 'pdf-dump');

let loaded;
/* { read (pdf-read.js; null before it was), update (pdf-update.js), PL (pdf-lib) } */
async function stampModules() {
    if (loaded)
        return loaded;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-stamp-js-'));
    fs.cpSync(path.join(ROOT, 'static', 'stamp'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    if (!globalThis.crypto)
        globalThis.crypto = require('node:crypto').webcrypto;
    const imp = (f) => import(pathToFileURL(path.join(dir, f)).href);
    loaded = { read: fs.existsSync(path.join(dir, 'pdf-read.js')) ? await imp('pdf-read.js') : null,
        update: await imp('pdf-update.js'),
        PL: await imp('vendor/pdf-lib.js'), dir };
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    return loaded;
}

function hex(bytes) {
    return Buffer.from(bytes).toString('hex').toUpperCase();
}

function latin1Hex(s) {
    return Buffer.from(s, 'latin1').toString('hex').toUpperCase();
}

function fnv(bytes) {
    let h = 0x811c9dc5;
    for (const b of bytes)
        h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return h.toString(16).padStart(8, '0');
}

function dbl(v) {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return b.toString('hex');
}

/* one value in pdf-dump's text */
function value(M, o) {
    const { PDFName, PDFDict, PDFArray, PDFRef, PDFNumber, PDFHexString, PDFString, PDFRawStream, PDFNull, PDFBool } = M.PL;
    if (o === PDFNull || o === undefined)
        return 'n';
    if (o instanceof PDFBool)
        return o.asBoolean() ? 't' : 'f';
    if (o instanceof PDFNumber)
        return `#${dbl(o.asNumber())}`;
    if (o instanceof PDFHexString || o instanceof PDFString)
        return `(${hex(o.asBytes())})`;
    if (o instanceof PDFName)
        return `/${latin1Hex(o.decodeText())}`;
    if (o instanceof PDFRef)
        return `${o.objectNumber} ${o.generationNumber} R`;
    if (o instanceof PDFArray)
        return `[${o.asArray().map((x) => value(M, x)).join(' ')}]`;
    const dict = (d) => {
        const keys = [...d.entries()].map(([k, v]) => [k.decodeText(), v]);
        keys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        return `<<${keys.map(([k, v]) => `/${latin1Hex(k)} ${value(M, v)}`).join(' ')}>>`;
    };
    if (o instanceof PDFDict)
        return dict(o);
    if (o instanceof PDFRawStream)
        return `${dict(o.dict)} S${o.contents.length}:${fnv(o.contents)}`;
    throw new Error(`a value of no known kind: ${o && o.constructor.name}`);
}

/* what pdf-read.js reads of bytes, as tests/pdf-dump prints it (its F line aside) */
function jsDump(M, bytes) {
    let d;
    try {
        d = M.read.openPdf(bytes);
    } catch (e) {
        if (!(e instanceof M.read.PdfReadError))
            throw e;
        return `E ${e.message}\n`;
    }
    let out = `M ${d.misplaced()} ${d.top()}\n`;
    const nums = [...d.entries.keys()].filter((n) => d.entries.get(n).type !== 0).sort((a, b) => a - b);
    for (const num of nums) {
        const x = d.entries.get(num);
        const gen = x.type === 1 ? x.gen : 0;
        const o = d.get(num, gen);
        out += `O ${num} ${gen} ${o === undefined ? '!' : value(M, o)}\n`;
    }
    const pages = d.pages();
    out += `P ${pages ? pages.map((p) => p.num).join(',') : '!'}\n`;
    return out;
}

/* core/pdf's dump of the files: Map path -> text (its F line aside) */
function cDump(files) {
    const { execFileSync } = require('node:child_process');
    const out = new Map();
    for (let i = 0; i < files.length; i += 200) {
        const text = execFileSync(PDF_DUMP, files.slice(i, i + 200), { maxBuffer: 1 << 30 }).toString('latin1');
        for (const part of text.split(/^F /m).slice(1)) {
            const nl = part.indexOf('\n');
            out.set(part.slice(0, nl), part.slice(nl + 1));
        }
    }
    return out;
}

/* a stamp's parameters for writeUpdate, its picture a 4 x 4 blank */
function testStamp(pageIndex = 0) {
    const zlib = require('node:zlib');
    return { pageIndex, xMm: 20, yMm: 20, seal: { name: '测试印章', esId: '1234567890', picture: { widthMm: 10, heightMm: 10 } },
        image: { width: 4, height: 4, rgb: zlib.deflateSync(Buffer.alloc(4 * 13)), alpha: zlib.deflateSync(Buffer.alloc(4 * 5)) },
        time: new Date('2026-01-02T03:04:05Z'), contentsLength: 1024 };
}

module.exports = { stampModules, jsDump, cDump, value, testStamp, PDF_DUMP, ROOT };
