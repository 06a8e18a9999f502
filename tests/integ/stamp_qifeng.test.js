'use strict';
/*
 * The 骑缝章 (cross-page seal; docs/modules/stamp.md, docs/internals/stamp.md
 * §1c) written by hall-stamp sign --qifeng with a real seal produced by the
 * hall: one signature whose widgets (the field's /Kids) each show one
 * slice of the seal on a page's edge.  Judged from outside: pdftoppm's
 * pixels at each page's edge, the slices' /Rect widths against the seal's
 * 42 mm, poppler's pdfsig and qpdf --check; then by both verifiers
 * (hall-stamp verify, POST /sign/verify), which name it a 骑缝章.  A page
 * removed or changed in a later revision is reported.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, fetchPki } = require('./lib/pki');
const { producedSeal, verifyPdf } = require('./lib/stamp');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
const TOOL = path.join(ROOT, 'tools/stamp/hall-stamp');
const dir = tmpdir();
const f = (name) => path.join(dir, name);
const SEAL_PT = 42 * 72 / 25.4; /* the hall's 机构章: 42 mm */
let pin = '';
let signer = []; /* the USB key's key and the chain (producedSeal) */
let mediaEnv = process.env;

function run(cmd, args, opts = {}) {
    return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

/* N A4 pages of text (page i's content is object 5 + 2i) */
function pdfOf(pages) {
    const objs = [];
    const kids = [];
    objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
    objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
    for (let i = 0; i < pages; i++) {
        const p = 4 + 2 * i, c = p + 1;
        const text = `BT /F1 24 Tf 72 760 Td (Contract page ${i + 1}) Tj ET`;
        objs[p] = `<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents ${c} 0 R >>`;
        objs[c] = `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
        kids.push(`${p} 0 R`);
    }
    objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} /MediaBox [0 0 595.28 841.89] >>`;
    let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
    const off = [];
    for (let n = 1; n < objs.length; n++) {
        off[n] = Buffer.byteLength(out, 'latin1');
        out += `${n} 0 obj\n${objs[n]}\nendobj\n`;
    }
    const x = Buffer.byteLength(out, 'latin1');
    out += `xref\n0 ${objs.length}\n0000000000 65535 f\r\n`;
    for (let n = 1; n < objs.length; n++)
        out += `${String(off[n]).padStart(10, '0')} 00000 n\r\n`;
    out += `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.from(out, 'latin1');
}

/* an incremental update of buf writing objs ([num, text]), as an editor's */
function updated(buf, objs) {
    const s = buf.toString('latin1');
    const prev = Number(s.slice(s.lastIndexOf('startxref')).match(/startxref\s+(\d+)/)[1]);
    const size = Math.max(...[...s.matchAll(/\/Size (\d+)/g)].map((m) => Number(m[1])));
    let out = '';
    const offs = [];
    for (const [n, text] of objs) {
        offs.push([n, buf.length + Buffer.byteLength(out, 'latin1')]);
        out += `${n} 0 obj\n${text}\nendobj\n`;
    }
    const x = buf.length + Buffer.byteLength(out, 'latin1');
    out += 'xref\n';
    for (const [n, o] of offs)
        out += `${n} 1\n${String(o).padStart(10, '0')} 00000 n\r\n`;
    out += `trailer\n<< /Size ${size} /Root 1 0 R /Prev ${prev} >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.concat([buf, Buffer.from(out, 'latin1')]);
}

function sign(input, output, extra) {
    return run(TOOL, ['sign', '--in', input, '--out', output, '--seal', f('seal.seseal'), ...signer,
        ...extra, '--tsa', `${HALL}/tsa`, '--pin-fd', '0', '--level', 'B-T'],
    { input: `${pin}\n`, env: { ...mediaEnv, LANG: 'zh_CN.UTF-8' } });
}

function verifyTool(file) {
    return run(TOOL, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'), '--ca', f('ecc.crt'),
        '--ca', f('sm2.crt'), file], { env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
}

function pdfsig(file) {
    const r = run('pdfsig', ['-nssdir', `sql:${f('nss')}`, '-no-ocsp', file]);
    return r.stdout + r.stderr;
}

/* every page at 72 dpi (a point is a pixel): for each, the columns that
 * hold the seal's red and the red pixels counted */
function redColumns(file) {
    const base = f(`p-${path.basename(file, '.pdf')}`);
    const r = run('pdftoppm', ['-r', '72', file, base]);
    assert.equal(r.status, 0, r.stderr);
    const names = fs.readdirSync(dir).filter((n) => n.startsWith(path.basename(base) + '-') && n.endsWith('.ppm'))
        .sort((a, b) => Number(a.match(/-(\d+)\.ppm$/)[1]) - Number(b.match(/-(\d+)\.ppm$/)[1]));
    return names.map((n) => {
        const ppm = fs.readFileSync(path.join(dir, n));
        const head = ppm.toString('latin1', 0, 20).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
        const w = Number(head[1]), h = Number(head[2]), px = ppm.subarray(head[0].length);
        let minX = w, maxX = -1, count = 0;
        for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) {
                const i = (y * w + x) * 3;
                if (px[i] > 150 && px[i + 1] < 110 && px[i + 2] < 110) {
                    count++;
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                }
            }
        return { w, minX, maxX, count };
    });
}

/* the widgets' /Rect widths of the field whose /Kids they are */
function sliceRects(buf) {
    return [...buf.toString('latin1').matchAll(/\/Subtype \/Widget \/Parent \d+ 0 R [^\n]*?\/Rect \[([-\d. ]+)\]/g)]
        .map((m) => m[1].trim().split(/\s+/).map(Number));
}

before(async () => {
    /* onto a USB key: hall-stamp signs with the key born in it */
    ({ pin, signer, env: mediaEnv } = await producedSeal(dir, { medium: true }));
    await fetchPki(dir);
    fs.mkdirSync(f('nss'));
    assert.equal(run('certutil', ['-N', '-d', `sql:${f('nss')}`, '--empty-password']).status, 0);
    assert.equal(run('certutil', ['-A', '-d', `sql:${f('nss')}`, '-n', 'hall-root', '-t', 'CT,C,C',
        '-i', f('root.crt')]).status, 0);
    fs.writeFileSync(f('five.pdf'), pdfOf(5));
});

test('qifeng__five_pages_right_edge__a_slice_at_every_edge_summing_to_the_seal__pdfsig_and_both_verifiers_valid', async () => {
    const r = sign(f('five.pdf'), f('qf.pdf'), ['--qifeng']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /骑缝章：每一页的右边/);
    const out = fs.readFileSync(f('qf.pdf'));
    /* one signature, five widgets: the slices add up to the seal */
    assert.equal(out.toString('latin1').match(/\/Type \/Sig /g).length, 1);
    const rects = sliceRects(out);
    assert.equal(rects.length, 5);
    const widths = rects.map((q) => q[2] - q[0]);
    assert.ok(Math.abs(widths.reduce((a, b) => a + b, 0) - SEAL_PT) < 0.1, `${widths}`);
    for (const q of rects)
        assert.ok(Math.abs(q[2] - 595.28) < 0.01, `on the right edge: ${q}`);
    /* the pixels: each page's red lies in its right strip, the strips'
     * red together spans about the whole seal */
    const pages = redColumns(f('qf.pdf'));
    assert.equal(pages.length, 5);
    let span = 0;
    for (const [i, p] of pages.entries()) {
        assert.ok(p.count > 50, `page ${i + 1}: red pixels ${p.count}`);
        assert.ok(p.minX >= p.w - SEAL_PT / 5 - 2, `page ${i + 1}: red from x=${p.minX} of ${p.w}`);
        assert.ok(p.maxX >= p.w - 3, `page ${i + 1}: the slice reaches the edge (${p.maxX})`);
        span += p.maxX - p.minX + 1;
    }
    assert.ok(span > SEAL_PT * 0.85 && span <= SEAL_PT + 5, `red columns over the pages: ${span} of ${SEAL_PT}`);

    /* poppler 22 (Debian 12) lists the field once per widget: every one
     * the same signature, valid over the whole document */
    const blocks = pdfsig(f('qf.pdf')).split(/Signature #\d+:/).slice(1);
    assert.ok(blocks.length === 1 || blocks.length === 5, `${blocks.length} blocks`);
    for (const b of blocks) {
        assert.match(b, /Signature Field Name: 印章1/, b);
        assert.match(b, /Signature is Valid/, b);
        assert.match(b, /Total document signed/, b);
    }
    assert.match(blocks[0], /Certificate is Trusted/, blocks[0]);
    assert.equal(run('qpdf', ['--check', f('qf.pdf')]).status, 0);

    const v = verifyTool(f('qf.pdf'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：有效/);
    assert.match(v.stdout, /骑缝章: 第1-5页的右边，5片/);
    const h = await verifyPdf(out);
    assert.equal(h.status, 200, h.text);
    const s = h.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.deepEqual(s.qifeng, { edge: 'right', pages: '1-5', slices: 5, missing: 0 });
});

test('qifeng__page_removed_later__page_changed_later__both_verifiers_say_modified', async () => {
    const out = fs.readFileSync(f('qf.pdf'));
    /* page 3 taken out of the page tree in a later revision */
    const gone = updated(out, [[2, '<< /Type /Pages /Kids [4 0 R 6 0 R 10 0 R 12 0 R] /Count 4 /MediaBox [0 0 595.28 841.89] >>']]);
    fs.writeFileSync(f('gone.pdf'), gone);
    let v = verifyTool(f('gone.pdf'));
    assert.equal(v.status, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：文档已被修改/);
    assert.match(v.stdout, /页数被改变|第3页被删除/, v.stdout);
    assert.match(v.stdout, /骑缝章: 1片所在的页面已不在文档中/, v.stdout);
    let h = await verifyPdf(gone);
    let s = h.body.result.stamps[0];
    assert.equal(s.state, '文档已被修改', JSON.stringify(s));
    assert.equal(s.qifeng.missing, 1);
    assert.equal(s.qifeng.pages, '1-4');

    /* page 3's text changed in a later revision */
    const text = 'BT /F1 24 Tf 72 760 Td (Contract page 9) Tj ET';
    const changed = updated(out, [[9, `<< /Length ${text.length} >>\nstream\n${text}\nendstream`]]);
    fs.writeFileSync(f('changed.pdf'), changed);
    v = verifyTool(f('changed.pdf'));
    assert.equal(v.status, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：文档已被修改/);
    assert.match(v.stdout, /第3页的内容被修改/, v.stdout);
    h = await verifyPdf(changed);
    s = h.body.result.stamps[0];
    assert.equal(s.state, '文档已被修改');
    assert.match(s.problem + s.coverage.changes, /第3页的内容被修改/, JSON.stringify(s));
    assert.doesNotMatch(pdfsig(f('changed.pdf')), /Total document signed/);
});

test('qifeng__left_edge_pages_2_to_4_with_a_page_stamp__two_signatures_both_valid', async () => {
    const r = sign(f('five.pdf'), f('qf-left.pdf'), ['--qifeng', 'left', '--pages', '2-4', '--page', '1', '--x', '105',
        '--y', '200']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = fs.readFileSync(f('qf-left.pdf'));
    const rects = sliceRects(out);
    assert.equal(rects.length, 3);
    for (const q of rects)
        assert.ok(Math.abs(q[0]) < 0.01 && Math.abs(q[2] - SEAL_PT / 3) < 0.05, `on the left edge: ${q}`);
    const pages = redColumns(f('qf-left.pdf'));
    assert.ok(pages[0].count > 500 && pages[0].minX > 100, 'page 1: the page stamp, away from the edge');
    for (const i of [1, 2, 3])
        assert.ok(pages[i].count > 50 && pages[i].minX <= 2 && pages[i].maxX <= SEAL_PT / 3 + 2,
            `page ${i + 1}: ${JSON.stringify(pages[i])}`);
    assert.equal(pages[4].count, 0, 'page 5 is not in --pages');
    const blocks = pdfsig(f('qf-left.pdf')).split(/Signature #\d+:/).slice(1);
    assert.ok(blocks.length === 2 || blocks.length === 4, `${blocks.length} blocks`);
    for (const b of blocks)
        assert.match(b, /Signature is Valid/, b);
    assert.match(blocks[blocks.length - 1], /Signature Field Name: 印章2[\s\S]*Total document signed/);
    const v = verifyTool(f('qf-left.pdf'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：有效[\s\S]*骑缝章: 第2-4页的左边，3片[\s\S]*签章2：有效/);
    const h = await verifyPdf(out);
    const [a, b] = h.body.result.stamps;
    assert.equal(a.state, '有效');
    assert.deepEqual(a.qifeng, { edge: 'left', pages: '2-4', slices: 3, missing: 0 });
    assert.equal(b.state, '有效');
    assert.equal(b.qifeng, undefined);
});

test('qifeng__default_level_b_lt__the_dss_after_it_leaves_it_valid', async () => {
    const r = run(TOOL, ['sign', '--in', f('five.pdf'), '--out', f('qf-lt.pdf'), '--seal', f('seal.seseal'),
        ...signer, '--qifeng', '--tsa', `${HALL}/tsa`, '--pin-fd', '0'],
    { input: `${pin}\n`, env: { ...mediaEnv, LANG: 'zh_CN.UTF-8' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /骑缝章，PAdES B-LT/);
    const h = await verifyPdf(fs.readFileSync(f('qf-lt.pdf')));
    const s = h.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.level, 'B-LT');
    assert.equal(s.qifeng.pages, '1-5');
});

test('qifeng__one_page_or_a_bad_edge__refused_nothing_written', () => {
    let r = sign(f('five.pdf'), f('bad.pdf'), ['--qifeng', '--pages', '3-3']);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /骑缝章至少要跨两页/);
    r = sign(f('five.pdf'), f('bad.pdf'), ['--qifeng', '--pages', '4-9']);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /骑缝章的页码范围4-9超出文档（该文档共5页）/);
    r = sign(f('five.pdf'), f('bad.pdf'), ['--qifeng=top']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--qifeng 只能是 right（默认）或 left/);
    assert.equal(fs.existsSync(f('bad.pdf')), false);
});

/* the red pixels of a page at 72 dpi as shown, each as its distance from
 * the right edge and from mid-height ("dx,dy"), with the page's size */
function redFromRightMiddle(file, page) {
    const base = f(`rm-${path.basename(file, '.pdf')}-${page}`);
    assert.equal(run('pdftoppm', ['-r', '72', '-f', String(page), '-l', String(page), '-singlefile', file, base]).status, 0);
    const ppm = fs.readFileSync(`${base}.ppm`);
    const head = ppm.toString('latin1', 0, 20).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
    const w = Number(head[1]), h = Number(head[2]), px = ppm.subarray(head[0].length);
    const pts = new Set();
    let x0 = w, x1 = -1, y0 = h, y1 = -1;
    for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
            const k = (y * w + x) * 3;
            if (px[k] > 150 && px[k + 1] < 110 && px[k + 2] < 110) {
                pts.add(`${w - x},${y - Math.round(h / 2)}`);
                [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
            }
        }
    return { w, h, x0, x1, y0, y1, pts };
}

test('qifeng__pages_turned_by_90_180_270__each_slice_on_the_right_edge_as_shown_upright__valid', async () => {
    /* page 2 turned by 90 degrees, page 3 by 180, page 4 by 270 */
    const r0 = run('qpdf', ['--rotate=+90:2', '--rotate=+180:3', '--rotate=+270:4', f('five.pdf'), f('turned.pdf')]);
    assert.equal(r0.status, 0, r0.stderr);
    const r = sign(f('turned.pdf'), f('qf-turned.pdf'), ['--qifeng']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = fs.readFileSync(f('qf-turned.pdf'));
    for (let i = 1; i <= 5; i++) {
        const p = redFromRightMiddle(f('qf-turned.pdf'), i);
        const what = `page ${i}: ${JSON.stringify({ ...p, pts: p.pts.size })}`;
        assert.equal(p.w > p.h, i === 2 || i === 4, `shown ${what}`);
        /* at the right edge as shown, a fifth of the seal wide, mid-height */
        assert.ok(p.pts.size > 50 && p.x1 >= p.w - 3 && p.x0 >= p.w - SEAL_PT / 5 - 2, what);
        assert.ok(Math.abs((p.y0 + p.y1) / 2 - p.h / 2) < 6, what);
        /* upright, as the same slice on the unturned page of the first
         * test (qf.pdf): the same red pixels from the edge and the middle
         * (within a pixel: the turned page's middle rounds otherwise) */
        const flat = redFromRightMiddle(f('qf.pdf'), i);
        let same = 0;
        for (const k of p.pts) {
            const [x, y] = k.split(',').map(Number);
            let near = false;
            for (let dx = -1; dx <= 1; dx++)
                for (let dy = -1; dy <= 1; dy++)
                    near = near || flat.pts.has(`${x + dx},${y + dy}`);
            same += near;
        }
        assert.ok(same / Math.max(p.pts.size, flat.pts.size) > 0.9,
            `page ${i}: ${same} of ${p.pts.size} red pixels where the unturned page has them (${flat.pts.size})`);
    }
    assert.equal(run('qpdf', ['--check', f('qf-turned.pdf')]).status, 0);
    const v = verifyTool(f('qf-turned.pdf'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /骑缝章: 第1-5页的右边，5片/);
    const h = await verifyPdf(out);
    const s = h.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.deepEqual(s.qifeng, { edge: 'right', pages: '1-5', slices: 5, missing: 0 });
    for (const b of pdfsig(f('qf-turned.pdf')).split(/Signature #\d+:/).slice(1))
        assert.match(b, /Signature is Valid/, b);
});
