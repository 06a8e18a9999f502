'use strict';
/*
 * The 盖章工具 knows revocation (issue 50 §3; docs/internals/stamp.md §3,
 * "Revocation"; docs/modules/stamp.md): hall-stamp sign asks the hall's
 * OCSP responder (the URL in the signer's certificate) and the seal lookup
 * (GET /sign/seal-status) and refuses a revoked certificate, naming its
 * serial and reason, and a cancelled seal, writing nothing; hall-stamp
 * verify asks the same and gives /sign/verify's verdict: a signer revoked
 * or a seal cancelled after the stamp's timestamp leaves the stamp 有效
 * with the note (签章后吊销, 签章后注销), the same rule for both; with the
 * hall unreachable verify says it could not check, and sign refuses; an
 * OCSP answer the file keeps (/DSS, appended here as a B-LT writer would)
 * is believed first, so verify needs nothing online.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, fetchPki, operator, staffRevoke, ocspQuery } = require('./lib/pki');
const { makePdf, verifyPdf, hallSeals, stampWith, HALL_STAMP } = require('./lib/stamp');

const dir = tmpdir();
const f = (name) => path.join(dir, name);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
/* a port nothing listens on: the hall "unreachable" */
const DEAD = 'http://127.0.0.1:9';

before(async () => {
    await fetchPki(dir);
    fs.writeFileSync(f('doc.pdf'), makePdf({ pages: 1, text: 'revocation' }));
});

function sign(who, pin, out, extra = []) {
    return spawnSync(HALL_STAMP, ['sign', '--in', f('doc.pdf'), '--out', out, '--seal', who.seal,
        ...who.signer, '--page', '1', '--x', '100', '--y', '100', '--tsa', `${HALL}/tsa`,
        '--pin-fd', '0', ...extra], { input: `${pin}\n`, encoding: 'utf8', env: { ...who.env, LANG: 'zh_CN.UTF-8' } });
}

function verifyTool(buf, extra = []) {
    const file = path.join(tmpdir(), 'stamped.pdf');
    fs.writeFileSync(file, buf);
    const r = spawnSync(HALL_STAMP, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'),
        '--ca', f('ecc.crt'), '--ca', f('sm2.crt'), ...extra, file],
    { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
    return { ...r, out: r.stdout + r.stderr };
}

/* the serial as the hall shows it (certificates.serial): upper-case hex, whole bytes */
const hexSerial = (s) => s.toUpperCase();

test('sign__revoked_seal_certificate__refused_naming_serial_and_reason__nothing_written', async () => {
    const seals = await hallSeals();
    const out = f('revoked.pdf');
    assert.equal((await staffRevoke(seals.org_business.serial, 'keyCompromise')).status, 200);
    const r = sign(seals.org_business, seals.pin, out);
    assert.equal(r.status, 4, `hall-stamp sign with a revoked certificate: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`签章人证书（序列号 ${hexSerial(seals.org_business.serial)}）已于 \\d{4}-\\d{2}-\\d{2} [\\d:]+ 吊销（原因：密钥泄露）`));
    assert.match(r.stderr, /未盖章/);
    assert.equal(fs.existsSync(out), false, 'nothing written');
});

test('sign__seal_cancelled_in_the_hall__refused__its_certificate_still_good', async () => {
    const seals = await hallSeals();
    const op = await operator();
    /* the 机构章 signs with the order's 机构证书, which stays valid: the tool
     * learns of the 注销 from the hall's seal lookup */
    assert.equal((await op.post('/admin/seal/revoke', { es_id: seals.org.esId, reason: '印章停用' })).status, 200);
    const out = f('cancelled.pdf');
    const r = sign(seals.org, seals.pin, out);
    assert.equal(r.status, 4, `hall-stamp sign with a cancelled seal: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`印章（编码 ${seals.org.esId}）已于 \\d{4}-\\d{2}-\\d{2} [\\d:]+ 注销，不能再盖章`));
    assert.equal(fs.existsSync(out), false, 'nothing written');
    /* what the tool asked */
    const st = await (await fetch(`${HALL}/sign/seal-status?es_id=${seals.org.esId}`)).json();
    assert.equal(st.seal.state, 'revoked', JSON.stringify(st));
    assert.equal(st.seal.es_id, seals.org.esId);
    assert.ok(st.seal.revoked_s > 0, JSON.stringify(st));
    /* the other seal of the order, valid, still stamps */
    const ok = sign(seals.org_business, seals.pin, f('still.pdf'));
    assert.equal(ok.status, 0, ok.stderr);
});

