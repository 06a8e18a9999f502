'use strict';
/*
 * 验签报告 (issue 53 §5; docs/modules/sign.md, "验签报告"): POST
 * /sign/verify?report=pdf through nginx answers the verdict as a PDF.
 * pdftotext reads in it the document's SHA-256, the signer's serial, the
 * seal's esID, the level and the verdict; the report carries a document
 * timestamp of the hall's /tsa, so that /sign/verify finds it 有效 and
 * openssl ts -verify accepts its token over the report's bytes; a stamped document changed
 * afterwards gets a report saying 文档已被修改 and what changed; bad input
 * gets /sign/verify's JSON refusals.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { fetchPki } = require('./lib/pki');
const { makePdf, verifyPdf, hallSeals, stampWith, tmpdir } = require('./lib/stamp');

const dir = tmpdir();
const f = (n) => path.join(dir, n);
let seals;
let doc;
let signed;

/* POST /sign/verify?report=pdf, multipart `file` */
async function reportOf(buf, { query = '?report=pdf', field = null } = {}) {
    const fd = new FormData();
    if (field !== null)
        fd.append('report', field);
    if (buf !== null)
        fd.append('file', new Blob([buf], { type: 'application/pdf' }), 'contract.pdf');
    const r = await fetch(`${HALL}/sign/verify${query}`, {
        method: 'POST', body: fd, headers: { Accept: 'application/json' },
    });
    const body = Buffer.from(await r.arrayBuffer());
    const type = r.headers.get('content-type') || '';
    return {
        status: r.status, type, body, disposition: r.headers.get('content-disposition') || '',
        json: type.startsWith('application/json') ? JSON.parse(body) : null,
    };
}

/* the report's text as pdftotext reads it, spaces and line breaks dropped
 * (pango wraps a long line where it likes) */
