'use strict';
/*
 * The page's stamper (static/stamp/pdf-update.js, in node) reads a document
 * as core/pdf reads it and writes nothing its preview did not show (issue
 * 71 §2, §3):
 *   - a file whose page 4 is defined twice, the later copy outside the
 *     cross-reference adding an annotation "Amount: 999999 yuan": read
 *     from where the cross-reference says (one annotation, as tests/pdf-dump
 *     reads it), and refused, naming the object, before anything is written;
 *   - a second catalog outside the cross-reference with /OpenAction: the
 *     same;
 *   - /Size beyond ISO 32000's 8,388,607, or so near it that the update's
 *     numbers would pass it: refused;
 *   - 64 signatures already: refused (the verifier reads 64 at most); 63:
 *     stamped, and the 64th is the stamp's, but a 骑缝章 with a page stamp
 *     (two signatures) refused before the PIN is tried; 64 empty signature
 *     fields: stamped (the verifier counts signatures, not fields);
 *   - /Rotate 45 (or 45.0, or 2147483640): refused;
 *   - a table naming page 4 twice (core/pdf takes the first entry,
 *     pyHanko the last): refused;
 *   - a content stream whose /Length ends at a fake "endstream endobj"
 *     with the rest of the data after it: refused.
 * Needs tests/pdf-dump (the build), not the hall.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');
const { stampModules, PDF_DUMP } = require('./lib/pdfdump');

const NO_DUMP = !fs.existsSync(PDF_DUMP) && 'no tests/pdf-dump (make)';

/*
 * A PDF: objs [[num, text]] in order, listed by a classic table; extra
 * (text) after them, before the table, listed nowhere; trailer's keys.
 */
function pdfOf(objs, { extra = '', trailer = '', size } = {}) {
    let s = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
    const offs = new Map();
    for (const [n, text] of objs) {
        offs.set(n, s.length);
        s += `${n} 0 obj\n${text}\nendobj\n`;
    }
    s += extra;
    const top = Math.max(...offs.keys());
    const xref = s.length;
    s += `xref\n0 ${top + 1}\n0000000000 65535 f\r\n`;
    for (let n = 1; n <= top; n++)
        s += offs.has(n) ? `${String(offs.get(n)).padStart(10, '0')} 00000 n\r\n` : '0000000000 65535 f\r\n';
    s += `trailer\n<< /Size ${size || top + 1} /Root 1 0 R ${trailer}>>\nstartxref\n${xref}\n%%EOF\n`;
    return new Uint8Array(Buffer.from(s, 'latin1'));
}

/* a free-text annotation showing text */
const note = (text, y) => `<< /Type /Annot /Subtype /FreeText /Rect [72 ${y} 400 ${y + 30}] /Contents (${text})` +
    ` /DA (/Helv 14 Tf 0 g) >>`;

/* four pages; page 4 (object 9) with annotation 10 ("Amount: 1000 yuan") */
function fourPages({ catalog = '<< /Type /Catalog /Pages 2 0 R >>', page4 = '/Annots [10 0 R]', more = [] } = {}) {
    const page = (n) => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${n} 0 R ${n === 8 ? page4 : ''}>>`;
    const content = '<< /Length 0 >>\nstream\n\nendstream';
    return [
        [1, catalog],
        [2, '<< /Type /Pages /Kids [3 0 R 5 0 R 7 0 R 9 0 R] /Count 4 >>'],
        [3, page(4)], [4, content], [5, page(6)], [6, content], [7, page(8)], [8, content],
        [9, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] ${page4} >>`],
        [10, note('Amount: 1000 yuan', 700)],
        ...more,
    ];
}

function stampOf(pageIndex = 0) {
    const rows = zlib.deflateSync(Buffer.alloc(4 * (1 + 4 * 3)));
    return { pageIndex, xMm: 50, yMm: 50, seal: { name: '测试印章', esId: '1234567890', picture: { widthMm: 40, heightMm: 40 } },
        image: { width: 4, height: 4, rgb: rows, alpha: zlib.deflateSync(Buffer.alloc(4 * 5)) },
        time: new Date('2026-01-02T03:04:05Z'), contentsLength: 1024 };
}

/* core/pdf's view of bytes: tests/pdf-dump's lines */
function cView(bytes) {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hall-pr-')), 'in.pdf');
    fs.writeFileSync(f, bytes);
    const out = execFileSync(PDF_DUMP, [f]).toString('latin1');
    fs.rmSync(path.dirname(f), { recursive: true, force: true });
    return out;
}

/* readPdf's refusal of bytes; when it stamps instead, the failure says
 * what the update wrote of object num (stamped on page pageIndex + 1) */
async function refusal(M, bytes, pageIndex, num) {
    let pdf;
    try {
        pdf = await M.update.readPdf(bytes);
    } catch (e) {
        return e;
    }
    const u = M.update.writeUpdate(pdf, stampOf(pageIndex));
    const tail = Buffer.from(u.bytes.subarray(bytes.length)).toString('latin1');
    const obj = tail.match(new RegExp(`^${num} 0 obj\\n([\\s\\S]*?)\\nendobj`, 'm'));
    assert.fail(`stamped; the update wrote object ${num} as: ${obj ? obj[1].replace(/\s+/g, ' ') : '(not written)'}`);
}

