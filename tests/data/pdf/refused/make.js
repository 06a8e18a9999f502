#!/usr/bin/env node
'use strict';
/*
 * Writes the files every C stamper (免费体验, hall-stamp sign and lta) must
 * refuse by name before signing, since some reader would read the original
 * or the stamped file otherwise than the hall (README.md beside this file
 * says what each is).  The outputs are committed; run this again only to
 * change them:  node tests/data/pdf/refused/make.js
 */
const fs = require('node:fs');
const path = require('node:path');

const out = (name) => path.join(__dirname, name);

/* what a page shows: the amount, so that two readings differ visibly */
const page = (amount) => `BT /F1 24 Tf 72 700 Td (Amount: ${amount} yuan) Tj ET`;
const stream = (body, len = body.length) => `<< /Length ${len} >>\nstream\n${body}\nendstream`;

/* texts: [number, text] in file order (a number may come twice); listed:
 * the indexes of texts the table lists, in its order (one subsection
 * each); the trailer's /Size and extra keys */
function assemble(texts, { listed = texts.map((_, i) => i), size, trailer = '' } = {}) {
    let s = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
    const off = [];
    texts.forEach(([n, t], i) => {
        off[i] = Buffer.byteLength(s, 'latin1');
        s += `${n} 0 obj\n${t}\nendobj\n`;
    });
    const x = Buffer.byteLength(s, 'latin1');
    s += 'xref\n0 1\n0000000000 65535 f\r\n';
    for (const i of listed)
        s += `${texts[i][0]} 1\n${String(off[i]).padStart(10, '0')} 00000 n\r\n`;
    const top = Math.max(...texts.map(([n]) => n));
    s += `trailer\n<< /Size ${size || top + 1} /Root 1 0 R${trailer} >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.from(s, 'latin1');
}

/* one A4 page showing 1000; more: [number, text] after it */
function onePage({ pageKeys = '', catalog = '', contents = stream(page(1000)), more = [] } = {}) {
    return [
        [1, `<< /Type /Catalog /Pages 2 0 R${catalog} >>`],
        [2, '<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595.28 841.89] >>'],
        [3, `<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R${pageKeys} >>`],
        [4, contents],
        [5, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'],
        ...more,
    ];
}

/* 64 signature fields already signed (their /V dictionaries): a stamp
 * would be the 65th, past the verifier's 64 */
{
    const fields = [];
    for (let i = 0; i < 64; i++)
        fields.push(`<< /FT /Sig /T (s${i}) /V << /Type /Sig /Filter /Adobe.PPKLite >> >>`);
    fs.writeFileSync(out('sigs-64.pdf'), assemble(onePage({ catalog: ` /AcroForm << /Fields [${fields.join(' ')}] >>` })));
}
/* /Size past ISO 32000's largest object number, or at it: new objects
 * would be numbered beyond */
fs.writeFileSync(out('size-2000000000.pdf'), assemble(onePage(), { size: 2000000000 }));
fs.writeFileSync(out('size-8388607.pdf'), assemble(onePage(), { size: 8388607 }));
/* /Rotate not a multiple of 90 */
fs.writeFileSync(out('rotate-45.pdf'), assemble(onePage({ pageKeys: ' /Rotate 45' })));
fs.writeFileSync(out('rotate-2147483640.pdf'), assemble(onePage({ pageKeys: ' /Rotate 2147483640' })));
/* the contents' /Length ends at a fake endstream, the stream going on to
 * a second one: poppler reads to the second */
{
    const a = page(1000), b = `${page(999999)}`;
    fs.writeFileSync(out('length-fake-endstream.pdf'), assemble(onePage({
        contents: `<< /Length ${a.length} >>\nstream\n${a}\nendstream\n${b}\nendstream`,
    })));
    /* ... or takes a fake endstream in: a reader that looks for the keyword
     * stops there */
    const body = `${a}\nendstream\n${b}`;
    fs.writeFileSync(out('length-covers-endstream.pdf'), assemble(onePage({ contents: stream(body) })));
}
/* the table lists the contents (4) twice, at two copies: 1000 and 999999 */
fs.writeFileSync(out('xref-twice.pdf'), assemble(onePage({ more: [[4, stream(page(999999))]] }), {
    listed: [0, 1, 2, 3, 4, 5],
}));
/* the page (3) defined again after the table's copy, outside the table,
 * with an annotation: readers that take file order show it */
fs.writeFileSync(out('redefined-outside.pdf'), assemble(onePage({
    more: [
        [3, '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 6 0 R >>'],
        [6, stream(page(999999))],
    ],
}), { listed: [0, 1, 2, 3, 4] }));
