'use strict';
/*
 * Changes hidden after a stamp (issue 50 §1; docs/internals/stamp.md §3,
 * "What may follow a signature"): every file is judged by POST
 * /sign/verify through nginx and by hall-stamp verify, and both must give
 * each stamp the same state and the same reason.
 *
 * Made here from the hall's own stamps (hall-stamp sign with a 机构章 and a
 * 合同专用章, the 免费体验 demo seal) and then changed by a script as an
 * attacker would: incremental saving that rewrites the page's text, a red
 * box painted in a revision that also adds a garbage "signature", a garbage
 * signature whose only addition is its widget, signature wrapping (the
 * /ByteRange widened in a later revision), universal forgery (empty, zero or
 * missing /Contents, /ByteRange absent or [0 0 0 0]), shadow hide, replace
 * and hide-and-replace (objects placed before signing, switched on by a
 * later cross-reference section), an annotation added on the page, a later
 * stamp over an earlier one.  From other projects (tests/data/pdf/attacks):
 * the EU DSS shadow hide/replace, signature wrapping and added-page files,
 * pyHanko's Adobe double signature and B-LTA file (nothing changed).  The
 * legitimate sequences stay what they were: two and three stamps in a row
 * 有效, three 免费体验 stamps 体验印章.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client, HALL } = require('./lib/client');
const { makePdf, verifyPdf, tryStamp, hallSeals, stampWith, HALL_STAMP } = require('./lib/stamp');
const { tmpdir, fetchPki } = require('./lib/pki');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
const ATTACKS = path.join(ROOT, 'tests', 'data', 'pdf', 'attacks');
const DEMO_ROOT = path.join(process.env.HALL_VAR || '', 'keys', 'demo', 'demo-root.crt');
const dir = tmpdir();
const f = (n) => path.join(dir, n);
let seals;
let doc; /* a two-page contract, stamped once with the 机构章 (page 1) */
let signed;

/* ---- the attacker's tools -------------------------------------------------------- */

