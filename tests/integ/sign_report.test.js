'use strict';
/*
 * 验签报告 (issue 53 §5; docs/modules/sign.md, "验签报告"): POST
 * /sign/verify?report=pdf through nginx answers the verdict as a PDF.
 * pdftotext reads in it the document's SHA-256, the signer's serial, the
 * seal's esID, the level and the verdict.  The report is itself a stamp
 * of the hall: its 验签专用章 by the certificate "<ecc CA> 验签报告" the
 * ecc CA issued (hall-pkitool report, its key in its own token),
 * timestamped, PAdES B-LT; /sign/verify, hall-stamp verify and pdfsig
 * (trusting the hall's root only) find it valid, and one byte changed
 * makes it 文档已被修改.  The report's signer stamps nothing else: not
 * 免费体验, not a certificate to log in with.  A stamped document changed
 * afterwards gets a report saying 文档已被修改 and what changed; bad input
 * gets /sign/verify's JSON refusals.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL, Client } = require('./lib/client');
const { fetchPki } = require('./lib/pki');
const { makePdf, verifyPdf, tryStamp, hallSeals, stampWith, tmpdir, nssTrusting, pdfsig, HALL_STAMP } =
    require('./lib/stamp');

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

/* the report's signer as pki_dir/report.crt holds it (hall-pkitool report) */
function reportCert() {
    const dirOf = fs.readFileSync(process.env.HALL_CONF, 'utf8').match(/^pki_dir = (.*)$/m)[1];
    const pem = fs.readFileSync(path.join(dirOf, 'report.crt'));
    return { pem, x: new crypto.X509Certificate(pem), dir: dirOf };
}

/* openssl's words for the report's certificate */
function certText() {
    const r = spawnSync('openssl', ['x509', '-noout', '-text', '-in', path.join(reportCert().dir, 'report.crt')],
        { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
}

/* the report with one byte of what its stamp signed changed: the middle
 * of the first /ByteRange (the report's drawing) */
function oneByteChanged(pdf) {
    const m = pdf.toString('latin1').match(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)/);
    const bad = Buffer.from(pdf);
    bad[Math.floor(Number(m[2]) / 2)] ^= 1;
    return bad;
}

test('report__itself__the_halls_验签专用章_有效_B_LT_by_sign_verify', async () => {
    const r = await reportOf(signed);
    assert.equal(r.status, 200);
    const v = await verifyPdf(r.body);
    assert.equal(v.status, 200, v.text);
    const { x } = reportCert();
    assert.equal(v.body.result.count, 1, 'one signature: the report\'s stamp, no document timestamp');
    const [s] = v.body.result.stamps;
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.is_stamp, true);
    assert.equal(s.level, 'B-LT', JSON.stringify(s.evidence));
    /* nothing said of it but where its revocation evidence came from: no
     * 本系统未登记该签章人证书 / 该印章, no widget over text */
    assert.ok(s.notes.length <= 1, JSON.stringify(s.notes));
    for (const n of s.notes)
        assert.match(n, /^依据文件内嵌的吊销信息（CRL，.*）：签章时签章人证书未被吊销/);
    assert.equal(s.evidence.source, 'CRL', JSON.stringify(s.evidence));
    assert.equal(s.evidence.embedded, true);
    assert.match(s.signing_time, /^\d{4}-/);
    assert.match(s.signer.subject, /CN=Hall Demo ECC CA 验签报告/);
    /* a serial as hex, its leading zeros left out: the verifier prints
     * whole bytes (06FD...), node's X509Certificate as it likes */
    assert.equal(s.signer.serial.replace(/^0+/, ''), x.serialNumber.replace(/^0+/, ''));
    assert.match(s.signer.issuer, /CN=Hall Demo ECC CA/);
    assert.equal(s.seal.name, '验签专用章');
    assert.match(s.seal.es_id, /^REPORT[0-9A-F]+$/);
    for (const [k, c] of Object.entries(s.checks))
        assert.equal(c, 'pass', `${k}: ${JSON.stringify(s.checks)}`);
    assert.equal(s.signer_state.now, '有效（本CA验签报告证书）');
    assert.equal(s.seal_state.state, 'valid');
    /* its certificate: a document signer of the ecc CA, nothing more */
    const text = certText();
    assert.match(text, /Digital Signature, Non Repudiation/);
    assert.doesNotMatch(text, /TLS Web Client|Certificate Sign|CA:TRUE|OCSP - URI/);
    assert.ok(x.checkIssued(new crypto.X509Certificate(fs.readFileSync(f('ecc.crt')))));
    /* the text says who signed it */
    assert.match(textOf(r.body, 'signed.pdf'), /以验签专用章签署/);

    /* one byte of the report changed: the verifier says so */
    const w = await verifyPdf(oneByteChanged(r.body));
    assert.equal(w.status, 200, w.text);
    assert.equal(w.body.result.stamps[0].state, '文档已被修改');
});

