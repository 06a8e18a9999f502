'use strict';
/*
 * hall-stamp (tools/stamp/hall_stamp.c, docs/modules/stamp.md) with a real seal:
 * a 电子签章 order produced by the hall onto a USB key of the station
 * (tests/integ/lib/station.js), its 机构章's .seseal and the key born in
 * the USB key opened through PKCS#11 with the order's PIN from the SMS,
 * stamped through
 * the hall's POST /tsa behind nginx, and judged from outside the project:
 * poppler's pdfsig with the hall's root in an NSS database, mutool sign -v,
 * qpdf --check, openssl cms -verify over the byte ranges and openssl ts
 * -verify on the token; pdftoppm's pixels where the seal was put.  Inputs:
 * a PDF with a table, a LibreOffice export (tests/data/pdf), an image-only
 * scan, one with object streams and a cross-reference stream, two
 * stamps, a PDF another signer signed first (theirs stays valid), 200
 * pages, an encrypted and a damaged one (refused).  One byte changed in a
 * signed range: every verifier says invalid.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, openssl, fetchPki, derNode, derChildren } = require('./lib/pki');
const { producedSeal } = require('./lib/stamp');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
const TOOL = path.join(ROOT, 'tools/stamp/hall-stamp');
const dir = tmpdir();
const f = (name) => path.join(dir, name);
let pin = '';
let signer = []; /* the 机构章's key on its USB key and the chain (producedSeal) */
let mediaEnv = process.env;

