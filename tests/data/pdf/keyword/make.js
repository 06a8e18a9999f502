#!/usr/bin/env node
'use strict';
/*
 * Writes the keyword corpus (README.md beside this file says what each
 * file is and which tests read it): contracts printed by Chromium (CJK in
 * Type 3 fonts) and set by Pango and cairo (a CID-keyed CFF subset), and
 * turned (/Rotate) and cropped (/CropBox) copies of them and of the
 * LibreOffice and Word files the stamp corpus already holds, made with
 * qpdf.  The outputs are committed; run this again only to change the
 * corpus:  node tests/data/pdf/keyword/make.js
 * (needs chromium, pango-view (pango1.0-tools), qpdf and fix-qdf).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const DIR = __dirname;
const PDF = path.join(DIR, '..');
const out = (name) => path.join(DIR, name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-corpus-'));

function run(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    /* qpdf: 0 fine, 3 warnings (word-contract.pdf's ToUnicode map) */
    if (r.status !== 0 && !(cmd === 'qpdf' && r.status === 3))
        throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr}`);
    return r.stdout;
}

/* a copy of input whose every page has /CropBox box (points, llx lly urx
 * ury) and /Rotate rotate: the pages set as QDF, the keys written after
 * /Type /Page, the file repaired by fix-qdf and written plain by qpdf */
function boxed(input, output, { box = null, rotate = 0 } = {}) {
    const qdf = path.join(tmp, 'in.qdf'), fixed = path.join(tmp, 'fixed.qdf');
    run('qpdf', ['--qdf', '--object-streams=disable', input, qdf]);
    let s = fs.readFileSync(qdf, 'latin1');
    const keys = (box ? ` /CropBox [${box.join(' ')}]` : '') + (rotate ? ` /Rotate ${rotate}` : '');
    s = s.replace(/\/Rotate \d+\n/g, '').replace(/\/Type \/Page\n/g, `/Type /Page${keys}\n`);
    fs.writeFileSync(qdf, s, 'latin1');
    /* fix-qdf writes the file on stdout: bytes, not text (fonts inside) */
    const r = spawnSync('fix-qdf', [qdf], { maxBuffer: 64 << 20 });
    if (r.status !== 0)
        throw new Error(`fix-qdf: ${r.status} ${r.stderr}`);
    fs.writeFileSync(fixed, r.stdout);
    run('qpdf', [fixed, output]);
}

/* Chromium: contract.html, two A4 pages, 乙方（盖章） on each */
run('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-pdf-header-footer',
    `--print-to-pdf=${out('chromium-contract.pdf')}`, `file://${out('contract.html')}`]);
/* Pango and cairo: pango.txt, one page */
run('pango-view', ['--no-display', '--font=Noto Sans CJK SC 12', '--margin=60', '--width=420',
    `--output=${out('cairo-pango.pdf')}`, out('pango.txt')]);

/* turned and cropped copies */
boxed(out('chromium-contract.pdf'), out('chromium-rotate90.pdf'), { rotate: 90 });
boxed(out('chromium-contract.pdf'), out('chromium-cropped.pdf'), { box: [40, 120, 520, 790] });
boxed(out('chromium-contract.pdf'), out('chromium-cropped-rotate270.pdf'), { box: [40, 120, 520, 790], rotate: 270 });
/* cropped to the top of each page: page 1's 乙方（盖章） and page 2's
 * lie outside what a viewer shows */
boxed(out('chromium-contract.pdf'), out('chromium-cropped-top.pdf'), { box: [40, 630, 520, 800] });
boxed(path.join(PDF, 'libreoffice-contract.pdf'), out('libreoffice-cropped-rotate180.pdf'),
    { box: [30, 200, 560, 830], rotate: 180 });
boxed(out('cairo-pango.pdf'), out('cairo-pango-cropped.pdf'), { box: [20, 10, 300, 230] });
fs.rmSync(tmp, { recursive: true });