test('report__itself__有效_by_hall_stamp_verify_and_pdfsig_trusting_the_root', async () => {
    const r = await reportOf(signed);
    assert.equal(r.status, 200);
    fs.writeFileSync(f('report.pdf'), r.body);
    /* hall-stamp verify, as a recipient runs it: the hall's roots, its
     * status asked of the hall the certificate names */
    const t = spawnSync(HALL_STAMP, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'),
        '--ca', f('sm2.crt'), f('report.pdf')], { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
    assert.equal(t.status, 0, `${t.stdout}${t.stderr}`);
    assert.match(t.stdout, /签章1：有效/, t.stdout);
    assert.doesNotMatch(t.stdout, /未核验/, 'the seal maker\'s signature checked');
    assert.match(t.stdout, /验签专用章/);
    assert.match(t.stdout, /Hall Demo ECC CA 验签报告/);
    assert.doesNotMatch(t.stdout, /未登记|未能查询/, t.stdout);
    /* openssl, apart from both: the CMS over the report's /ByteRange
     * verifies and chains to the hall's root */
    const t2 = r.body.toString('latin1');
    const m = t2.match(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/);
    const [a, l1, c, l2] = m.slice(1).map(Number);
    fs.writeFileSync(f('signed.bin'), Buffer.concat([r.body.subarray(a, a + l1), r.body.subarray(c, c + l2)]));
    const cms = Buffer.from(t2.slice(a + l1 + 1, c - 1), 'hex');
    const n = cms[1] & 0x80 ? 2 + (cms[1] & 0x7f) : 2;
    const len = cms[1] & 0x80 ? cms.subarray(2, n).reduce((x, y) => x * 256 + y, 0) : cms[1];
    fs.writeFileSync(f('sig.der'), cms.subarray(0, n + len));
    const o = spawnSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', f('sig.der'), '-binary',
        '-content', f('signed.bin'), '-CAfile', f('root.crt'), '-certfile', f('ecc.crt'), '-purpose', 'any',
        '-out', '/dev/null'], { encoding: 'utf8' });
    assert.match(`${o.stdout}${o.stderr}`, /CMS Verification successful/);
    /* poppler (NSS) trusting the hall's root alone */
    const out = pdfsig(nssTrusting(f('root.crt')), f('report.pdf'));
    assert.match(out, /Signature Validation: Signature is Valid/, out);
    assert.match(out, /Certificate Validation: Certificate is Trusted/, out);
    assert.match(out, /Hall Demo ECC CA 验签报告/, out);
    /* a byte changed: pdfsig sees it too */
    fs.writeFileSync(f('bad.pdf'), oneByteChanged(r.body));
    assert.doesNotMatch(pdfsig(nssTrusting(f('root.crt')), f('bad.pdf')), /Signature is Valid/);
});