function run(cmd, args, opts = {}) {
    return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

/* ---- a PDF written here: N A4 pages of text, a table ---------------------- */

function pdfOf(pages, extraObjs = [], catalogExtra = '') {
    const objs = [];
    const kids = [];
    objs[1] = `<< /Type /Catalog /Pages 2 0 R${catalogExtra} >>`;
    objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
    for (let i = 0; i < pages; i++) {
        const p = 4 + 2 * i, c = p + 1;
        const text = `BT /F1 24 Tf 72 760 Td (Contract page ${i + 1}) Tj ET`;
        objs[p] = `<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents ${c} 0 R >>`;
        objs[c] = `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
        kids.push(`${p} 0 R`);
    }
    objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} /MediaBox [0 0 595.28 841.89] >>`;
    for (const [n, body] of extraObjs)
        objs[n] = body;
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

/* a PDF signed first by someone else (openssl cms, a throwaway key,
 * adbe.pkcs7.detached) */
function foreignSigned() {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', f('other.key'), '-out', f('other.crt'), '-subj', '/CN=Someone Else', '-days', '30']);
    const hole = 4096;
    const sig = `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 ########## ########## ##########] /Contents <${'0'.repeat(hole)}> >>`;
    let s = pdfOf(2, [[8, sig], [9, '<< /Type /Annot /Subtype /Widget /FT /Sig /T (Other) /V 8 0 R /Rect [0 0 0 0] /F 132 /P 4 0 R >>']],
        ' /AcroForm << /Fields [9 0 R] /SigFlags 3 >>').toString('latin1');
    const a = s.indexOf('/Contents <') + 10, b = a + hole + 2, c = Buffer.byteLength(s, 'latin1') - b;
    const br = `${String(a).padEnd(10)} ${String(b).padEnd(10)} ${String(c).padEnd(10)}`;
    s = s.replace('########## ########## ##########', br);
    const buf = Buffer.from(s, 'latin1');
    fs.writeFileSync(f('foreign.data'), Buffer.concat([buf.subarray(0, a), buf.subarray(b)]));
    const r = openssl(['cms', '-sign', '-binary', '-outform', 'DER', '-md', 'sha256', '-nosmimecap',
        '-signer', f('other.crt'), '-inkey', f('other.key'), '-in', f('foreign.data'), '-out', f('foreign.p7s')]);
    assert.equal(r.status, 0, r.stderr);
    const hex = fs.readFileSync(f('foreign.p7s')).toString('hex').toUpperCase();
    buf.write(hex, a + 1, 'latin1');
    return buf;
}

/* the stamp's own revision alone (--level B-T): these checks are of §1's
 * update covering the whole file; the B-LT revision after it is
 * stamp_lt.test.js's */
function stamp(input, output, page, x, y, extra = null, env = mediaEnv) {
    const key = extra || signer;
    return run(TOOL, ['sign', '--in', input, '--out', output, '--seal', f('seal.seseal'), ...key,
        '--page', String(page), '--x', String(x), '--y', String(y), '--tsa', `${HALL}/tsa`, '--pin-fd', '0',
        '--level', 'B-T'],
    { input: `${pin}\n`, env: { ...env, LANG: 'zh_CN.UTF-8' } });
}

function verifyTool(file) {
    return run(TOOL, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'), '--ca', f('ecc.crt'),
        '--ca', f('sm2.crt'), file], { env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
}

function pdfsig(file) {
    const r = run('pdfsig', ['-nssdir', `sql:${f('nss')}`, '-no-ocsp', file]);
    return r.stdout + r.stderr;
}

/* the signatures' blocks of pdfsig's answer, in order.  poppler 22.12
 * (Debian 12) judges a certificate by PORT_GetError() after
 * CERT_PKIXVerifyCert without looking at its result (SignatureHandler::
 * validateCertificate), so in a file of several signatures a later one can
 * report a stale NSS error ("Unknown issue with Certificate"): "Certificate
 * is Trusted" is asserted for a run's first signature, and every
 * signature's chain to the hall's root by openssl cms -verify -CAfile. */
function pdfsigBlocks(file) {
    return pdfsig(file).split(/Signature #\d+:/).slice(1);
}

/* the n-th /ByteRange of the file and its CMS */
function rangesOf(buf, n = 0) {
    const s = buf.toString('latin1');
    const all = [...s.matchAll(/\/ByteRange \[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
    const [, a, b, c, d] = all[n].map(Number);
    const hex = buf.subarray(b, c).toString('latin1').slice(1, -1);
    const der = Buffer.from(hex, 'hex');
    const top = derNode(der, 0);
    return { a, b, c, d, data: Buffer.concat([buf.subarray(a, a + b), buf.subarray(c, c + d)]), cms: der.subarray(0, top.end) };
}

/* openssl cms -verify over the ranges; openssl ts -verify on the token */
function opensslChecks(file, n = 0) {
    const r = rangesOf(fs.readFileSync(file), n);
    fs.writeFileSync(f('ranges.bin'), r.data);
    fs.writeFileSync(f('cms.der'), r.cms);
    const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', f('cms.der'), '-content', f('ranges.bin'),
        '-CAfile', f('root.crt'), '-purpose', 'any', '-out', '/dev/null']);
    /* SignerInfo: its signature value and the unsigned timeStampToken */
    const der = r.cms;
    const ci = derChildren(derNode(der, 0), der);
    const sd = derChildren(derNode(der, ci[1].off + ci[1].hdr), der);
    const si = derChildren(derChildren(sd[sd.length - 1], der)[0], der);
    const sigValue = si.find((x) => x.tag === 0x04).body;
    const unsigned = si.find((x) => x.tag === 0xa1);
    const attr = derChildren(unsigned, der)[0];
    const token = derChildren(derChildren(attr, der)[1], der)[0].raw;
    fs.writeFileSync(f('sigvalue.bin'), sigValue);
    fs.writeFileSync(f('token.der'), token);
    const ts = openssl(['ts', '-verify', '-token_in', '-in', f('token.der'), '-data', f('sigvalue.bin'),
        '-CAfile', f('root.crt'), '-untrusted', f('tsa.crt')]);
    return { cms, ts, sigValue };
}

before(async () => {
    ({ pin, signer, env: mediaEnv } = await producedSeal(dir, { medium: true }));
    await fetchPki(dir);
    fs.writeFileSync(f('tsa.crt'), Buffer.from(await (await fetch(`${HALL}/pki/tsa.crt`)).arrayBuffer()));
    fs.mkdirSync(f('nss'));
    assert.equal(run('certutil', ['-N', '-d', `sql:${f('nss')}`, '--empty-password']).status, 0);
    assert.equal(run('certutil', ['-A', '-d', `sql:${f('nss')}`, '-n', 'hall-root', '-t', 'CT,C,C',
        '-i', f('root.crt')]).status, 0);
    fs.writeFileSync(f('plain.pdf'), pdfOf(3));
});

test('stamp__table_pdf__pdfsig_trusted_mutool_qpdf_openssl_agree__tool_verify_valid__one_byte_changed_all_say_invalid', () => {
    const r = stamp(f('plain.pdf'), f('stamped.pdf'), 1, 105, 200);
    assert.equal(r.status, 0, r.stderr);
    /* an incremental update: the input is the output's beginning */
    const input = fs.readFileSync(f('plain.pdf')), out = fs.readFileSync(f('stamped.pdf'));
    assert.ok(out.subarray(0, input.length).equals(input));
    const sig = pdfsig(f('stamped.pdf'));
    assert.match(sig, /Signature is Valid/, sig);
    assert.match(sig, /Certificate is Trusted/, sig);
    assert.match(sig, /Total document signed/, sig);
    assert.match(sig, /ETSI\.CAdES\.detached/);
    const mu = run('mutool', ['sign', '-v', f('stamped.pdf')]);
    assert.match(mu.stdout + mu.stderr, /The document is unchanged since signing/, mu.stdout + mu.stderr);
    assert.equal(run('qpdf', ['--check', f('stamped.pdf')]).status, 0);
    const o = opensslChecks(f('stamped.pdf'));
    assert.equal(o.cms.status, 0, o.cms.stderr);
    assert.match(o.cms.stderr, /Verification successful/);
    assert.equal(o.ts.status, 0, o.ts.stdout + o.ts.stderr);
    assert.match(o.ts.stdout, /Verification: OK/);
    const v = verifyTool(f('stamped.pdf'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：有效/);
    assert.match(v.stdout, /印章: \S+ \S+/);

    /* one byte of the page's text changed, inside the first range */
    const bad = Buffer.from(out);
    const at = bad.indexOf('Contract page 1');
    bad[at] = 'K'.charCodeAt(0);
    fs.writeFileSync(f('tampered.pdf'), bad);
    const sig2 = pdfsig(f('tampered.pdf'));
    assert.doesNotMatch(sig2, /Signature is Valid/, sig2);
    const mu2 = run('mutool', ['sign', '-v', f('tampered.pdf')]);
    assert.doesNotMatch(mu2.stdout + mu2.stderr, /unchanged since signing/);
    assert.notEqual(opensslChecks(f('tampered.pdf')).cms.status, 0);
    const v2 = verifyTool(f('tampered.pdf'));
    assert.equal(v2.status, 1, v2.stdout + v2.stderr);
    assert.match(v2.stdout, /签章1：文档已被修改/);
});

test('stamp__rendered_where_placed__red_seal_pixels_inside_its_42mm_box_only', () => {
    /* page 1 at 72 dpi: a point is a pixel; the seal's centre at 105 mm,
     * 200 mm from the top, 42 mm (119 px) wide */
    const r = run('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', f('stamped.pdf'), f('page')]);
    assert.equal(r.status, 0, r.stderr);
    const ppm = fs.readFileSync(fs.readdirSync(dir).filter((n) => /^page-?\d*\.ppm$/.test(n)).map(f)[0]);
    const head = ppm.toString('latin1', 0, 20).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
    const w = Number(head[1]), h = Number(head[2]), px = ppm.subarray(head[0].length);
    const cx = 105 * 72 / 25.4, cy = 200 * 72 / 25.4, half = 42 * 72 / 25.4 / 2;
    let inside = 0, outside = 0, minX = w, maxX = 0, minY = h, maxY = 0;
    for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
            const i = (y * w + x) * 3;
            const red = px[i] > 150 && px[i + 1] < 110 && px[i + 2] < 110;
            if (!red)
                continue;
            if (Math.abs(x - cx) <= half + 1 && Math.abs(y - cy) <= half + 1) {
                inside++;
                minX = Math.min(minX, x); maxX = Math.max(maxX, x);
                minY = Math.min(minY, y); maxY = Math.max(maxY, y);
            } else {
                outside++;
            }
        }
    assert.ok(inside > 500, `red pixels of the seal: ${inside}`);
    assert.equal(outside, 0);
    /* the impression spans most of its box, centred on the point */
    assert.ok(maxX - minX > half, `${minX}-${maxX}`);
    assert.ok(Math.abs((minX + maxX) / 2 - cx) < 6 && Math.abs((minY + maxY) / 2 - cy) < 6,
        `centre ${(minX + maxX) / 2},${(minY + maxY) / 2} against ${cx},${cy}`);
});

test('stamp__xref_stream_pdf__two_stamps__both_valid_everywhere', () => {
    assert.equal(run('qpdf', ['--object-streams=generate', f('plain.pdf'), f('objstm.pdf')]).status, 0);
    assert.match(fs.readFileSync(f('objstm.pdf')).toString('latin1'), /\/Type\s*\/XRef/);
    let r = stamp(f('objstm.pdf'), f('objstm-1.pdf'), 1, 60, 60);
    assert.equal(r.status, 0, r.stderr);
    r = stamp(f('objstm-1.pdf'), f('objstm-2.pdf'), 2, 150, 250);
    assert.equal(r.status, 0, r.stderr);
    const tail = fs.readFileSync(f('objstm-2.pdf')).toString('latin1').slice(-400);
    assert.match(tail, /\/Type \/XRef \/W \[1 4 2\]/, 'the update\'s cross-reference is a stream too');
    const blocks = pdfsigBlocks(f('objstm-2.pdf'));
    assert.equal(blocks.length, 2);
    for (const b of blocks)
        assert.match(b, /Signature is Valid/, b);
    assert.match(blocks[0], /Certificate is Trusted/, blocks[0]);
    assert.match(blocks[1], /Total document signed/);
    assert.equal(run('qpdf', ['--check', f('objstm-2.pdf')]).status, 0);
    const mu = run('mutool', ['sign', '-v', f('objstm-2.pdf')]).stdout;
    assert.match(mu, /The document is unchanged since signing/, mu);
    assert.equal(opensslChecks(f('objstm-2.pdf'), 0).cms.status, 0);
    assert.equal(opensslChecks(f('objstm-2.pdf'), 1).cms.status, 0);
    const v = verifyTool(f('objstm-2.pdf'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：有效[\s\S]*其后追加了1个签章[\s\S]*签章2：有效/);
});

test('stamp__pdf_signed_by_someone_else__theirs_stays_valid__200_pages__last_page', () => {
    fs.writeFileSync(f('foreign.pdf'), foreignSigned());
    assert.match(pdfsig(f('foreign.pdf')), /Signature is Valid/);
    let r = stamp(f('foreign.pdf'), f('foreign-stamped.pdf'), 2, 100, 100);
    assert.equal(r.status, 0, r.stderr);
    const blocks = pdfsigBlocks(f('foreign-stamped.pdf'));
    assert.equal(blocks.length, 2);
    assert.match(blocks[0], /Signature is Valid/, 'the other signer\'s signature stays valid');
    assert.match(blocks[1], /Signature is Valid/);
    assert.match(blocks[1], /Total document signed/);
    assert.equal(opensslChecks(f('foreign-stamped.pdf'), 1).cms.status, 0, 'the stamp chains to the hall\'s root');
    assert.equal(run('qpdf', ['--check', f('foreign-stamped.pdf')]).status, 0);
    const v = verifyTool(f('foreign-stamped.pdf'));
    assert.match(v.stdout, /签章1：非本CA签发/);
    assert.match(v.stdout, /签章2：有效/);
    assert.equal(v.status, 1, 'not every signature is a valid stamp');
    assert.match(v.stdout, /域: Other/);

    fs.writeFileSync(f('long.pdf'), pdfOf(200));
    r = stamp(f('long.pdf'), f('long-stamped.pdf'), 200, 150, 250);
    assert.equal(r.status, 0, r.stderr);
    assert.match(pdfsig(f('long-stamped.pdf')), /Signature is Valid/);
    const lv = verifyTool(f('long-stamped.pdf'));
    assert.equal(lv.status, 0, lv.stdout);
    assert.match(lv.stdout, /页码: 200/);
});

test('stamp__encrypted_damaged_bad_page_wrong_pin__refused_in_chinese_nothing_written', () => {
    assert.equal(run('qpdf', ['--encrypt', 'u', 'o', '256', '--', f('plain.pdf'), f('enc.pdf')]).status, 0);
    let r = stamp(f('enc.pdf'), f('enc-out.pdf'), 1, 100, 100);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /PDF文件已加密/);
    assert.equal(fs.existsSync(f('enc-out.pdf')), false);
    const plain = fs.readFileSync(f('plain.pdf'));
    fs.writeFileSync(f('damaged.pdf'), plain.subarray(0, plain.length - 200));
    r = stamp(f('damaged.pdf'), f('damaged-out.pdf'), 1, 100, 100);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /PDF文件已损坏/);
    assert.equal(fs.existsSync(f('damaged-out.pdf')), false);
    assert.equal(verifyTool(f('damaged.pdf')).status, 3);
    r = stamp(f('plain.pdf'), f('x.pdf'), 9, 100, 100);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /页码超出范围：该文档共3页/);
    r = stamp(f('plain.pdf'), f('x.pdf'), 1, 500, 100);
    assert.match(r.stderr, /盖章位置超出第1页的范围/);
    const saved = pin;
    pin = '00000000';
    r = stamp(f('plain.pdf'), f('x.pdf'), 1, 100, 100);
    pin = saved;
    assert.equal(r.status, 3);
    assert.match(r.stderr, /PIN码错误/);
    assert.equal(fs.existsSync(f('x.pdf')), false);
    /* the PIN is never an argument */
    const help = run(TOOL, ['--help', '--lang', 'en']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /never from the command line/);
    assert.match(run(TOOL, ['--help'], { env: { ...process.env, LANG: 'zh_CN.UTF-8' } }).stdout, /不接受命令行中的PIN码/);
    assert.match(run(TOOL, ['--version']).stdout, /^hall-stamp \d+\.\d+/);
});

test('stamp__pkcs11_usb_key__the_key_born_in_it__same_checks_pass', () => {
    /* the seal's key where 制作证书 made it, on the USB key (PKCS#11), named by its label */
    const r = stamp(f('plain.pdf'), f('token.pdf'), 1, 105, 200,
        [...signer.slice(0, signer.indexOf('--key-label')), '--key-label', 'hall', '--chain', f('ecc.crt')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const sig = pdfsig(f('token.pdf'));
    assert.match(sig, /Signature is Valid/, sig);
    assert.match(sig, /Certificate is Trusted/, sig);
    assert.match(run('mutool', ['sign', '-v', f('token.pdf')]).stdout, /unchanged since signing/);
    assert.equal(run('qpdf', ['--check', f('token.pdf')]).status, 0);
    const o = opensslChecks(f('token.pdf'));
    assert.equal(o.cms.status, 0, o.cms.stderr);
    assert.equal(o.ts.status, 0, o.ts.stdout + o.ts.stderr);
    const v = verifyTool(f('token.pdf'));
    assert.equal(v.status, 0, v.stdout);
    assert.match(v.stdout, /签章1：有效/);
});

/* ---- inputs from other programs: a LibreOffice export, a scan ------------- */

/* pdftoppm's page at 72 dpi: the red pixels inside and outside a 42 mm box
 * centred (x, y) mm from the top-left */
function redAround(file, page, xmm, ymm) {
    const base = f(`red-${page}-${path.basename(file, '.pdf')}`);
    const r = run('pdftoppm', ['-r', '72', '-f', String(page), '-l', String(page), '-singlefile', file, base]);
    assert.equal(r.status, 0, r.stderr);
    const ppm = fs.readFileSync(`${base}.ppm`);
    const head = ppm.toString('latin1', 0, 20).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
    const w = Number(head[1]), h = Number(head[2]), px = ppm.subarray(head[0].length);
    const cx = xmm * 72 / 25.4, cy = ymm * 72 / 25.4, half = 42 * 72 / 25.4 / 2;
    let inside = 0, outside = 0;
    for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
            const i = (y * w + x) * 3;
            if (!(px[i] > 150 && px[i + 1] < 110 && px[i + 2] < 110))
                continue;
            if (Math.abs(x - cx) <= half + 1 && Math.abs(y - cy) <= half + 1)
                inside++;
            else
                outside++;
        }
    return { inside, outside };
}

/* what pdfsig, mutool, qpdf and hall-stamp verify say of a file stamped once */
function judgedValid(file) {
    const sig = pdfsig(file);
    assert.match(sig, /Signature is Valid/, sig);
    assert.match(sig, /Certificate is Trusted/, sig);
    assert.match(sig, /Total document signed/, sig);
    const mu = run('mutool', ['sign', '-v', file]);
    assert.match(mu.stdout + mu.stderr, /The document is unchanged since signing/, mu.stdout + mu.stderr);
    assert.equal(run('qpdf', ['--check', file]).status, 0);
    const v = verifyTool(file);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：有效/);
}

test('stamp__libreoffice_export__last_page_stamped_text_intact_every_verifier_valid', () => {
    /* tests/data/pdf/README.md: LibreOffice 7.4 Writer, CJK fonts embedded */
    const input = path.join(ROOT, 'tests/data/pdf/libreoffice-contract.pdf');
    const r = stamp(input, f('lo-stamped.pdf'), 3, 60, 120);
    assert.equal(r.status, 0, r.stderr);
    const inb = fs.readFileSync(input), out = fs.readFileSync(f('lo-stamped.pdf'));
    assert.ok(out.subarray(0, inb.length).equals(inb));
    judgedValid(f('lo-stamped.pdf'));
    /* the contract still reads as it did, on every page */
    const text = run('pdftotext', ['-layout', f('lo-stamped.pdf'), '-']).stdout;
    assert.match(text, /数字证书服务采购合同/);
    assert.match(text, /甲方（盖章）/);
    assert.equal(text, run('pdftotext', ['-layout', input, '-']).stdout);
    const red = redAround(f('lo-stamped.pdf'), 3, 60, 120);
    assert.ok(red.inside > 500, `red pixels of the seal: ${red.inside}`);
    assert.equal(red.outside, 0);
    assert.equal(redAround(f('lo-stamped.pdf'), 1, 60, 120).inside, 0);
});

/* a JPEG's size from its SOF marker */
function jpegSize(buf) {
    for (let i = 2; i + 9 < buf.length;) {
        const marker = buf[i + 1], len = buf.readUInt16BE(i + 2);
        if (marker >= 0xc0 && marker <= 0xc3)
            return { h: buf.readUInt16BE(i + 5), w: buf.readUInt16BE(i + 7), comps: buf[i + 9] };
        i += 2 + len;
    }
    throw new Error('no SOF in the JPEG');
}

test('stamp__image_only_scan__stamped_over_the_picture__every_verifier_valid', () => {
    /* a scan: the contract's first page as a JPEG at 100 dpi, the only
     * thing on an A4 page (no text, no font) */
    const r0 = run('pdftoppm', ['-r', '100', '-gray', '-jpeg', '-f', '1', '-l', '1', '-singlefile',
        path.join(ROOT, 'tests/data/pdf/libreoffice-contract.pdf'), f('scan')]);
    assert.equal(r0.status, 0, r0.stderr);
    const jpg = fs.readFileSync(f('scan.jpg'));
    const { w, h, comps } = jpegSize(jpg);
    const space = comps === 1 ? 'gray' : 'rgb';
    const content = 'q 595.28 0 0 841.89 0 0 cm /Im0 Do Q';
    const objs = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>',
        null,
        `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    ];
    const parts = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
    const off = [];
    let len = parts[0].length;
    objs.forEach((body, k) => {
        off.push(len);
        const b = body !== null
            ? Buffer.from(`${k + 1} 0 obj\n${body}\nendobj\n`, 'latin1')
            : Buffer.concat([Buffer.from(`${k + 1} 0 obj\n<< /Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /Device${comps === 1 ? 'Gray' : 'RGB'} /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpg.length} >>\nstream\n`, 'latin1'),
                jpg, Buffer.from('\nendstream\nendobj\n', 'latin1')]);
        parts.push(b);
        len += b.length;
    });
    let xref = `xref\n0 ${objs.length + 1}\n0000000000 65535 f\r\n`;
    for (const o of off)
        xref += `${String(o).padStart(10, '0')} 00000 n\r\n`;
    parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${len}\n%%EOF\n`, 'latin1'));
    fs.writeFileSync(f('scan.pdf'), Buffer.concat(parts));
    assert.equal(run('qpdf', ['--check', f('scan.pdf')]).status, 0);
    assert.equal(run('pdftotext', [f('scan.pdf'), '-']).stdout.trim(), '');

    const r = stamp(f('scan.pdf'), f('scan-stamped.pdf'), 1, 150, 240);
    assert.equal(r.status, 0, r.stderr);
    judgedValid(f('scan-stamped.pdf'));
    /* the seal over the picture where it was put, the picture still there */
    const red = redAround(f('scan-stamped.pdf'), 1, 150, 240);
    assert.ok(red.inside > 500, `red pixels of the seal: ${red.inside}`);
    assert.equal(red.outside, 0);
    const img = run('pdfimages', ['-list', f('scan-stamped.pdf')]).stdout;
    assert.match(img, new RegExp(`\\bimage\\s+${w}\\s+${h}\\s+${space}\\b`), img);
});
