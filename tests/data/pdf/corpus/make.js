#!/usr/bin/env node
'use strict';
/*
 * Writes the stamp corpus (README.md beside this file says what each file
 * is): PDFs written here byte by byte, some of them broken on purpose, and
 * others made from them (and from ../libreoffice-contract.pdf) by qpdf and
 * pdftocairo.  The outputs are committed; run this again only to change
 * the corpus:  node tests/data/pdf/corpus/make.js
 * (needs qpdf and poppler-utils, as the tests do).
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const DIR = __dirname;
const out = (name) => path.join(DIR, name);

function run(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    /* qpdf: 0 fine, 3 warnings (the inputs broken on purpose) */
    if (r.status !== 0 && !(cmd === 'qpdf' && r.status === 3))
        throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr}`);
}

/* a page's drawing: text, a filled box and lines, so that a page that loses
 * its content renders differently from top to bottom */
function content(i) {
    return [
        '0.2 0.3 0.8 rg 60 600 475 160 re f',
        '0 g BT /F1 30 Tf 80 700 Td (Contract page ' + (i + 1) + ') Tj ET',
        'BT /F1 14 Tf 72 560 Td (Party A agrees to pay Party B the sum stated below.) Tj ET',
        '1 0 0 RG 4 w 72 500 m 520 100 l S',
        '0 0.5 0 rg 300 80 200 120 re f',
    ].join('\n');
}

/* objects (index = number) -> a PDF with a cross-reference table; the
 * table's offsets counted unless broken says otherwise */
function assemble(objs, { version = '1.7', trailer = '', shift = {}, size = objs.length } = {}) {
    let s = `%PDF-${version}\n%\xe2\xe3\xcf\xd3\n`;
    const off = [];
    for (let n = 1; n < objs.length; n++) {
        if (objs[n] === undefined)
            continue;
        off[n] = Buffer.byteLength(s, 'latin1');
        s += `${n} 0 obj\n${objs[n]}\nendobj\n`;
    }
    const x = Buffer.byteLength(s, 'latin1');
    s += `xref\n0 ${objs.length}\n0000000000 65535 f\r\n`;
    for (let n = 1; n < objs.length; n++) {
        if (off[n] === undefined)
            s += '0000000000 65535 f\r\n';
        else
            s += `${String(off[n] + (shift[n] || 0)).padStart(10, '0')} 00000 n\r\n`;
    }
    s += `trailer\n<< /Size ${size} /Root 1 0 R${trailer} >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.from(s, 'latin1');
}

const stream = (body, extra = '', len = body.length) => `<< /Length ${len}${extra} >>\nstream\n${body}\nendstream`;