function textOf(pdf, name) {
    fs.writeFileSync(f(name), pdf);
    const r = spawnSync('pdftotext', ['-enc', 'UTF-8', f(name), '-'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.replace(/\s+/g, '');
}

/* pdf with its page 1's content stream (object 5 of makePdf) rewritten in
 * an incremental update, as an editor saving over a stamp does */
function rewritePage1(pdf) {
    const tail = pdf.subarray(pdf.length - 1024).toString('latin1');
    const prev = Number(tail.match(/startxref\s+(\d+)\s+%%EOF\s*$/)[1]);
    fs.writeFileSync(f('in.pdf'), pdf);
    const r = spawnSync('qpdf', ['--show-object=trailer', f('in.pdf')], { encoding: 'latin1' });
    assert.equal(r.status, 0, r.stderr);
    const root = r.stdout.match(/\/Root (\d+ \d+ R)/)[1];
    const size = Number(r.stdout.match(/\/Size (\d+)/)[1]);
    const body = 'BT /F1 18 Tf 72 760 Td (contract: the buyer pays 1000000 yuan) Tj ET\n';
    let text = pdf[pdf.length - 1] === 0x0a ? '' : '\n';
    const at = pdf.length + text.length;
    text += `5 0 obj\n<< /Length ${body.length} >>\nstream\n${body}endstream\nendobj\n`;
    const xref = pdf.length + Buffer.byteLength(text, 'latin1');
    text += `xref\n5 1\n${String(at).padStart(10, '0')} 00000 n\r\n`;
    text += `trailer\n<< /Size ${size} /Root ${root} /Prev ${prev} >>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.concat([pdf, Buffer.from(text, 'latin1')]);
}

before(async () => {
    seals = await hallSeals();
    doc = makePdf({ pages: 2, text: 'contract: the buyer pays 100 yuan' });
    signed = stampWith(doc, seals.org, seals.pin, { page: 1, x: 150, y: 240 });
    await fetchPki(dir);
});

test('report__hall_stamp__pdf_names_sha256_signer_seal_level_verdict', async () => {
    const r = await reportOf(signed);
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    assert.match(r.type, /^application\/pdf/);
    assert.match(r.disposition, /attachment/);
    assert.equal(r.body.subarray(0, 5).toString(), '%PDF-');
    const t = textOf(r.body, 'report.pdf');
    assert.match(t, /验签报告/);
    assert.ok(t.includes(crypto.createHash('sha256').update(signed).digest('hex')), t);
    assert.ok(t.includes(seals.org.serial), 'the signer\'s serial');
    assert.ok(t.includes(seals.org.esId), 'the seal\'s esID');
    assert.match(t, /签名级别：B-LT/);
    assert.match(t, /验证结论：有效/);
    assert.match(t, /签章时间（时间戳）：\d{4}-\d{2}-\d{2}\d{2}:\d{2}:\d{2}/);
    assert.match(t, /吊销证据：文件内OCSP答复：签章时未吊销/);
    assert.match(t, /共1个签章，1个有效：全部有效/);
    /* the seal's picture is in it as an image */
    fs.writeFileSync(f('img.pdf'), r.body);
    const img = spawnSync('pdfimages', ['-list', f('img.pdf')], { encoding: 'utf8' });
    assert.equal(img.status, 0, img.stderr);
    assert.ok(img.stdout.trim().split('\n').length >= 3, img.stdout);
    /* the same as the page's verdict: the JSON says 有效 too */
    const v = await verifyPdf(signed);
    assert.equal(v.body.result.stamps[0].state, '有效');

    /* a form's field `report=pdf` asks the same (the page's button) */
    const b = await reportOf(signed, { query: '', field: 'pdf' });
    assert.equal(b.status, 200);
    assert.match(b.type, /^application\/pdf/);
});

test('report__itself__有效_by_sign_verify_and_openssl_ts', async () => {
    const r = await reportOf(signed);
    assert.equal(r.status, 200);
    const v = await verifyPdf(r.body);
    assert.equal(v.status, 200, v.text);
    const [s] = v.body.result.stamps;
    assert.equal(v.body.result.count, 1);
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.level, 'DTS');
    assert.match(s.signing_time, /^\d{4}-/);
    /* openssl, apart from the hall's verifier: the token's imprint is the
     * SHA-256 of the report's /ByteRange and it chains to the hall's root */
    const t = r.body.toString('latin1');
    const m = t.slice(t.lastIndexOf('/ByteRange')).match(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/);
    const [a, l1, c, l2] = m.slice(1).map(Number);
    const digest = crypto.createHash('sha256')
        .update(r.body.subarray(a, a + l1)).update(r.body.subarray(c, c + l2)).digest('hex');
    const tok = Buffer.from(t.slice(a + l1 + 1, c - 1), 'hex');
    assert.equal(tok[0], 0x30);
    const n = tok[1] & 0x80 ? 2 + (tok[1] & 0x7f) : 2;
    const len = tok[1] & 0x80 ? tok.subarray(2, n).reduce((x, y) => x * 256 + y, 0) : tok[1];
    fs.writeFileSync(f('token.der'), tok.subarray(0, n + len));
    const o = spawnSync('openssl', ['ts', '-verify', '-digest', digest, '-in', f('token.der'), '-token_in',
        '-CAfile', f('root.crt')], { encoding: 'utf8' });
    assert.match(`${o.stdout}${o.stderr}`, /Verification: OK/);
    /* one byte of the report changed: the verifier says so */
    const bad = Buffer.from(r.body);
    const at = bad.indexOf('验签报告') > 0 ? bad.indexOf('验签报告') : 200;
    bad[at] ^= 1;
    const w = await verifyPdf(bad);
    assert.equal(w.status, 200, w.text);
    assert.equal(w.body.result.stamps[0].state, '文档已被修改');
});

test('report__document_changed_after_stamp__says_文档已被修改_and_the_change', async () => {
    const changed = rewritePage1(signed);
    const r = await reportOf(changed);
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    const t = textOf(r.body, 'changed.pdf');
    assert.match(t, /验证结论：文档已被修改/);
    assert.match(t, /第1页的内容被修改/);
    assert.match(t, /共1个签章，0个有效/);
    assert.ok(t.includes(crypto.createHash('sha256').update(changed).digest('hex')));
});

test('report__bad_input__the_json_refusals_of_sign_verify', async () => {
    let r = await reportOf(null);
    assert.equal(r.status, 400);
    assert.equal(r.json.field, 'file');
    assert.equal(r.json.message, '请选择要验证的PDF文件');
    r = await reportOf(Buffer.from('not a pdf at all'));
    assert.equal(r.status, 400);
    assert.equal(r.json.message, '所选文件不是PDF文档');
    r = await reportOf(makePdf({ text: 'never stamped' }));
    assert.equal(r.status, 400);
    assert.equal(r.json.message, '该PDF文档中没有电子签章或数字签名');
    r = await reportOf(Buffer.concat([Buffer.from('%PDF-1.7\n'), crypto.randomBytes(4096)]));
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^无法读取该PDF文档：/);
});
