'use strict';
/*
 * Where a seal put by keyword should be and where it is (tests/integ/
 * stamp_keyword.test.js, tests/e2e/stamp_keyword.test.js): the keyword's
 * box from poppler's pdftotext -bbox, a point turned as /Rotate shows it,
 * and the red seals pdftoppm draws, in mm from the page's top-left; for a
 * page cropped to less than its media, the same as a viewer shows the page
 * (its /CropBox).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const PT = 72 / 25.4;

function run(cmd, args) {
    return spawnSync(cmd, args, { encoding: 'utf8' });
}

/* the centres (mm from the top-left of the unturned page) of `kw` inside
 * the words pdftotext -bbox reports on `page`: the word's box cut in equal
 * parts per character (the CJK characters of these lines are full width) */
function keywordBoxes(file, page, kw) {
    const r = run('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), file, '-']);
    assert.equal(r.status, 0, r.stderr);
    const out = [];
    for (const m of r.stdout.matchAll(/xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</g)) {
        const [x0, y0, x1, y1] = m.slice(1, 5).map(Number);
        const chars = [...m[5]], at = chars.join('').indexOf(kw);
        if (at < 0)
            continue;
        const i = [...m[5].slice(0, at)].length, n = [...kw].length;
        out.push({ x: (x0 + (x1 - x0) * (i + n / 2) / chars.length) / PT, y: (y0 + y1) / 2 / PT });
    }
    return out;
}

/* a point (mm) of the unturned A4 page as shown with /Rotate r */
function turned(p, r) {
    const W = 595.303937 / PT, H = 841.889764 / PT;
    if (r === 90)
        return { x: H - p.y, y: p.x };
    if (r === 180)
        return { x: W - p.x, y: H - p.y };
    if (r === 270)
        return { x: p.y, y: W - p.x };
    return p;
}

/* page `page`'s /MediaBox and /CropBox, points [llx lly urx ury], as
 * pdfinfo -box reads them (the crop box cut to the media box) */
function pageBoxes(file, page) {
    const r = run('pdfinfo', ['-box', '-f', String(page), '-l', String(page), file]);
    assert.equal(r.status, 0, r.stderr);
    const box = (name) => {
        const m = new RegExp(`Page\\s+${page} ${name}:\\s+([-\\d.]+)\\s+([-\\d.]+)\\s+([-\\d.]+)\\s+([-\\d.]+)`).exec(r.stdout);
        assert.ok(m, r.stdout);
        return m.slice(1, 5).map(Number);
    };
    return { media: box('MediaBox'), crop: box('CropBox') };
}

/* a point of keywordBoxes (mm from the top-left of the unturned media box)
 * as a viewer shows it: mm from the top-left of the crop box, the page
 * turned by /Rotate r (boxes: pageBoxes of the unturned file) */
function asShown(p, r, boxes) {
    const [, , , mt] = boxes.media, [l, b, rr, t] = boxes.crop;
    const ux = boxes.media[0] + p.x * PT, uy = mt - p.y * PT;
    const [dx, dy] = { 90: [uy - b, ux - l], 180: [rr - ux, uy - b], 270: [t - uy, rr - ux] }[r]
        || [ux - l, t - uy];
    return { x: dx / PT, y: dy / PT };
}

/* page `page`'s /Rotate as pdfinfo reads it */
function pageRotate(file, page) {
    const r = run('pdfinfo', ['-f', String(page), '-l', String(page), file]);
    assert.equal(r.status, 0, r.stderr);
    return Number(new RegExp(`Page\\s+${page} rot:\\s+(\\d+)`).exec(r.stdout)?.[1] || 0);
}

/* a place as --x --y and the 在线盖章 form give it (mm from the top-left
 * of the media box as shown) as a viewer shows it: mm from the top-left
 * of the crop box as shown (docs/modules/stamp.md, "Finding a keyword:
 * the rule") */
function visibleMm(file, page, xMm, yMm) {
    const { media, crop } = pageBoxes(file, page);
    const rot = pageRotate(file, page);
    /* to user space (static/stamp/place.js's userPoint), then from the crop box */
    const [l, b, r, t] = media, dx = xMm * PT, dy = yMm * PT;
    const [ux, uy] = { 90: [l + dy, b + dx], 180: [r - dx, b + dy], 270: [r - dy, t - dx] }[rot]
        || [l + dx, t - dy];
    const [cl, cb, cr, ct] = crop;
    const [vx, vy] = { 90: [uy - cb, ux - cl], 180: [cr - ux, uy - cb], 270: [ct - uy, cr - ux] }[rot]
        || [ux - cl, ct - uy];
    return { x: vx / PT, y: vy / PT };
}

/* the keyword corpus's recorded places (tests/data/pdf/keyword/
 * expected.json): [{ file (its path), keyword, matches: [[page, x, y]] }],
 * x and y in mm as a viewer shows the page (visibleMm) */
function keywordCases() {
    const dir = path.join(__dirname, '..', '..', 'data', 'pdf', 'keyword');
    return JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'))
        .map((c) => ({ ...c, path: path.join(dir, c.file) }));
}

/* the red blobs of the page at 72 dpi (pdftoppm shows the page turned;
 * crop: only its /CropBox, as a viewer shows it): their pixel boxes, red
 * pixels grouped by columns with a gap between */
function redSeals(dir, file, page, crop = false) {
    const base = path.join(dir, `red-${path.basename(file, '.pdf')}-${page}${crop ? '-crop' : ''}`);
    const r = run('pdftoppm', ['-r', '72', ...(crop ? ['-cropbox'] : []), '-f', String(page), '-l', String(page),
        '-singlefile', file, base]);
    assert.equal(r.status, 0, r.stderr);
    const ppm = fs.readFileSync(`${base}.ppm`);
    const head = ppm.toString('latin1', 0, 20).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
    const w = Number(head[1]), h = Number(head[2]), px = ppm.subarray(head[0].length);
    const pts = [];
    for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
            const i = (y * w + x) * 3;
            if (px[i] > 150 && px[i + 1] < 110 && px[i + 2] < 110)
                pts.push([x, y]);
        }
    /* seals side by side or one above the other: split on the wider gap */
    const blobs = [];
    const axis = (a) => {
        const vals = [...new Set(pts.map((p) => p[a]))].sort((m, n) => m - n);
        const groups = [];
        for (const v of vals) {
            if (groups.length && v - groups[groups.length - 1].hi <= 10)
                groups[groups.length - 1].hi = v;
            else
                groups.push({ lo: v, hi: v });
        }
        return groups;
    };
    const gx = axis(0), gy = axis(1);
    const groups = gx.length >= gy.length ? gx.map((g) => [0, g]) : gy.map((g) => [1, g]);
    for (const [a, g] of groups) {
        const mine = pts.filter((p) => p[a] >= g.lo && p[a] <= g.hi);
        const xs = mine.map((p) => p[0]), ys = mine.map((p) => p[1]);
        blobs.push({ n: mine.length, x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) });
    }
    return blobs.map((b) => ({ ...b, cx: (b.x0 + b.x1) / 2 / PT, cy: (b.y0 + b.y1) / 2 / PT }));
}

function assertCentred(blob, want, what) {
    assert.ok(blob.n > 500, `${what}: red pixels ${blob.n}`);
    assert.ok((blob.x1 - blob.x0) / PT > 30 && (blob.y1 - blob.y0) / PT > 30, `${what}: the whole seal shows`);
    assert.ok(Math.abs(blob.cx - want.x) < 2 && Math.abs(blob.cy - want.y) < 2,
        `${what}: seal centred at ${blob.cx.toFixed(1)},${blob.cy.toFixed(1)} mm, keyword at ${want.x.toFixed(1)},${want.y.toFixed(1)} mm`);
}

module.exports = { keywordBoxes, turned, pageBoxes, asShown, redSeals, assertCentred, visibleMm, keywordCases };
