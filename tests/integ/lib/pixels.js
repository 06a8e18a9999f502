'use strict';
/*
 * What a stamp may change on a page: nothing outside the seal's box.  Every
 * page of a PDF rendered by poppler's pdftoppm before and after the stamp;
 * the widget's /Rect (in the update) mapped to pixels with a small margin;
 * qpdf --check on the result.  Used by tests/integ/stamp_corpus.test.js
 * and tests/e2e/stamp_corpus.test.js over tests/data/pdf/corpus.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..', '..');
const CORPUS = path.join(ROOT, 'tests', 'data', 'pdf', 'corpus');
const DPI = 50;
const MARGIN = 3;

/* every page as RGB pixels: [{ w, h, px }] */
let renders = 0;
function render(dir, file) {
    const base = `r${renders++}`;
    const r = spawnSync('pdftoppm', ['-r', String(DPI), file, path.join(dir, base)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `pdftoppm ${file}: ${r.stderr}`);
    const names = fs.readdirSync(dir).filter((n) => n.startsWith(`${base}-`) && n.endsWith('.ppm'))
        .sort((a, b) => Number(a.match(/-(\d+)\.ppm$/)[1]) - Number(b.match(/-(\d+)\.ppm$/)[1]));
    return names.map((n) => {
        const buf = fs.readFileSync(path.join(dir, n));
        const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 40).toString('latin1'));
        assert.ok(m, n);
        return { w: Number(m[1]), h: Number(m[2]), px: buf.subarray(m[0].length) };
    });
}

/* page 1's MediaBox, points */
function mediaBox(file) {
    const r = spawnSync('pdfinfo', ['-box', '-f', '1', '-l', '1', file], { encoding: 'utf8' });
    const m = /Page\s+1 MediaBox:\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    return m.slice(1, 5).map(Number);
}

/* qpdf --check's complaints, the file's name taken out */
function qpdfCheck(file) {
    const r = spawnSync('qpdf', ['--check', file], { encoding: 'utf8' });
    /* not its all-clear ("No syntax or stream encoding errors found; the
     * file may still contain errors that qpdf cannot detect") */
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => /WARNING|ERROR|error/i.test(l))
        .filter((l) => !/^No syntax or stream encoding errors found|^errors that qpdf cannot detect/.test(l))
        .map((l) => l.split(file).join('FILE'));
    return { status: r.status, lines };
}

/* the stamped bytes against their input (written into dir with the
 * renderings): pixels outside the seal, qpdf */
function assertSamePages(dir, label, input, stamped) {
    const inLen = fs.statSync(input).size;
    const out = path.join(dir, `${label}.pdf`);
    fs.writeFileSync(out, stamped);
    assert.ok(stamped.subarray(0, inLen).equals(fs.readFileSync(input)), `${label}: the input unchanged before the update`);
    const tail = stamped.subarray(inLen).toString('latin1');
    const rect = /\/Subtype \/Widget[^]*?\/Rect \[([-\d. ]+)\]/.exec(tail);
    assert.ok(rect, `${label}: a widget in the update`);
    const [x1, y1, x2, y2] = rect[1].trim().split(/\s+/).map(Number);
    const was = render(dir, input), now = render(dir, out);
    assert.equal(now.length, was.length, `${label}: the same number of pages`);
    const [mx1, , mx2, my2] = mediaBox(input);
    for (let p = 0; p < was.length; p++) {
        const a = was[p], b = now[p];
        assert.deepEqual([b.w, b.h], [a.w, a.h], `${label} page ${p + 1}: the same size`);
        const s = a.w / (mx2 - mx1);
        const box = p === 0 ? [(x1 - mx1) * s - MARGIN, (my2 - y2) * s - MARGIN, (x2 - mx1) * s + MARGIN,
            (my2 - y1) * s + MARGIN] : [-1, -1, -1, -1];
        let outside = 0, inside = 0, first = null;
        for (let y = 0; y < a.h; y++) {
            for (let x = 0; x < a.w; x++) {
                const i = (y * a.w + x) * 3;
                if (a.px[i] === b.px[i] && a.px[i + 1] === b.px[i + 1] && a.px[i + 2] === b.px[i + 2])
                    continue;
                if (x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3]) {
                    inside++;
                } else {
                    outside++;
                    first = first || [x, y];
                }
            }
        }
        assert.equal(outside, 0, `${label} page ${p + 1}: ${outside} pixels changed outside the seal's box `
            + `${box.map(Math.round)}, the first at ${first}`);
        if (p === 0)
            assert.ok(inside > 0, `${label}: the seal drawn in its box`);
    }
    const ci = qpdfCheck(input), co = qpdfCheck(out);
    /* the same status, or warnings (3) gone: a linearized input's hint
     * tables are no longer checked once an update follows them (the Word
     * contract's editor wrote wrong ones) */
    assert.ok(co.status === ci.status || (ci.status === 3 && co.status === 0),
        `${label}: qpdf --check ${co.status} after ${ci.status}: ${co.lines.join('; ')}`);
    assert.deepEqual(co.lines.filter((l) => !ci.lines.includes(l)), [], `${label}: qpdf --check found more`);
}

module.exports = { CORPUS, assertSamePages, render };