test('seal_status__bad_es_id__400_naming_field__unknown_seal__state_unknown', async () => {
    let res = await fetch(`${HALL}/sign/seal-status?es_id=${encodeURIComponent("x' OR 1=1")}`,
        { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).field, 'es_id');
    res = await fetch(`${HALL}/sign/seal-status?es_id=NOSUCHSEAL0001`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).seal.state, 'unknown');
});

test('verify__signer_revoked_and_seal_cancelled_after_the_stamp__有效_with_the_note__sign_verify_and_tool_agree', async () => {
    const seals = await hallSeals();
    const doc = makePdf({ pages: 1, text: 'contract before revocation' });
    const biz = stampWith(doc, seals.org_business, seals.pin);
    const org = stampWith(doc, seals.org, seals.pin);
    /* the timestamp has whole seconds: revoke a second later at least */
    await sleep(1100);
    const op = await operator();
    assert.equal((await staffRevoke(seals.org_business.serial, 'keyCompromise', op)).status, 200);
    assert.equal((await op.post('/admin/seal/revoke', { es_id: seals.org.esId, reason: '印章停用' })).status, 200);

    /* the signer's certificate revoked after the stamp */
    let r = await verifyPdf(biz);
    let s = r.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.note, '签章后吊销');
    let t = verifyTool(biz);
    assert.equal(t.status, 0, t.out);
    assert.match(t.out, /签章1：有效/);
    assert.match(t.out, /签章人证书状态: 已吊销于 .*密钥泄露；OCSP /);
    assert.match(t.out, /签章人证书于 .* 吊销，晚于签章时间：签章仍有效（签章后吊销）/);

    /* the seal cancelled after the stamp: the same rule, one verdict */
    r = await verifyPdf(org);
    s = r.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.note, '签章后注销');
    assert.match(s.seal_state.now, /^已注销（/);
    assert.ok(s.notes.some((n) => /印章于 .* 注销，晚于签章时间：签章仍有效（签章后注销）/.test(n)), JSON.stringify(s.notes));
    t = verifyTool(org);
    assert.equal(t.status, 0, t.out);
    assert.match(t.out, /签章1：有效/);
    assert.match(t.out, /印章于 .* 注销，晚于签章时间：签章仍有效（签章后注销）/);
});

test('verify__hall_unreachable__says_it_could_not_check__sign_refuses', async () => {
    const seals = await hallSeals();
    /* B-T: no evidence in the file (a B-LT one needs nothing online, stamp_lt.test.js) */
    const stamped = stampWith(makePdf({ pages: 1, text: 'offline' }), seals.org_business, seals.pin,
        { extra: ['--level', 'B-T'] });
    let t = verifyTool(stamped, ['--hall', DEAD]);
    assert.match(t.out, /签章1：有效/);
    assert.match(t.out, /未能查询签章人证书的吊销状态（.*127\.0\.0\.1:9.*）：需要联网查询吊销状态/);
    t = verifyTool(stamped, ['--offline']);
    assert.match(t.out, /需要联网查询吊销状态/);
    /* online, the same file: no such note */
    t = verifyTool(stamped);
    assert.equal(t.status, 0, t.out);
    assert.doesNotMatch(t.out, /需要联网查询吊销状态/);
    assert.match(t.out, /签章人证书状态: 有效（OCSP /);
    /* sign: the status cannot be learnt, so nothing is written */
    const out = f('offline.pdf');
    const r = sign(seals.org_business, seals.pin, out, ['--hall', DEAD]);
    assert.equal(r.status, 3, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`无法查询签章人证书（序列号 ${hexSerial(seals.org_business.serial)}）的吊销状态`));
    assert.equal(fs.existsSync(out), false, 'nothing written');
});