const hexOf = (s) => Buffer.from(s, 'latin1').toString('hex').toUpperCase();

test('page 4 defined twice: read from the cross-reference, refused by name', { skip: NO_DUMP }, async () => {
    const M = await stampModules();
    /* the later copy of 9, outside the table, adds annotation 11 */
    const bytes = pdfOf(fourPages({ more: [[11, note('Amount: 999999 yuan', 650)]] }), {
        extra: '9 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [10 0 R 11 0 R] >>\nendobj\n',
    });
    /* core/pdf reads page 4 with one annotation */
    const c = cView(bytes);
    assert.match(c, /^O 9 0 .*\[10 0 R\]/m, c);
    /* the stamper refuses the file, naming object 9, before writing */
    const e = await refusal(M, bytes, 3, 9);
    assert.equal(e.field, 'pdf');
    assert.match(e.message, /对象9在交叉引用表所列位置之外又定义了一次/);
    /* its reader takes page 4 from where the cross-reference says */
    const doc = M.read.openPdf(bytes);
    assert.deepEqual(doc.key(doc.get(9, 0), 'Annots').asArray().map(String), ['10 0 R']);
});

test('a second catalog outside the cross-reference: refused, /OpenAction never read', { skip: NO_DUMP }, async () => {
    const M = await stampModules();
    const bytes = pdfOf(fourPages({ more: [[11, '<< /S /URI /URI (https://evil.example/) >>']] }), {
        extra: '1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 11 0 R >>\nendobj\n',
    });
    assert.match(cView(bytes), new RegExp(`^O 1 0 <</${hexOf('Pages')} 2 0 R /${hexOf('Type')} /${hexOf('Catalog')}>>$`, 'm'));
    assert.match((await refusal(M, bytes, 0, 1)).message, /对象1在交叉引用表所列位置之外又定义了一次/);
    const doc = M.read.openPdf(bytes);
    assert.equal(doc.key(doc.key(doc.trailer, 'Root'), 'OpenAction'), M.PL.PDFNull);
});

test('the same file without the second copy is stamped, page 4 as the cross-reference has it', { skip: NO_DUMP },
    async () => {
        const M = await stampModules();
        const bytes = pdfOf(fourPages({ more: [[11, note('Amount: 999999 yuan', 650)]] }));
        const pdf = await M.update.readPdf(bytes);
        const u = M.update.writeUpdate(pdf, stampOf(3));
        const c = cView(u.bytes);
        /* page 4 again: annotation 10 and the stamp's widget, not 11 */
        assert.match(c, new RegExp(`^O 9 0 <</${hexOf('Annots')} \\[10 0 R ${u.objects.W} 0 R\\] `, 'm'), c);
    });

test('/Size beyond ISO 32000\'s limit, or an update that would pass it: refused', { skip: NO_DUMP }, async () => {
    const M = await stampModules();
    await assert.rejects(M.update.readPdf(pdfOf(fourPages(), { size: 2000000000 })),
        /\/Size为2000000000，盖章写入的新对象编号将超过PDF规范（ISO 32000）允许的最大对象编号8388607/);
    await assert.rejects(M.update.readPdf(pdfOf(fourPages(), { size: 8388607 })), /最大对象编号8388607/);
    /* the most a stamp writes (a 300-page 骑缝章, a /DSS) is 972 objects: refused from 8387637 on, when read */
    await assert.rejects(M.update.readPdf(pdfOf(fourPages(), { size: 8387637 })), /最大对象编号8388607/);
    const within = await M.update.readPdf(pdfOf(fourPages(), { size: 8387636 }));
    /* and the writer holds its numbers to the limit itself */
    assert.throws(() => M.update.writeUpdate({ ...within, size: 8388605 }, stampOf()), /最大对象编号8388607/);
    assert.equal(M.update.writeUpdate({ ...within, size: 8388603 }, stampOf()).objects.M, 8388607);
});

/* a catalog with a form of n signature fields on page 1, the first
 * signed of them with a signature dictionary as /V, the rest empty */
function withSigFields(n, signed = n) {
    const fields = [];
    const objs = fourPages({ catalog: '<< /Type /Catalog /Pages 2 0 R /AcroForm 11 0 R >>' });
    for (let k = 0; k < n; k++) {
        fields.push(`${12 + k} 0 R`);
        const v = k < signed ? ' /V << /Type /Sig /Filter /Adobe.PPKLite /Contents <00> /ByteRange [0 1 2 3] >>' : '';
        objs.push([12 + k, `<< /FT /Sig /T (s${k})${v} /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>`]);
    }
    objs.push([11, `<< /Fields [${fields.join(' ')}] /SigFlags 3 >>`]);
    return pdfOf(objs);
}