/* two A4 pages; lengths: { [page index]: bytes added to its /Length } */
function plainObjs({ lengths = {}, pages = 2 } = {}) {
    const objs = [];
    const kids = [];
    objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
    objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
    for (let i = 0; i < pages; i++) {
        const p = 4 + 2 * i, c = p + 1, body = content(i);
        objs[p] = `<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents ${c} 0 R >>`;
        objs[c] = stream(body, '', body.length + (lengths[i] || 0));
        kids.push(`${p} 0 R`);
    }
    objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} /MediaBox [0 0 595.28 841.89] >>`;
    return objs;
}

/* /Length n -> /Length m of the same number of digits, in streams whose
 * data contain marker (the cross-reference stays right) */
function breakLengths(buf, marker, delta) {
    let s = buf.toString('latin1');
    const re = /\/Length (\d+)([^>]*>>\s*stream\r?\n)/g;
    let m, done = 0;
    const edits = [];
    while ((m = re.exec(s)) !== null) {
        const start = m.index + m[0].length;
        if (!s.slice(start, start + 4000).split('endstream')[0].includes(marker))
            continue;
        const n = Number(m[1]);
        let v = String(n + delta);
        if (v.length !== m[1].length)
            v = String(n - delta);
        edits.push([m.index + 8, m[1].length, v]);
    }
    for (const [at, l, v] of edits.reverse()) {
        s = s.slice(0, at) + v + s.slice(at + l);
        done++;
    }
    if (done === 0)
        throw new Error(`no stream with ${marker}`);
    return Buffer.from(s, 'latin1');
}

/* qpdf --qdf keeps each stream's /Length in an object of its own: those
 * of the page contents changed, same digits */
function breakIndirectLengths(buf) {
    let s = buf.toString('latin1');
    const re = /%% Contents for page (\d+)\n%% Original object ID: [^\n]*\n(\d+) 0 obj\n<<\n {2}\/Length (\d+) 0 R/g;
    const lens = [];
    let m;
    while ((m = re.exec(s)) !== null)
        lens.push(m[3]);
    if (lens.length === 0)
        throw new Error('qdf: no page contents');
    for (const n of lens) {
        const r = new RegExp(`\\n${n} 0 obj\\n(\\d+)\\nendobj`);
        s = s.replace(r, (all, v) => {
            let w = String(Number(v) + 7);
            if (w.length !== v.length)
                w = String(Number(v) - 7);
            return `\n${n} 0 obj\n${w}\nendobj`;
        });
    }
    return Buffer.from(s, 'latin1');
}

/* a hybrid-reference file (PDF 1.5 §7.5.8.4): the page objects in an
 * object stream that only the trailer's /XRefStm names; the classic table
 * lists the others */
function hybrid({ delta = 0 } = {}) {
    const body = [content(0), content(1)];
    const inStream = {
        4: '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>',
        6: '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 7 0 R >>',
    };
    let head = '', data = '';
    for (const [n, o] of Object.entries(inStream)) {
        head += `${n} ${data.length} `;
        data += `${o}\n`;
    }
    const stm = head + data;
    const plain = {
        1: '<< /Type /Catalog /Pages 2 0 R >>',
        2: '<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 /MediaBox [0 0 595.28 841.89] >>',
        3: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        5: stream(body[0], '', body[0].length + delta),
        7: stream(body[1]),
        8: stream(stm, ` /Type /ObjStm /N 2 /First ${head.length}`, stm.length),
    };
    let s = '%PDF-1.5\n%\xe2\xe3\xcf\xd3\n';
    const off = {};
    for (const [n, o] of Object.entries(plain)) {
        off[n] = Buffer.byteLength(s, 'latin1');
        s += `${n} 0 obj\n${o}\nendobj\n`;
    }
    /* the cross-reference stream: every object, 9 itself */
    const rows = [];
    const size = 10;
    off[9] = Buffer.byteLength(s, 'latin1');
    for (let n = 0; n < size; n++) {
        if (n === 0)
            rows.push([0, 0, 255]);
        else if (inStream[n])
            rows.push([2, 8, Object.keys(inStream).indexOf(String(n))]);
        else
            rows.push([1, off[n], 0]);
    }
    const bin = Buffer.alloc(rows.length * 7);
    rows.forEach(([t, a, b], i) => {
        bin[i * 7] = t;
        bin.writeUInt32BE(a, i * 7 + 1);
        bin.writeUInt16BE(b, i * 7 + 5);
    });
    s += `9 0 obj\n<< /Type /XRef /Size ${size} /W [1 4 2] /Root 1 0 R /Length ${bin.length} >>\nstream\n`;
    const parts = [Buffer.from(s, 'latin1'), bin, Buffer.from('\nendstream\nendobj\n', 'latin1')];
    const pre = Buffer.concat(parts);
    const x = pre.length;
    /* the table: only the objects outside the stream, a subsection each */
    let t = 'xref\n0 1\n0000000000 65535 f\r\n';
    for (const n of Object.keys(plain))
        t += `${n} 1\n${String(off[n]).padStart(10, '0')} 00000 n\r\n`;
    t += `trailer\n<< /Size ${size} /Root 1 0 R /XRefStm ${off[9]} >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.concat([pre, Buffer.from(t, 'latin1')]);
}

const files = {};