/* qpdf's text of an object of pdf */
function qpdfShow(pdf, what) {
    const file = path.join(tmpdir(), 'show.pdf');
    fs.writeFileSync(file, pdf);
    const r = spawnSync('qpdf', [`--show-object=${what}`, file], { encoding: 'latin1' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

/* pdf with a /DSS holding the OCSP answer (DER) in an incremental update:
 * the catalog again with /DSS, the DSS dictionary and the answer's stream */
function withDss(pdf, ocsp) {
    const trailer = qpdfShow(pdf, 'trailer');
    const root = Number(trailer.match(/\/Root (\d+) 0 R/)[1]);
    const size = Number(trailer.match(/\/Size (\d+)/)[1]);
    const prev = Number(pdf.subarray(pdf.length - 64).toString('latin1').match(/startxref\s+(\d+)/)[1]);
    const cat = qpdfShow(pdf, String(root)).replace(/^<</, `<< /DSS ${size} 0 R`);
    const objs = [[root, cat], [size, `<< /OCSPs [${size + 1} 0 R] >>`],
        [size + 1, `<< /Length ${ocsp.length} >>\nstream\n${ocsp.toString('latin1')}\nendstream`]];
    let text = pdf[pdf.length - 1] === 0x0a ? '' : '\n';
    const offs = {};
    for (const [n, body] of objs) {
        offs[n] = pdf.length + Buffer.byteLength(text, 'latin1');
        text += `${n} 0 obj\n${body}\nendobj\n`;
    }
    const xref = pdf.length + Buffer.byteLength(text, 'latin1');
    text += 'xref\n';
    for (const n of Object.keys(offs).map(Number).sort((a, b) => a - b))
        text += `${n} 1\n${String(offs[n]).padStart(10, '0')} 00000 n\r\n`;
    text += `trailer\n<< /Size ${size + 2} /Root ${root} 0 R /Prev ${prev} >>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.concat([pdf, Buffer.from(text, 'latin1')]);
}

test('verify__ocsp_answer_kept_in_the_file__believed_first__nothing_online__then_revoked_still_有效', async () => {
    const seals = await hallSeals();
    /* B-T, the /DSS appended here by hand (hall-stamp's own B-LT: stamp_lt.test.js) */
    const stamped = stampWith(makePdf({ pages: 1, text: 'long term' }), seals.org_business, seals.pin,
        { extra: ['--level', 'B-T'] });
    /* the answer made after the stamp's timestamp */
    await sleep(1100);
    const q = ocspQuery(dir, 'ecc', seals.org_business.serial);
    assert.ok(q.verified, q.out);
    const lt = withDss(stamped, fs.readFileSync(f('resp.der')));
    /* the DSS revision is one a later revision may add: still 有效 */
    const r = await verifyPdf(lt);
    assert.equal(r.body.result.stamps[0].state, '有效', JSON.stringify(r.body.result.stamps[0]));
    /* with the hall unreachable: the signer's status from the file */
    let t = verifyTool(lt, ['--hall', DEAD]);
    assert.equal(t.status, 0, t.out);
    assert.match(t.out, /签章1：有效/);
    assert.match(t.out, /签章人证书状态: 有效（文件内嵌OCSP答复，答复时间 \d{4}-/);
    assert.doesNotMatch(t.out, /需要联网查询吊销状态/);
    /* the seal's state is not in the file: said so */
    assert.match(t.out, /未能查询印章状态（/);
    /* the same file without the answer: it could not check */
    t = verifyTool(stamped, ['--offline']);
    assert.match(t.out, /文件中没有内嵌的吊销信息，未联网查询）：需要联网查询吊销状态/);
    /* the signer revoked afterwards: the kept answer still speaks for the signing time */
    assert.equal((await staffRevoke(seals.org_business.serial, 'keyCompromise')).status, 200);
    t = verifyTool(lt, ['--offline']);
    assert.equal(t.status, 0, t.out);
    assert.match(t.out, /签章1：有效/);
    assert.match(t.out, /文件内嵌OCSP答复/);
});