test('64 signatures already: refused; 63: stamped as the 64th; 64 empty fields: stamped', { skip: NO_DUMP }, async () => {
    const M = await stampModules();
    await assert.rejects(M.update.readPdf(withSigFields(64)),
        /已有64个签名（表单域64个），再盖章将超过可核验的64个签名（20000个表单域）/);
    const pdf = await M.update.readPdf(withSigFields(63));
    assert.equal(pdf.signedCount, 63);
    M.update.writeUpdate(pdf, stampOf());
    /* empty fields are no signatures to the verifier (stamp_verify.c's found_sig) */
    const empty = await M.update.readPdf(withSigFields(64, 0));
    assert.equal(empty.signedCount, 0);
    assert.equal(empty.sigCount, 64);
    M.update.writeUpdate(empty, stampOf());
});

test('/Rotate not a multiple of 90: refused', { skip: NO_DUMP }, async () => {
    const M = await stampModules();
    const objs = fourPages();
    objs[2] = [3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Rotate 45 >>'];
    await assert.rejects(M.update.readPdf(pdfOf(objs)), /第1页的旋转角度（\/Rotate）不是90的整数倍/);
    for (const r of ['90.0', '2147483640']) {
        objs[2] = [3, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Rotate ${r} >>`];
        await assert.rejects(M.update.readPdf(pdfOf(objs)), /不是90的整数倍/);
    }
    objs[2] = [3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Rotate -90 >>'];
    assert.equal((await M.update.readPdf(pdfOf(objs))).pages[0].rotate, 270);
});

test('a cross-reference section naming an object twice: refused', { skip: NO_DUMP }, async () => {
    const M = await stampModules();
    const copy = '9 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [10 0 R 11 0 R] >>\nendobj\n';
    const bytes = pdfOf(fourPages({ more: [[11, note('Amount: 999999 yuan', 650)]] }), { extra: copy });
    /* the table's second subsection lists the copy as object 9 again */
    let text = Buffer.from(bytes).toString('latin1');
    const at = text.lastIndexOf(copy);
    text = text.replace(/\ntrailer\n/, `\n9 1\n${String(at).padStart(10, '0')} 00000 n\r\ntrailer\n`);
    const twice = new Uint8Array(Buffer.from(text, 'latin1'));
    /* core/pdf takes the first entry: one annotation */
    assert.match(cView(twice), /^O 9 0 .*\[10 0 R\]/m);
    assert.match((await refusal(M, twice, 3, 9)).message, /交叉引用表中同一对象出现了两次/);
});

test('a stream whose /Length ends at a fake endstream: refused', { skip: NO_DUMP }, async () => {
    const M = await stampModules();
    const shown = 'BT /Helv 24 Tf 72 700 Td (Amount: 1000 yuan) Tj ET';
    const rest = 'BT /Helv 24 Tf 72 650 Td (Amount: 999999 yuan) Tj ET';
    const objs = fourPages();
    /* page 1's contents: /Length ends at an "endstream endobj" inside the data; the real end is later */
    objs[3] = [4, `<< /Length ${shown.length} >>\nstream\n${shown}\nendstream\nendobj\n${rest}\nendstream`];
    const bytes = pdfOf(objs);
    /* core/pdf reads the short data (as pdf.js and MuPDF do; poppler the long) */
    assert.match(cView(bytes), new RegExp(`^O 4 0 <</${hexOf('Length')} #[0-9a-f]+>> S${shown.length}:`, 'm'));
    assert.match((await refusal(M, bytes, 0, 3)).message, /对象4的数据流长度（\/Length）与其结束标记（endstream）不符/);
    /* the honest file is stamped */
    objs[3] = [4, `<< /Length ${shown.length} >>\nstream\n${shown}\nendstream`];
    await M.update.readPdf(pdfOf(objs));
});

test('63 signature fields and a 骑缝章 with a page stamp: refused before the medium is opened', { skip: NO_DUMP },
    async () => {
        const M = await stampModules();
        const stamp = await import(require('node:url').pathToFileURL(require('node:path').join(M.dir, 'stamp.js')).href);
        const pdf = await M.update.readPdf(withSigFields(63));
        const sealInfo = { validStart: new Date(0), validEnd: new Date(Date.now() + 86400000), esId: '1',
            name: '测试印章', picture: { widthMm: 40, heightMm: 40 } };
        const o = { sealInfo, pdfInfo: pdf, pageIndex: 0, xMm: 50, yMm: 50, qifeng: { edge: 'right', first: 1, last: 4 },
            p12: new Uint8Array(1), pin: '12345678' };
        /* refused with the PDF's words, not the medium's (a one-byte PKCS#12 would be refused there) */
        await assert.rejects(stamp.stampPdf(o), (e) => e.field === 'pdf' && /已有63个签名/.test(e.message));
        /* the page stamp alone passes that check and reaches the medium */
        await assert.rejects(stamp.stampPdf({ ...o, qifeng: null }), (e) => e.field === 'p12');
    });