/* written here */
files['plain.pdf'] = assemble(plainObjs());
files['wrong-length.pdf'] = assemble(plainObjs({ lengths: { 0: 60, 1: -25 } }));
files['pdf20.pdf'] = assemble(plainObjs({ lengths: { 0: 9 } }), { version: '2.0' });
files['hybrid.pdf'] = hybrid();
files['hybrid-wrong-length.pdf'] = hybrid({ delta: 40 });
{
    /* an indirect /Annots (a link), an indirect /AcroForm whose /Fields is
     * a reference, page 1's contents an array of two streams, one of wrong
     * /Length */
    const objs = plainObjs({ lengths: { 0: 33 } });
    objs[1] = '<< /Type /Catalog /Pages 2 0 R /AcroForm 10 0 R /PageMode /UseNone >>';
    objs[4] = '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents [5 0 R 12 0 R]'
        + ' /Annots 8 0 R /Rotate 0 /UserUnit 1.0 >>';
    objs[8] = '[9 0 R]';
    objs[9] = '<< /Type /Annot /Subtype /Link /Rect [72 60 200 80] /Border [0 0 1] /A << /S /URI /URI (https://example.com/) >> >>';
    objs[10] = '<< /Fields 11 0 R /DA (/Helv 0 Tf 0 g) >>';
    objs[11] = '[]';
    const extra = 'BT /F1 12 Tf 72 40 Td (second contents part) Tj ET';
    objs[12] = stream(extra, '', extra.length + 11);
    files['annots-form.pdf'] = assemble(objs);
}
{
    /* page 1 shows the second of its two streams only: the first is
     * missing (no such object); a reference to nothing is null, and kept */
    const objs = plainObjs();
    objs[4] = '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents [40 0 R 5 0 R] >>';
    files['missing-object.pdf'] = assemble(objs);
}
{
    /* the page's contents an object nobody can read (no stream, no end):
     * refused, not stamped without it */
    const objs = plainObjs();
    objs[5] = '<< /Length 5 0 R /Filter /FlateDecode >>\nstream\n\x00\x01garbage';
    files['unreadable-object.pdf'] = assemble(objs);
}
/* every entry of the table 7 bytes off: readers must rebuild it */
files['broken-xref.pdf'] = assemble(plainObjs(), { shift: { 1: 7, 2: 7, 3: 7, 4: 7, 5: 7, 6: 7, 7: 7 } });
/* only the first page's contents entry off: found when that page is read */
files['broken-xref-contents.pdf'] = assemble(plainObjs(), { shift: { 5: 3 } });
/* the trailer's /Size 6 below the numbers the table uses (up to 7): an
 * update numbered from /Size would take the numbers of page 2 and its
 * contents */
files['size-too-small.pdf'] = assemble(plainObjs(), { size: 6 });
/* an incremental update that adds a third page; the update's contents of
 * wrong /Length */
{
    const base = files['plain.pdf'];
    let s = base.toString('latin1');
    const prev = Number(/startxref\n(\d+)/.exec(s.slice(-40))[1]);
    const body = content(2);
    const add = {
        2: '<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R] /Count 3 /MediaBox [0 0 595.28 841.89] >>',
        8: '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 9 0 R >>',
        9: stream(body, '', body.length + 50),
    };
    const off = {};
    for (const [n, o] of Object.entries(add)) {
        off[n] = Buffer.byteLength(s, 'latin1');
        s += `${n} 0 obj\n${o}\nendobj\n`;
    }
    const x = Buffer.byteLength(s, 'latin1');
    s += `xref\n0 1\n0000000000 65535 f\r\n2 1\n${String(off[2]).padStart(10, '0')} 00000 n\r\n`
        + `8 2\n${String(off[8]).padStart(10, '0')} 00000 n\r\n${String(off[9]).padStart(10, '0')} 00000 n\r\n`
        + `trailer\n<< /Size 10 /Root 1 0 R /Prev ${prev} >>\nstartxref\n${x}\n%%EOF\n`;
    files['incremental-wrong-length.pdf'] = Buffer.from(s, 'latin1');
}
for (const [name, buf] of Object.entries(files))
    fs.writeFileSync(out(name), buf);

/* made by qpdf and pdftocairo from the above */
const lo = path.join(DIR, '..', 'libreoffice-contract.pdf');
run('qpdf', ['--object-streams=generate', out('plain.pdf'), out('objstm.pdf')]);
run('qpdf', ['--object-streams=generate', '--compress-streams=n', out('plain.pdf'), out('tmp.pdf')]);
fs.writeFileSync(out('objstm-wrong-length.pdf'), breakLengths(fs.readFileSync(out('tmp.pdf')), 'Contract page 1', 40));
run('qpdf', ['--linearize', out('plain.pdf'), out('linearized.pdf')]);
run('qpdf', ['--linearize', '--compress-streams=n', out('plain.pdf'), out('tmp.pdf')]);
fs.writeFileSync(out('linearized-wrong-length.pdf'), breakLengths(fs.readFileSync(out('tmp.pdf')), 'Contract page 1', 40));
run('qpdf', ['--qdf', '--object-streams=disable', lo, out('tmp.pdf')]);
fs.writeFileSync(out('libreoffice-qdf-wrong-length.pdf'), breakIndirectLengths(fs.readFileSync(out('tmp.pdf'))));
run('qpdf', ['--linearize', '--object-streams=generate', lo, out('libreoffice-linearized-objstm.pdf')]);
run('pdftocairo', ['-pdf', lo, out('cairo-contract.pdf')]);
run('qpdf', ['--encrypt', '', 'owner-secret', '256', '--', out('plain.pdf'), out('encrypted.pdf')]);
run('qpdf', ['--encrypt', 'open-secret', 'owner-secret', '128', '--use-aes=y', '--', out('plain.pdf'),
    out('encrypted-password.pdf')]);
fs.unlinkSync(out('tmp.pdf'));