function qpdfShow(pdf, what) {
    fs.writeFileSync(f('show.pdf'), pdf);
    const r = spawnSync('qpdf', [`--show-object=${what}`, f('show.pdf')], { encoding: 'latin1' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

function startxref(pdf) {
    const tail = pdf.subarray(Math.max(0, pdf.length - 1024)).toString('latin1');
    return Number(tail.match(/startxref\s+(\d+)\s+%%EOF\s*$/)[1]);
}

/*
 * pdf with an incremental update appended: objs maps an object number to its
 * body (the text between "N 0 obj" and "endobj"), or to { at } for an entry
 * pointing at bytes already in the file; a table and a trailer with the last
 * /Root, /Size grown, /Prev the file's last section.  A body holding
 * "/ByteRange [0 ########## ########## ##########]" gets it filled so that
 * it covers the file but its /Contents' hex string.
 */
function appendUpdate(pdf, objs, { size = 200 } = {}) {
    const trailer = qpdfShow(pdf, 'trailer');
    const rootRef = trailer.match(/\/Root (\d+ \d+ R)/)[1];
    let text = pdf[pdf.length - 1] === 0x0a ? '' : '\n';
    const offs = {};
    for (const [n, body] of Object.entries(objs)) {
        if (typeof body === 'object') {
            offs[n] = body.at;
            continue;
        }
        offs[n] = pdf.length + Buffer.byteLength(text, 'latin1');
        text += `${n} 0 obj\n${body}\nendobj\n`;
    }
    const xrefAt = pdf.length + Buffer.byteLength(text, 'latin1');
    text += 'xref\n';
    for (const n of Object.keys(offs).map(Number).sort((a, b) => a - b))
        text += `${n} 1\n${String(offs[n]).padStart(10, '0')} 00000 n\r\n`;
    text += `trailer\n<< /Size ${size} /Root ${rootRef} /Prev ${startxref(pdf)} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    let out = Buffer.concat([pdf, Buffer.from(text, 'latin1')]);
    const ph = out.indexOf('[0 ########## ########## ##########]');
    if (ph > 0) {
        const a = out.indexOf('/Contents <', ph) + 10;
        const b = out.indexOf('>', a) + 1;
        const br = `[0 ${String(a).padEnd(10)} ${String(b).padEnd(10)} ${String(out.length - b).padEnd(10)}]`;
        out.write(br, ph, 'latin1');
    }
    return out;
}

/* the catalog's and a page's dictionaries as qpdf prints them */
const objNum = (ref) => Number(ref.split(' ')[0]);
const rootOf = (pdf) => objNum(qpdfShow(pdf, 'trailer').match(/\/Root (\d+ \d+ R)/)[1]);
function withFieldAdded(pdf, w) {
    const root = rootOf(pdf);
    const cat = qpdfShow(pdf, String(root)).replace(/\/Fields \[([^\]]*)\]/, (m, items) => `/Fields [${items} ${w} 0 R]`);
    return { [root]: cat };
}
function pageWith(pdf, num, { contents, annot } = {}) {
    let p = qpdfShow(pdf, String(num));
    if (contents)
        p = p.replace(/\/Contents [^/>]+/, `/Contents ${contents} `);
    if (annot)
        p = p.includes('/Annots [') ? p.replace(/\/Annots \[([^\]]*)\]/, (m, items) => `/Annots [${items} ${annot} 0 R]`)
            : p.replace(/^<</, `<< /Annots [${annot} 0 R]`);
    return p;
}

const RED_BOX = (x = 60, y = 740, w = 420, h = 50) => {
    const s = `1 0 0 rg ${x} ${y} ${w} ${h} re f\n`;
    return `<< /Length ${s.length} >>\nstream\n${s}endstream`;
};
const garbageSig = (hexDigits = 1200) => `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached`
    + ` /ByteRange [0 ########## ########## ##########] /Contents <${crypto.randomBytes(hexDigits / 2).toString('hex')}> >>`;
const sigWidget = (v, page, rect = '100 600 300 700', ap = '') => `<< /Type /Annot /Subtype /Widget /FT /Sig`
    + ` /T (Attacker) /V ${v} 0 R /F 132 /P ${page} 0 R /Rect [${rect}]${ap} >>`;

/* ---- the two verifiers ----------------------------------------------------------- */

/* hall-stamp verify's stamps: [{ state, problem, notes }] */
function toolVerify(pdf) {
    fs.writeFileSync(f('check.pdf'), pdf);
    const args = ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'), '--ca', f('ecc.crt'),
        '--ca', f('sm2.crt')];
    if (fs.existsSync(DEMO_ROOT))
        args.push('--demo-root', DEMO_ROOT);
    const r = spawnSync(HALL_STAMP, [...args, f('check.pdf')], {
        encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' },
    });
    assert.ok(r.status === 0 || r.status === 1, `hall-stamp verify: ${r.status} ${r.stdout}${r.stderr}`);
    const out = [];
    for (const line of r.stdout.split('\n')) {
        let m = line.match(/^签章(\d+)：(.*)$/);
        if (m) {
            out.push({ state: m[2], problem: '', notes: [] });
            continue;
        }
        m = line.match(/^ {2}说明: (.*)$/);
        if (m)
            out[out.length - 1].problem = m[1];
        m = line.match(/^ {2}注意: (.*)$/);
        if (m)
            out[out.length - 1].notes.push(m[1]);
    }
    return { out, status: r.status, text: r.stdout };
}

/* both verifiers' stamps, asserted to agree: [{ state, problem, hall }] */
async function judged(pdf) {
    const r = await verifyPdf(pdf);
    assert.equal(r.status, 200, r.text.slice(0, 400));
    const hall = r.body.result.stamps;
    const tool = toolVerify(pdf);
    assert.equal(tool.out.length, hall.length, tool.text);
    hall.forEach((s, i) => {
        assert.equal(tool.out[i].state, s.state, `stamp ${i + 1}: tool ${tool.out[i].state}, hall ${s.state}`);
        assert.equal(tool.out[i].problem, s.problem || '', `stamp ${i + 1}'s reason`);
    });
    return hall.map((s) => ({ state: s.state, problem: s.problem || '', hall: s }));
}

before(async () => {
    seals = await hallSeals();
    await fetchPki(dir);
    doc = makePdf({ pages: 2, text: 'contract: the buyer pays 100 yuan' });
    signed = stampWith(doc, seals.org, seals.pin, { page: 1, x: 150, y: 240 });
});

/* ---- legitimate ------------------------------------------------------------------ */

test('attacks__legit_two_and_three_stamps_in_a_row__all_有效__same_in_hall_and_tool', async () => {
    const two = stampWith(signed, seals.org_business, seals.pin, { page: 2, x: 100, y: 100 });
    const three = stampWith(two, seals.org, seals.pin, { page: 1, x: 60, y: 60 });
    for (const [pdf, n] of [[signed, 1], [two, 2], [three, 3]]) {
        const v = await judged(pdf);
        assert.equal(v.length, n);
        for (const s of v) {
            assert.equal(s.state, '有效', JSON.stringify(s.hall));
            assert.equal(s.hall.coverage.later_changes, false);
            assert.equal(s.hall.coverage.changes, '');
        }
    }
});

/*
 * A co-signer writing PDF 2.0 raises the catalog's /Version to 2.0 and
 * declares its extensions (ISO 32000-2 §7.12) in its revision, then signs;
 * here with the hall's own seal, certificate and TSA.  The earlier stamp
 * stays 有效 in both verifiers (it was 文档已被修改, 文档目录（Catalog）被修改
 * （/Version）, and the 验签报告 certified a tampering that did not happen):
 * docs/internals/stamp.md, "What may follow a signature", W2 and W3.
 */
test('attacks__pdf20_cosignature_with_the_halls_certificate_and_tsa__earlier_stamp_有效', async () => {
    const root = rootOf(signed);
    const cat = qpdfShow(signed, String(root)).replace(/>>\s*$/, '/Version /2.0 /Extensions << /ESIC'
        + ' << /BaseVersion /1.7 /ExtensionLevel 2 >> /ISO_ [ << /BaseVersion /2.0 /ExtensionLevel 32001 >> ] >> >>');
    const raised = appendUpdate(signed, { [root]: cat });
    const two = stampWith(raised, seals.org_business, seals.pin, { page: 2, x: 100, y: 100 });
    for (const [pdf, n] of [[raised, 1], [two, 2]]) {
        const v = await judged(pdf);
        assert.equal(v.length, n);
        for (const s of v) {
            assert.equal(s.state, '有效', JSON.stringify(s.hall));
            assert.equal(s.hall.coverage.later_changes, false);
            assert.equal(s.hall.coverage.changes, '');
        }
    }
    /* lowered again by a later revision: named */
    const lowered = appendUpdate(two, { [root]: qpdfShow(two, String(root)).replace('/Version /2.0', '/Version /1.4') });
    const v = await judged(lowered);
    assert.equal(v[0].state, '文档已被修改');
    assert.match(v[0].problem, /文档目录（Catalog）被修改（\/Version）/);
});

test('attacks__legit_three_demo_stamps__体验印章_intact__same_in_hall_and_tool', async () => {
    let pdf = makePdf({ pages: 1, text: 'three demo stamps' });
    const c = new Client();
    for (const [x, y] of [[40, 40], [110, 40], [40, 200]]) {
        const r = await tryStamp(c, pdf, { x, y });
        assert.equal(r.status, 200, r.body.toString().slice(0, 300));
        pdf = r.body;
    }
    const v = await judged(pdf);
    assert.equal(v.length, 3);
    for (const s of v) {
        assert.equal(s.state, '体验印章', JSON.stringify(s.hall));
        assert.equal(s.hall.coverage.intact, true);
    }
});

/* ---- incremental saving ---------------------------------------------------------- */

test('attacks__incremental_save_rewrites_page_text__文档已被修改_第1页的内容被修改', async () => {
    const body = 'BT /F1 18 Tf 72 760 Td (contract: the buyer pays 1000000 yuan) Tj ET\n';
    const pdf = appendUpdate(signed, { 5: `<< /Length ${body.length} >>\nstream\n${body}endstream` });
    const [s] = await judged(pdf);
    assert.equal(s.state, '文档已被修改');
    assert.equal(s.hall.checks.digest, 'pass'); /* what it signed is intact: what follows is not */
    assert.match(s.problem, /第1页的内容被修改/);
    assert.equal(s.hall.coverage.later_changes, true);
    /* the page says it too */
    const page = await verifyPdf(pdf, { accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.match(page.text, /文档已被修改/);
    assert.match(page.text, /签章后文档被修改：第1页的内容被修改/);
    assert.doesNotMatch(page.text, /签名覆盖的内容未被改动/);
});

test('attacks__annotation_added_on_the_page__文档已被修改_names_the_page', async () => {
    const annot = '<< /Type /Annot /Subtype /Square /Rect [60 740 480 790] /IC [1 0 0] /C [1 0 0] /F 4 >>';
    const pdf = appendUpdate(signed, { 100: annot, 4: pageWith(signed, 4, { annot: 100 }) });
    const [s] = await judged(pdf);
    assert.equal(s.state, '文档已被修改');
    assert.match(s.problem, /第1页新增了注释（\/Square）/);
});

/* ---- a garbage "signature" -------------------------------------------------------- */

test('attacks__red_box_in_a_revision_with_a_garbage_signature__both_文档已被修改', async () => {
    /* the page's content grown by a red box over the text, and a 600-byte
     * "signature" field that is no CMS: issue 50's 签章1 有效 */
    const pdf = appendUpdate(signed, {
        100: RED_BOX(),
        101: sigWidget(102, 4),
        102: garbageSig(1200),
        4: pageWith(signed, 4, { contents: '[5 0 R 100 0 R]', annot: 101 }),
        ...withFieldAdded(signed, 101),
    });
    const v = await judged(pdf);
    assert.equal(v.length, 2);
    assert.equal(v[0].state, '文档已被修改', JSON.stringify(v[0].hall));
    assert.match(v[0].problem, /第1页的内容被修改/);
    assert.doesNotMatch(v[0].hall.coverage.after, /^其后追加了1个签章$/);
    assert.equal(v[1].state, '文档已被修改');
    assert.match(v[1].problem, /CMS/);
});

test('attacks__garbage_signature_whose_appearance_paints_the_page__earlier_stamp_文档已被修改', async () => {
    /* nothing but a signature field, widget and appearance: a red box the
     * size of the text line, under a "signature" that is no CMS */
    const ap = ' /AP << /N 103 0 R >>';
    const box = '1 0 0 rg 0 0 420 50 re f\n';
    const pdf = appendUpdate(signed, {
        101: sigWidget(102, 4, '60 740 480 790', ap),
        102: garbageSig(1200),
        103: `<< /Type /XObject /Subtype /Form /BBox [0 0 420 50] /Length ${box.length} >>\nstream\n${box}endstream`,
        4: pageWith(signed, 4, { annot: 101 }),
        ...withFieldAdded(signed, 101),
    });
    const v = await judged(pdf);
    assert.equal(v[0].state, '文档已被修改', JSON.stringify(v[0].hall));
    assert.match(v[0].problem, /签章2无效/);
    assert.equal(v[1].state, '文档已被修改');
});

/* ---- signature wrapping, universal forgery ---------------------------------------- */

test('attacks__signature_wrapping_byte_range_widened_later__文档已被修改', async () => {
    /* the stamp's signature dictionary written again with a /ByteRange
     * whose gap swallows bytes after /Contents (where the wrapped content
     * goes), and the page's text rewritten */
    const s = signed.toString('latin1');
    const sigNum = Number(s.match(/(\d+) 0 obj\n<< \/Type \/Sig /)[1]);
    const br = s.match(/\/ByteRange \[0 (\d+) +(\d+) +(\d+) *\]/);
    const sigText = qpdfShow(signed, String(sigNum))
        .replace(/\/ByteRange \[[^\]]*\]/, `/ByteRange [0 ${br[1]} ${Number(br[2]) + 300} ${Number(br[3]) - 300}]`);
    const body = 'BT /F1 18 Tf 72 760 Td (wrapped) Tj ET\n';
    const pdf = appendUpdate(signed, { [sigNum]: sigText, 5: `<< /Length ${body.length} >>\nstream\n${body}endstream` });
    const [v] = await judged(pdf);
    assert.equal(v.state, '文档已被修改');
    assert.equal(v.hall.checks.byte_range, 'fail');
});

test('attacks__universal_forgery_empty_zero_missing_contents_or_byte_range__文档已被修改', async () => {
    const base = makePdf({ pages: 1, text: 'forged' });
    const forms = {
        empty: '/ByteRange [0 ########## ########## ##########] /Contents <>',
        zeros: '/ByteRange [0 ########## ########## ##########] /Contents <' + '0'.repeat(2048) + '>',
        no_contents: '/ByteRange [0 100 200 300]',
        no_byte_range: `/Contents <${'0'.repeat(2048)}>`,
        zero_range: `/ByteRange [0 0 0 0] /Contents <${'0'.repeat(2048)}>`,
    };
    for (const [name, keys] of Object.entries(forms)) {
        const pdf = appendUpdate(base, {
            100: sigWidget(101, 4),
            101: `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached ${keys} >>`,
            4: pageWith(base, 4, { annot: 100 }),
            1: qpdfShow(base, '1').replace(/^<</, '<< /AcroForm << /Fields [100 0 R] /SigFlags 3 >>'),
        });
        const v = await judged(pdf);
        assert.equal(v.length, 1, name);
        assert.equal(v[0].state, '文档已被修改', `${name}: ${JSON.stringify(v[0].hall)}`);
        assert.equal(v[0].hall.valid, false, name);
        /* after a real stamp, the forged one takes the real one down too */
        const after = appendUpdate(signed, {
            100: sigWidget(101, 4),
            101: `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached ${keys} >>`,
            4: pageWith(signed, 4, { annot: 100 }),
            ...withFieldAdded(signed, 100),
        });
        const w = await judged(after);
        assert.equal(w.length, 2, name);
        assert.equal(w[1].state, '文档已被修改', name);
        assert.equal(w[0].state, '文档已被修改', `${name}: ${JSON.stringify(w[0].hall)}`);
    }
});

/* ---- shadow attacks --------------------------------------------------------------- */

/*
 * The attacker prepares the document, before the victim stamps it, with
 * content no reader shows that the stamp signs.  Bytes no section lists
 * (object 5 again, the page's text with another amount; a white box as
 * object 90; with shadowPage, page 4 again whose contents are both) the
 * stamper refuses (an object defined outside the cross-reference, issue 71
 * §2).  What it stamps: an earlier revision's text (1000000), replaced by
 * the newest (100), and the white box listed but used by nothing.  After
 * the stamp, a section that points at them.
 */
function shadowPrepared(shadowPage = false) {
    const text = 'BT /F1 18 Tf 72 760 Td (contract: the buyer pays 1000000 yuan) Tj ET\n';
    const hide = '1 1 1 rg 60 740 480 50 re f\n';
    const base = makePdf({ pages: 2, text: 'contract: the buyer pays 100 yuan' });
    const page4 = qpdfShow(base, '4');
    const blocks = [
        ['5', `<< /Length ${text.length} >>\nstream\n${text}endstream`],
        ['90', `<< /Length ${hide.length} >>\nstream\n${hide}endstream`],
        ...(shadowPage ? [['4', page4.replace(/\/Contents [^/>]+/, '/Contents [5 0 R 90 0 R] ')]] : []),
    ];
    let pad = '';
    const at = {};
    for (const [n, body] of blocks) {
        at[n] = base.length + Buffer.byteLength(pad, 'latin1');
        pad += `${n} 0 obj\n${body}\nendobj\n`;
    }
    if (shadowPage)
        return { prepared: Buffer.concat([base, Buffer.from(pad, 'latin1')]) };
    const older = makePdf({ pages: 2, text: 'contract: the buyer pays 1000000 yuan' });
    const innocent = 'BT /F1 18 Tf 72 760 Td (contract: the buyer pays 100 yuan) Tj ET\n';
    const prepared = appendUpdate(older, {
        5: `<< /Length ${innocent.length} >>\nstream\n${innocent}endstream`,
        90: `<< /Length ${hide.length} >>\nstream\n${hide}endstream`,
    });
    const shadow = { 5: older.indexOf('\n5 0 obj\n') + 1, 90: prepared.indexOf('\n90 0 obj\n') + 1 };
    const stamped = stampWith(prepared, seals.org, seals.pin, { page: 1, x: 150, y: 240 });
    return { stamped, at: shadow };
}

test('attacks__shadow_prepared_page__the_tool_refuses_to_stamp_it', () => {
    /* two texts of the page it would write again (the listed one, a hidden
     * later one): the stamper does not sign what a reader may show instead */
    const { prepared } = shadowPrepared(true);
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'in.pdf'), prepared);
    const r = spawnSync(HALL_STAMP, ['sign', '--in', path.join(dir, 'in.pdf'), '--out', path.join(dir, 'out.pdf'),
        '--seal', seals.org.seal, ...seals.org.signer, '--page', '1', '--x', '150', '--y', '240',
        '--tsa', `${HALL}/tsa`, '--pin-fd', '0'], { input: `${seals.pin}\n`, encoding: 'utf8', env: seals.org.env });
    assert.notEqual(r.status, 0, 'refused');
    assert.match(r.stderr, /PDF文件中对象5在交叉引用表所列位置之外又定义了一次/);
    assert.equal(fs.existsSync(path.join(dir, 'out.pdf')), false, 'nothing written');
});

test('attacks__shadow_hide_replace_and_hide_and_replace__文档已被修改', async () => {
    const { stamped, at } = shadowPrepared();
    let [s] = await judged(stamped);
    assert.equal(s.state, '有效', JSON.stringify(s.hall));
    /* hide: the page's contents grown by the hidden white box (the page
     * dictionary written again, /Annots kept) */
    let pdf = appendUpdate(stamped, { 90: { at: at['90'] }, 4: pageWith(stamped, 4, { contents: '[5 0 R 90 0 R]' }) });
    [s] = await judged(pdf);
    assert.equal(s.state, '文档已被修改', 'hide');
    assert.match(s.problem, /第1页的内容被修改/);
    /* replace: the text's object number pointed at the prepared text */
    pdf = appendUpdate(stamped, { 5: { at: at['5'] } });
    [s] = await judged(pdf);
    assert.equal(s.state, '文档已被修改', 'replace');
    assert.match(s.problem, /第1页的内容被修改/);
    /* hide-and-replace: the text and the box pointed at prepared bytes,
     * the page's contents at both */
    pdf = appendUpdate(stamped, { 5: { at: at['5'] }, 90: { at: at['90'] },
        4: pageWith(stamped, 4, { contents: '[5 0 R 90 0 R]' }) });
    [s] = await judged(pdf);
    assert.equal(s.state, '文档已被修改', 'hide and replace');
    assert.match(s.problem, /第1页/);
});

/* ---- a later stamp over an earlier one ("sneaky signature") ------------------------ */

test('attacks__later_stamp_over_an_earlier_one_or_the_text__both_有效_with_notes', async () => {
    const over = stampWith(signed, seals.org_business, seals.pin, { page: 1, x: 155, y: 245 });
    const v = await judged(over);
    assert.equal(v.length, 2);
    assert.equal(v[0].state, '有效');
    assert.equal(v[1].state, '有效');
    assert.ok(v[0].hall.notes.some((n) => /签章2的外观与本签章在第1页重叠/.test(n)), JSON.stringify(v[0].hall.notes));
    assert.ok(v[1].hall.notes.some((n) => /签章1/.test(n)));
    assert.match(v[0].hall.coverage.overlap, /重叠/);
    const tool = toolVerify(over);
    assert.ok(tool.out[0].notes.some((n) => /重叠/.test(n)), tool.text);
    /* a later stamp over the contract's first line (72 pt from the left,
     * 760 pt up): the earlier stamp is told to check what lies under it */
    const onText = stampWith(signed, seals.org_business, seals.pin, { page: 1, x: 60, y: 30 });
    const t = await judged(onText);
    assert.deepEqual(t.map((x) => x.state), ['有效', '有效']);
    assert.match(t[0].hall.coverage.covered, /其后的签章2的外观覆盖了第1页的文字/);
    assert.ok(t[0].hall.notes.some((n) => /覆盖了第1页的文字/.test(n)));
    assert.ok(toolVerify(onText).out[0].notes.some((n) => /覆盖了第1页的文字/.test(n)));
    /* where it covers nothing: no such note */
    assert.equal(v[0].hall.coverage.covered, '');
});

/* ---- other projects' files --------------------------------------------------------- */

test('attacks__dss_and_pyhanko_files__changes_found_legit_ones_untouched', async () => {
    const file = (n) => fs.readFileSync(path.join(ATTACKS, n));
    for (const [name, re] of [
        ['dss-shadow-hide.pdf', /第1页/],
        ['dss-shadow-replace.pdf', /第1页/],
        ['dss-added-page.pdf', /页数被改变（1页变为2页）/],
    ]) {
        const v = await judged(file(name));
        assert.equal(v[0].state, '文档已被修改', `${name}: ${JSON.stringify(v[0].hall)}`);
        assert.equal(v[0].hall.coverage.later_changes, true, name);
        assert.match(v[0].problem, re, name);
    }
    let v = await judged(file('dss-siwa.pdf'));
    assert.equal(v[0].state, '文档已被修改');
    assert.equal(v[0].hall.checks.byte_range, 'fail');
    /* signed elsewhere, nothing changed after: someone else's signatures */
    for (const name of ['pyhanko-adobe-signed-twice.pdf', 'pyhanko-pades-lta-dss.pdf']) {
        v = await judged(file(name));
        assert.equal(v.length, 2, name);
        assert.equal(v[0].state, '非本CA签发', `${name}: ${JSON.stringify(v[0].hall)}`);
        assert.equal(v[0].hall.coverage.later_changes, false, name);
        assert.equal(v[0].hall.coverage.later_stamps, 1, name);
        assert.equal(v[0].hall.checks.digest, 'pass', name);
    }
});

/* pyHanko's and EU DSS's files where a later revision raises /Version or
 * writes /Extensions again: that is no longer named; what pyHanko refuses
 * (an indirect /Extensions reached by another path, an appearance stream
 * still used elsewhere written again) still is */
test('attacks__version_and_extensions_files__named_as_pyhanko_judges', async () => {
    const file = (n) => fs.readFileSync(path.join(ATTACKS, n));
    for (const name of ['pyhanko-extensions-direct.pdf', 'pyhanko-extensions-indirect.pdf',
        'pyhanko-extensions-update-direct.pdf', 'pyhanko-extensions-update-indirect.pdf', 'dss-test-with-vri.pdf']) {
        const v = await judged(file(name));
        assert.doesNotMatch(v[0].problem, /\/Version|对象10被修改/, name);
    }
    let v = await judged(file('dss-test-with-vri.pdf'));
    assert.match(v[0].problem, /第1页的表单域被修改/);
    v = await judged(file('pyhanko-extensions-indirect-not-all-paths.pdf'));
    assert.match(v[0].problem, /对象10被修改/);
    v = await judged(file('pyhanko-form-update-override-appearance-stream-sneaky.pdf'));
    assert.equal(v[0].state, '文档已被修改');
    v = await judged(file('pyhanko-pades-lta-dss-2.pdf'));
    assert.equal(v.length, 3);
    assert.equal(v[0].hall.coverage.later_changes, false);
});

/* ---- hostile later revisions: bounded, never a 5xx ---------------------------------- */

test('attacks__hostile_later_revisions__文档已被修改_or_4xx__never_5xx_nor_a_crash', async () => {
    const at = signed.length;
    const root = qpdfShow(signed, 'trailer').match(/\/Root (\d+ \d+ R)/)[1];
    const tail = (s) => Buffer.concat([signed, Buffer.from(s, 'latin1')]);
    const cases = {
        /* a section whose /Prev is itself */
        prev_loop: tail(`xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 9 /Root ${root} /Prev ${at} >>\n`
            + `startxref\n${at}\n%%EOF\n`),
        /* page 1's text rewritten as 100,000 nested arrays */
        deep_nesting: appendUpdate(signed, { 5: `${'['.repeat(100000)}${']'.repeat(100000)}` }),
        /* a cross-reference stream of absurd /W and /Index */
        absurd_xref_stream: tail(`300 0 obj\n<< /Type /XRef /W [9 9 9] /Index [0 2147483647] /Size 9 /Root ${root}`
            + ` /Length 3 /Prev ${startxref(signed)} >>\nstream\nabc\nendstream\nendobj\nstartxref\n${at}\n%%EOF\n`),
        /* 60,000 entries: more objects than one signature's comparison reads */
        huge_count: tail(`xref\n1 60000\n${'0000000009 00000 n\r\n'.repeat(60000)}trailer\n<< /Size 60001 /Root ${root}`
            + ` /Prev ${startxref(signed)} >>\nstartxref\n${at}\n%%EOF\n`),
        /* a /Prev that skips the stamp's own section */
        prev_skips_the_stamp: appendUpdate(signed, { 5: '<< /Length 0 >>\nstream\n\nendstream' })
            .toString('latin1').replace(/\/Prev \d+ >>\nstartxref\n(\d+)\n%%EOF\n$/, (m, x) => `/Prev ${startxref(doc)} >>\nstartxref\n${x}\n%%EOF\n`),
    };
    for (const [name, body] of Object.entries(cases)) {
        const pdf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
        const r = await verifyPdf(pdf);
        assert.ok(r.status === 200 || r.status === 400, `${name}: ${r.status} ${r.text.slice(0, 200)}`);
        fs.writeFileSync(f('hostile.pdf'), pdf);
        const t = spawnSync(HALL_STAMP, ['verify', '--root', f('root.crt'), '--ca', f('ecc.crt'), f('hostile.pdf')],
            { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
        assert.equal(t.signal, null, `${name}: hall-stamp verify died`);
        if (r.status === 400) {
            assert.equal(r.body.field, 'file', name);
            assert.notEqual(t.status, 0, name);
            continue;
        }
        assert.equal(r.body.result.stamps[0].state, '文档已被修改', `${name}: ${JSON.stringify(r.body.result.stamps[0])}`);
        assert.match(t.stdout, /签章1：文档已被修改/, name);
    }
});
