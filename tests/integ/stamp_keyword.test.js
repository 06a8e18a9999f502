'use strict';
/*
 * hall-stamp sign --keyword (docs/modules/stamp.md, "Stamping by keyword")
 * and a page's /Rotate for every way the tool places a stamp.  The input is
 * the LibreOffice export of tests/data/pdf (Noto CJK fonts embedded as
 * subsets: the keyword 盖章 is found through their ToUnicode maps), as
 * written and with its last page turned by 90, 180 and 270 degrees (qpdf
 * --rotate).  Where the seal lands is judged from outside the tool:
 * pdftoppm's red pixels at 72 dpi against the keyword's box that
 * pdftotext -bbox gives (on the unturned page, turned here by arithmetic).
 * The stamped files are valid to pdfsig and hall-stamp verify.
 *
 * Then two files Microsoft Word saved as PDF (tests/data/pdf/corpus/README.md
 * names their sources): word2016-dengxian.pdf as Word 2016 wrote it (a
 * DengXian subset, Identity-H, with ToUnicode), and word-contract.pdf, a
 * contract's signature block (甲方：中国饮料有限公司（盖章）, 宋体 subsets)
 * that a PDF editor cut down to the block: its /CropBox is a small part of
 * its A4 /MediaBox, and the font that shows 中国饮料有限公司 has a ToUnicode
 * map written with begincidrange (poppler warns, and finds the text).  The
 * seal must be centred on the keyword as a viewer shows the page (pdftoppm
 * -cropbox), upright or turned.
 *
 * Last the keyword corpus (tests/data/pdf/keyword/README.md): Chromium's
 * print to PDF (CJK in Type 3 fonts whose ToUnicode maps name Kangxi
 * radicals), Pango and cairo, LibreOffice and Word, turned and cropped
 * copies.  Every match the rule of docs/modules/stamp.md finds, and where
 * the seal goes, as recorded in expected.json (mm as a viewer shows the
 * page), within 0.15 mm of the tool's report (0.1 mm); the page's finder
 * is held to the same places by tests/e2e/stamp_keyword.test.js.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, fetchPki } = require('./lib/pki');
const { producedSeal } = require('./lib/stamp');
const { keywordBoxes, turned, pageBoxes, asShown, redSeals, assertCentred, visibleMm, keywordCases } = require('./lib/keyword');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
const TOOL = path.join(ROOT, 'tools/stamp/hall-stamp');
const CONTRACT = path.join(ROOT, 'tests/data/pdf/libreoffice-contract.pdf');
const WORD = path.join(ROOT, 'tests/data/pdf/corpus/word-contract.pdf');
const WORD2016 = path.join(ROOT, 'tests/data/pdf/corpus/word2016-dengxian.pdf');
const dir = tmpdir();
const f = (name) => path.join(dir, name);
let pin = '';
let signer = []; /* the USB key's key and the chain (producedSeal) */
let mediaEnv = process.env;