test('report__hall_stamp_report__the_tool_fetches_the_halls_report_and_keeps_it_only_whole', () => {
    const env = { ...process.env, LANG: 'zh_CN.UTF-8' };
    fs.writeFileSync(f('doc.pdf'), signed);
    /* the hall the stamp's certificate names: no --hall */
    const r = spawnSync(HALL_STAMP, ['report', f('doc.pdf')], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const out = f('doc.pdf.验签报告.pdf');
    assert.match(r.stdout, /验签报告：.*doc\.pdf\.验签报告\.pdf/, r.stdout);
    const t = textOf(fs.readFileSync(out), 'tool-report.pdf');
    assert.ok(t.includes(crypto.createHash('sha256').update(signed).digest('hex')), t);
    assert.match(t, /共1个签章，1个有效：全部有效/);
    const v = spawnSync(HALL_STAMP, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'),
        '--ca', f('sm2.crt'), out], { encoding: 'utf8', env });
    assert.equal(v.status, 0, `${v.stdout}${v.stderr}`);
    assert.match(v.stdout, /签章1：有效/);
    assert.match(v.stdout, /验签专用章/);
    /* --hall and --out; a changed document gets its report too */
    const changed = rewritePage1(signed);
    fs.writeFileSync(f('changed.pdf'), changed);
    const c = spawnSync(HALL_STAMP, ['report', '--hall', HALL, '--out', f('changed-report.pdf'), f('changed.pdf')],
        { encoding: 'utf8', env });
    assert.equal(c.status, 0, `${c.stdout}${c.stderr}`);
    assert.match(textOf(fs.readFileSync(f('changed-report.pdf')), 'changed-report.pdf'), /文档已被修改/);
    /* the hall refuses a file that is not a PDF: its words, status 3, no file */
    fs.writeFileSync(f('not.pdf'), 'hello');
    const bad = spawnSync(HALL_STAMP, ['report', '--hall', HALL, '--out', f('not-report.pdf'), f('not.pdf')],
        { encoding: 'utf8', env });
    assert.equal(bad.status, 3, `${bad.stdout}${bad.stderr}`);
    assert.match(bad.stderr, /营业厅未出具验签报告（HTTP 400）：.*PDF/);
    assert.equal(fs.existsSync(f('not-report.pdf')), false);
    /* no hall answering: status 3, no file; no stamp naming a hall: 2 */
    const gone = spawnSync(HALL_STAMP, ['report', '--hall', 'http://127.0.0.1:9', '--out', f('gone.pdf'),
        f('doc.pdf')], { encoding: 'utf8', env });
    assert.equal(gone.status, 3, `${gone.stdout}${gone.stderr}`);
    assert.match(gone.stderr, /无法连接http:\/\/127\.0\.0\.1:9/);
    assert.equal(fs.existsSync(f('gone.pdf')), false);
    fs.writeFileSync(f('plain.pdf'), doc);
    const none = spawnSync(HALL_STAMP, ['report', f('plain.pdf')], { encoding: 'utf8', env });
    assert.equal(none.status, 2, `${none.stdout}${none.stderr}`);
    assert.match(none.stderr, /请用 --hall 指定/);
});

test('report__signer__stamps_nothing_else_and_lives_in_its_own_token', async () => {
    const { x, dir: pki } = reportCert();
    const serial = x.serialNumber.replace(/^0+/, '');
    /* 免费体验, the one endpoint that stamps with a key of the hall's:
     * the demo signer, never the report's */
    const c = new Client();
    const t = await tryStamp(c, makePdf({ text: 'try me' }));
    assert.equal(t.status, 200, t.text);
    const v = await verifyPdf(t.body);
    assert.equal(v.body.result.stamps[0].demo, true);
    assert.notEqual(v.body.result.stamps[0].signer.serial.replace(/^0+/, ''), serial);
    /* the report's certificate logs in nowhere and issues nothing */
    assert.equal(x.ca, false);
    assert.deepEqual([...x.keyUsage].sort(), ['1.3.6.1.5.5.7.3.36', '1.3.6.1.5.5.7.3.4']);
    assert.match(certText(), /E-mail Protection, 1\.3\.6\.1\.5\.5\.7\.3\.36|1\.3\.6\.1\.5\.5\.7\.3\.36, E-mail Protection|Document Signing/);
    /* its key is in the token report_token names, opened with a PIN of its
     * own (the module sign's only one), not the CA token's */
    const conf = fs.readFileSync(process.env.HALL_CONF, 'utf8');
    const get = (k) => conf.match(new RegExp(`^${k} = (.*)$`, 'm'))[1];
    assert.notEqual(fs.readFileSync(get('pkcs11_pin_file'), 'utf8').trim(),
        fs.readFileSync(get('report_pin_file'), 'utf8').trim());
    assert.ok(fs.existsSync(path.join(pki, 'report.seseal')));
    assert.ok(!fs.existsSync(path.join(pki, 'report.key')), 'no key file: the key is in its token');
});

test('report__pkitool_report_again__as_at_a_restart_keeps_key_certificate_and_seal', () => {
    const { dir: pki } = reportCert();
    const before = ['report.crt', 'report.seseal'].map((n) => fs.readFileSync(path.join(pki, n)));
    const r = spawnSync(path.join(__dirname, '..', '..', 'tools', 'pkitool', 'hall-pkitool'),
        ['-c', process.env.HALL_CONF, 'report'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /key kept in token "hall-report"; .*report\.crt kept/);
    ['report.crt', 'report.seseal'].forEach((n, i) =>
        assert.ok(fs.readFileSync(path.join(pki, n)).equals(before[i]), `${n} unchanged`));
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