function run(cmd, args, opts = {}) {
    return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

function sign(input, output, place) {
    return run(TOOL, ['sign', '--in', input, '--out', output, '--seal', f('seal.seseal'),
        ...signer, ...place, '--tsa', `${HALL}/tsa`, '--pin-fd', '0', '--level', 'B-T'],
    { input: `${pin}\n`, env: { ...mediaEnv, LANG: 'zh_CN.UTF-8' } });
}

function pdfsigValid(file, count) {
    const r = run('pdfsig', ['-nssdir', `sql:${f('nss')}`, '-no-ocsp', file]);
    const blocks = (r.stdout + r.stderr).split(/Signature #\d+:/).slice(1);
    assert.equal(blocks.length, count, r.stdout + r.stderr);
    for (const b of blocks)
        assert.match(b, /Signature is Valid/, b);
}

function verifyValid(file) {
    const v = run(TOOL, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'), '--ca', f('ecc.crt'),
        '--ca', f('sm2.crt'), file], { env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
    assert.equal(v.status, 0, v.stdout + v.stderr);
}

before(async () => {
    /* onto a USB key: hall-stamp signs with the key born in it */
    ({ pin, signer, env: mediaEnv } = await producedSeal(dir, { medium: true }));
    await fetchPki(dir);
    fs.mkdirSync(f('nss'));
    assert.equal(run('certutil', ['-N', '-d', `sql:${f('nss')}`, '--empty-password']).status, 0);
    assert.equal(run('certutil', ['-A', '-d', `sql:${f('nss')}`, '-n', 'hall-root', '-t', 'CT,C,C',
        '-i', f('root.crt')]).status, 0);
    for (const r of [90, 180, 270]) {
        assert.equal(run('qpdf', [`--rotate=+${r}:3`, CONTRACT, f(`turned-${r}.pdf`)]).status, 0);
        /* qpdf warns (exit 3) of the editor's ToUnicode map; the page is turned */
        assert.notEqual(run('qpdf', [`--rotate=+${r}:1`, WORD, f(`word-turned-${r}.pdf`)]).status, 2);
    }
});

test('keyword__libreoffice_cjk_subset__seal_centred_on_each_match_with_offset__valid', () => {
    /* page 3 of the contract: 甲方（盖章）： and 乙方（盖章）： near the top,
     * so the seals are put 20 mm below the word */
    const want = keywordBoxes(CONTRACT, 3, '盖章');
    assert.equal(want.length, 2);
    const r = sign(CONTRACT, f('kw-all.pdf'), ['--keyword', '盖章', '--keyword-offset', '0,20']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stdout.match(/已盖章：.*第3页/g) || []).length, 2, r.stdout);
    const seals = redSeals(dir, f('kw-all.pdf'), 3).sort((a, b) => a.cx - b.cx);
    assert.equal(seals.length, 2);
    for (let i = 0; i < 2; i++)
        assertCentred(seals[i], { x: want[i].x, y: want[i].y + 20 }, `match ${i + 1}`);
    assert.equal(redSeals(dir, f('kw-all.pdf'), 1).length, 0, 'no seal on page 1');
    pdfsigValid(f('kw-all.pdf'), 2);
    verifyValid(f('kw-all.pdf'));
});

test('keyword__first_and_last__one_seal_on_that_match', () => {
    const want = keywordBoxes(CONTRACT, 3, '盖章');
    for (const [which, i] of [['first', 0], ['last', 1]]) {
        const out = f(`kw-${which}.pdf`);
        const r = sign(CONTRACT, out, ['--keyword', '（盖章）', '--keyword-match', which, '--keyword-offset', '5,25']);
        assert.equal(r.status, 0, r.stderr);
        const seals = redSeals(dir, out, 3);
        assert.equal(seals.length, 1, which);
        assertCentred(seals[0], { x: want[i].x + 5, y: want[i].y + 25 }, which);
        pdfsigValid(out, 1);
    }
});

test('keyword__not_in_document__refused_naming_pages_searched__nothing_written', () => {
    const r = sign(CONTRACT, f('kw-none.pdf'), ['--keyword', '骑缝章处']);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /文档中没有关键字“骑缝章处”（已查找第1至3页，共3页）；未盖章/);
    assert.equal(fs.existsSync(f('kw-none.pdf')), false);
    const bad = sign(CONTRACT, f('kw-bad.pdf'), ['--keyword', '盖章', '--keyword-match', 'middle']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--keyword-match 只能是 all、first 或 last/);
});

for (const rot of [90, 180, 270]) {
    test(`rotate_${rot}__keyword_and_xy__seal_where_the_page_as_shown_says`, () => {
        /* by keyword: the match on the turned page */
        const want = keywordBoxes(CONTRACT, 3, '盖章').map((p) => turned(p, rot));
        const input = f(`turned-${rot}.pdf`), out = f(`turned-${rot}-kw.pdf`);
        /* 30 mm inwards from the match, which lies near an edge of the page as shown */
        const [dx, dy] = { 90: [-30, 30], 180: [30, -30], 270: [30, 30] }[rot];
        let r = sign(input, out, ['--keyword', '盖章', '--keyword-match', 'first', '--keyword-offset', `${dx},${dy}`]);
        assert.equal(r.status, 0, r.stderr);
        /* the first as the page is shown (reading order, top to bottom) */
        const first = [...want].sort((a, b) => a.y - b.y || a.x - b.x)[0];
        let seals = redSeals(dir, out, 3);
        assert.equal(seals.length, 1);
        assertCentred(seals[0], { x: first.x + dx, y: first.y + dy }, `keyword, /Rotate ${rot}`);
        pdfsigValid(out, 1);
        verifyValid(out);

        /* by --x --y: mm on the page as shown (landscape when turned by 90 or 270) */
        const xy = f(`turned-${rot}-xy.pdf`);
        r = sign(input, xy, ['--page', '3', '--x', '70', '--y', '120']);
        assert.equal(r.status, 0, r.stderr);
        seals = redSeals(dir, xy, 3);
        assert.equal(seals.length, 1);
        assertCentred(seals[0], { x: 70, y: 120 }, `--x --y, /Rotate ${rot}`);
        /* the page's width as shown bounds --x */
        const wide = rot === 180 ? 215 : 290;
        r = sign(input, f(`turned-${rot}-off.pdf`), ['--page', '3', '--x', String(wide), '--y', '100']);
        if (rot === 180) {
            assert.equal(r.status, 3);
            assert.match(r.stderr, /盖章位置超出第3页的范围（该页宽210毫米、高297毫米）/);
        } else {
            assert.equal(r.status, 0, `x ${wide} mm is on a landscape page: ${r.stderr}`);
        }
    });
}

/* hall-stamp sign --keyword on a file Word wrote: one seal, centred (dx, dy
 * mm from the keyword) where a viewer shows the keyword on the page turned
 * by rot; valid to pdfsig and hall-stamp verify */
function wordStamped(input, orig, kw, rot, dx, dy, name) {
    const out = f(`${name}.pdf`);
    const r = sign(input, out, ['--keyword', kw, '--keyword-offset', `${dx},${dy}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /已盖章：.*第1页/);
    const want = keywordBoxes(orig, 1, kw);
    assert.equal(want.length, 1, `${kw} once in ${orig}`);
    const at = asShown(want[0], rot, pageBoxes(orig, 1));
    const seals = redSeals(dir, out, 1, true);
    assert.equal(seals.length, 1, `${name}: one seal shown`);
    assertCentred(seals[0], { x: at.x + dx, y: at.y + dy }, `${name}: ${kw}`);
    pdfsigValid(out, 1);
    verifyValid(out);
}

test('keyword__word2016_dengxian_subset__seal_centred_on_the_word__valid', () => {
    /* 我是文字, a DengXian subset (CID TrueType, Identity-H) */
    wordStamped(WORD2016, WORD2016, '文字', 0, 0, 25, 'word2016');
});

test('keyword__word_contract_cropped_page__seal_centred_on_盖章_as_shown__valid', () => {
    /* poppler measures the keyword from the crop box's corner; the seal
     * used to land that far (25.5 mm left, 5 mm up) from the word */
    const b = pageBoxes(WORD, 1);
    assert.ok(b.crop[0] - b.media[0] > 70 && b.media[3] - b.crop[3] > 10, `a cropped page: ${JSON.stringify(b)}`);
    wordStamped(WORD, WORD, '盖章', 0, 0, 25, 'word-gaizhang');
});

test('keyword__word_contract_tounicode_with_begincidrange__found_and_centred', () => {
    /* 中国饮料有限公司 is shown in the font whose ToUnicode map the editor
     * wrote with begincidrange */
    wordStamped(WORD, WORD, '中国饮料', 0, 0, 25, 'word-cidrange');
});

for (const [rot, dx, dy] of [[90, -15, 0], [180, 0, -15], [270, 15, 0]]) {
    test(`keyword__word_contract_cropped_and_turned_${rot}__seal_centred_as_shown`, () => {
        wordStamped(f(`word-turned-${rot}.pdf`), WORD, '盖章', rot, dx, dy, `word-turned-${rot}-kw`);
    });
}

/* the places hall-stamp sign --keyword reports (第N页，距左X毫米、距上Y毫米),
 * as a viewer shows the page */
function reported(file, stdout) {
    return [...stdout.matchAll(/第(\d+)页，距左([-\d.]+)毫米、距上([-\d.]+)毫米/g)].map((m) => {
        const v = visibleMm(file, Number(m[1]), Number(m[2]), Number(m[3]));
        return [Number(m[1]), v.x, v.y];
    });
}

keywordCases().forEach((c, i) => {
    test(`keyword_rule__${c.file}__「${c.keyword}」__${c.matches.length}_matches_where_the_rule_puts_them`, () => {
        const out = f(`rule-${i}.pdf`);
        const r = sign(c.path, out, ['--keyword', c.keyword, '--keyword-match', 'all']);
        if (c.matches.length === 0) {
            /* outside the crop box: not shown, not found */
            assert.equal(r.status, 3, r.stdout + r.stderr);
            assert.match(r.stderr, /文档中没有关键字/);
            return;
        }
        assert.equal(r.status, 0, r.stderr);
        const got = reported(c.path, r.stdout);
        assert.equal(got.length, c.matches.length, r.stdout);
        c.matches.forEach(([page, x, y], k) => {
            const [gp, gx, gy] = got[k];
            assert.equal(gp, page, `match ${k + 1}`);
            assert.ok(Math.abs(gx - x) <= 0.15 && Math.abs(gy - y) <= 0.15,
                `match ${k + 1}: the tool ${gx.toFixed(2)},${gy.toFixed(2)} mm, the rule ${x},${y} mm`);
        });
    });
});

test('keyword_rule__chromium_type3_cjk__seal_shown_on_乙方（盖章）', () => {
    /* as a viewer shows it: 25 mm below the match so the whole seal shows */
    const c = keywordCases().find((k) => k.file === 'chromium-cropped.pdf');
    const out = f('rule-chromium-seen.pdf');
    const r = sign(c.path, out, ['--keyword', c.keyword, '--keyword-match', 'first', '--keyword-offset', '0,25']);
    assert.equal(r.status, 0, r.stderr);
    const seals = redSeals(dir, out, 1, true);
    assert.equal(seals.length, 1);
    const [, x, y] = c.matches[0];
    assertCentred(seals[0], { x, y: y + 25 }, 'chromium-cropped.pdf 乙方（盖章）');
    pdfsigValid(out, 1);
});
