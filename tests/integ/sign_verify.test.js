'use strict';
/*
 * 签名验证 (modules/sign, POST /sign/verify; docs/modules/sign.md) through
 * nginx: each stamp's state as the issue names them — 有效 for a hall seal
 * stamped by hall-stamp, 文档已被修改 after one byte changed, 非本CA签发
 * for a signature under another CA (openssl + mutool sign), 体验印章 for
 * the 免费体验 stamp, the signer revoked after stamping (有效, 签章后吊销)
 * and before (签章人证书已吊销（签章前）), the seal cancelled after the
 * stamp (有效, 签章后注销) and before (印章已注销): the timestamp decides —
 * and every unusable upload a 4xx naming the field `file`.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('./lib/client');
const { makePdf, verifyPdf, tryStamp, foreignSigned, hallSeals, stampWith } = require('./lib/stamp');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { tmpdir, operator, staffRevoke, psql } = require('./lib/pki');

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/* a 免费体验 stamp of a fresh PDF (the demo seal under the demo CA) */
async function demoStamped(text = 'verify me') {
    const c = new Client();
    const r = await tryStamp(c, makePdf({ pages: 1, text }));
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    return r.body;
}

test('verify__page__public_form_for_a_pdf', async () => {
    const r = await new Client().get('/sign/verify');
    assert.equal(r.status, 200);
    assert.match(r.text, /<form method="post" action="\/sign\/verify" enctype="multipart\/form-data"/);
    assert.match(r.text, /name="file"/);
    assert.match(r.text, /不超过20MB/);
});

test('verify__demo_stamp__体验印章_never_有效__multipart_and_raw_body_agree', async () => {
    const pdf = await demoStamped();
    const r = await verifyPdf(pdf);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.ok, true);
    const s = r.body.result.stamps;
    assert.equal(s.length, 1);
    assert.equal(s[0].state, '体验印章');
    assert.equal(s[0].valid, false);
    assert.equal(s[0].demo, true);
    assert.equal(s[0].seal.es_id, 'TRIAL0000000001');
    assert.equal(s[0].seal.picture_index, 0);
    assert.match(r.body.result.pictures[0], /^data:image\/png;base64,/);
    assert.match(s[0].signer.subject, /免费体验签章人/);
    assert.match(s[0].signing_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(s[0].coverage.intact, true);
    assert.equal(s[0].chain_to, '免费体验根证书（非本CA）');
    const raw = await verifyPdf(pdf, { raw: true });
    assert.equal(raw.status, 200, raw.text);
    assert.equal(raw.body.result.stamps[0].state, '体验印章');
});

test('verify__one_byte_changed_inside_the_signed_range__文档已被修改', async () => {
    const pdf = Buffer.from(await demoStamped('tamper with me'));
    const at = pdf.indexOf('tamper with me');
    assert.ok(at > 0);
    pdf[at] = 'T'.charCodeAt(0);
    const r = await verifyPdf(pdf);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.result.stamps[0].state, '文档已被修改');
    assert.equal(r.body.result.stamps[0].valid, false);
    assert.equal(r.body.result.stamps[0].coverage.intact, false);
});

test('verify__signature_under_another_ca__非本CA签发', async () => {
    const f = foreignSigned();
    const r = await verifyPdf(f.pdf);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.result.stamps.length, 1);
    assert.equal(r.body.result.stamps[0].state, '非本CA签发');
    assert.equal(r.body.result.stamps[0].valid, false);
    assert.match(r.body.result.stamps[0].signer.subject, /Someone Else Signer/);
});

/* a co-signature in Ed25519, which the hall does not verify (pyHanko's
 * test file: an RSA signature, then an Ed25519 one whose revision raises
 * /Version and /Extensions): 无法验证, neither valid nor forged, the same
 * in the JSON, the page, the 验签报告 and hall-stamp verify (exit 1, not
 * all valid); the earlier signature keeps its own state (非本CA签发), not
 * 文档已被修改 for a signature the hall could not check */
test('verify__ed25519_cosignature__无法验证__earlier_signature_not_文档已被修改', async () => {
    const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
    const file = path.join(ROOT, 'tests', 'data', 'pdf', 'attacks', 'pyhanko-extensions-direct.pdf');
    const pdf = fs.readFileSync(file);
    const r = await verifyPdf(pdf);
    assert.equal(r.status, 200, r.text);
    const [one, two] = r.body.result.stamps;
    assert.equal(r.body.result.stamps.length, 2);
    assert.equal(two.state, '无法验证', JSON.stringify(two));
    assert.equal(two.valid, false);
    assert.match(two.problem, /不支持的签名算法 Ed25519/);
    assert.equal(two.checks.signature, 'cannot');
    assert.equal(two.checks.digest, 'pass');
    assert.equal(one.state, '非本CA签发', JSON.stringify(one));
    assert.equal(one.coverage.later_changes, false);
    assert.doesNotMatch(one.problem || '', /无效|修改/);

    const page = await verifyPdf(pdf, { accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.match(page.text, /id="stamp-2-state">无法验证</);
    assert.match(page.text, /不支持的签名算法 Ed25519/);
    assert.doesNotMatch(page.text, /文档已被修改/);

    const fd = new FormData();
    fd.append('file', new Blob([pdf], { type: 'application/pdf' }), 'ed25519.pdf');
    const rep = await fetch(`${process.env.HALL_URL}/sign/verify?report=pdf`, { method: 'POST', body: fd });
    assert.equal(rep.status, 200);
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'report.pdf'), Buffer.from(await rep.arrayBuffer()));
    const t = spawnSync('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    const text = t.stdout.replace(/\s+/g, '');
    assert.ok(text.includes('签章2：无法验证——不支持的签名算法Ed25519'), text);
    assert.ok(!text.includes('文档已被修改'), text);

    const tool = spawnSync(path.join(ROOT, 'tools', 'stamp', 'hall-stamp'), ['verify', '--offline', file], {
        encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' },
    });
    assert.equal(tool.status, 1, tool.stdout + tool.stderr);
    assert.match(tool.stdout, /^签章2：无法验证$/m);
    assert.match(tool.stdout, /^签章1：非本CA签发$/m);
});

test('verify__unusable_uploads__4xx_naming_file__never_5xx', async () => {
    /* no file */
    const fd = new FormData();
    fd.append('other', 'x');
    let res = await fetch(`${process.env.HALL_URL}/sign/verify`, {
        method: 'POST', body: fd, headers: { Accept: 'application/json' },
    });
    let body = await res.json();
    assert.equal(res.status, 400);
    assert.equal(body.field, 'file');
    assert.match(body.message, /请选择要验证的PDF文件/);
    /* not a PDF */
    let r = await verifyPdf(Buffer.from('GIF89a not a document'));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'file');
    assert.match(r.body.message, /不是PDF/);
    /* a PDF without any stamp */
    r = await verifyPdf(makePdf());
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'file');
    assert.match(r.body.message, /没有电子签章/);
    /* damaged: cut in half */
    const whole = await demoStamped('damaged');
    r = await verifyPdf(whole.subarray(0, Math.floor(whole.length / 3)));
    assert.ok(r.status >= 400 && r.status < 500, r.text);
    assert.equal(r.body.field, 'file');
    /* encrypted (qpdf, AES-256) */
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'in.pdf'), makePdf());
    const q = spawnSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', path.join(dir, 'in.pdf'),
        path.join(dir, 'enc.pdf')]);
    assert.equal(q.status, 0, String(q.stderr));
    r = await verifyPdf(fs.readFileSync(path.join(dir, 'enc.pdf')));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.field, 'file');
    assert.match(r.body.message, /加密/);
    /* too big: 20 MiB and one byte, multipart and raw */
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(20 * 1024 * 1024 - 8)]);
    r = await verifyPdf(big);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.body.field, 'file');
    assert.match(r.body.message, /不超过20MB/);
    r = await verifyPdf(big, { raw: true });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.body.field, 'file');
    /* beyond nginx's 21 MiB too: JSON for a client that asks for it, the
     * page (413, the message beside the file field) for a browser's form */
    const huge = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(22 * 1024 * 1024 - 9)]);
    for (const [label, buf] of [['over nginx', huge], ['over the module', big]]) {
        const form = new FormData();
        form.append('file', new Blob([buf], { type: 'application/pdf' }), 'big.pdf');
        res = await fetch(`${process.env.HALL_URL}/sign/verify`, { method: 'POST', body: form,
            headers: { Accept: 'application/json' } });
        assert.equal(res.status, 413, label);
        assert.match((await res.json()).message, /不超过20MB/, label);
        res = await fetch(`${process.env.HALL_URL}/sign/verify`, { method: 'POST', body: form,
            headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
        assert.equal(res.status, 413, label);
        assert.match(res.headers.get('content-type'), /^text\/html/, label);
        const html = await res.text();
        assert.match(html, /<p class="err" id="file-error" role="alert">PDF文件过大：签名验证的文件不超过20MB<\/p>/, label);
        assert.match(html, /id="sign-verify-form"/, label);
    }
    /* another body type */
    res = await fetch(`${process.env.HALL_URL}/sign/verify`, {
        method: 'POST', body: 'a=b', headers: { 'Content-Type': 'text/plain', Accept: 'application/json' },
    });
    assert.equal(res.status, 415);
    body = await res.json();
    assert.equal(body.field, 'file');
});

test('verify__hall_seals_stamped_by_hall_stamp__有效__signer_revoked_after_and_before__seal_cancelled_after_and_before', async () => {
    const seals = await hallSeals();
    const doc = makePdf({ pages: 2, text: 'contract' });

    /* the 机构章 on page 1, then the 合同专用章 on page 2: both 有效 */
    const a = stampWith(doc, seals.org, seals.pin, { page: 1, x: 150, y: 240 });
    let r = await verifyPdf(a);
    assert.equal(r.status, 200, r.text);
    let s = r.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.valid, true);
    assert.equal(s.seal.es_id, seals.org.esId);
    const alone = r.body.result.pictures[s.seal.picture_index];
    assert.match(alone, /^data:image\/png;base64,iVBORw0KGgo/);
    assert.equal(s.signer.serial, seals.org.serial);
    assert.equal(s.chain_to, '本CA根证书');
    assert.equal(s.signer_state.at_signing, '有效');
    assert.equal(s.signer_state.now, '有效');
    assert.equal(s.seal_state.now, '有效');
    assert.match(s.signing_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(s.coverage.intact, true);
    /* hall-stamp's B-LT: a /DSS revision follows, an allowed change */
    assert.equal(s.coverage.covers_to_end, false);
    assert.equal(s.coverage.later_changes, false);
    assert.equal(s.level, 'B-LT');
    const two = stampWith(a, seals.org_business, seals.pin, { page: 2, x: 100, y: 100 });
    r = await verifyPdf(two);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.result.stamps.map((x) => x.state), ['有效', '有效']);
    assert.equal(r.body.result.stamps[0].coverage.later_stamps, 1);
    assert.equal(r.body.result.stamps[1].seal.es_id, seals.org_business.esId);
    assert.equal(r.body.result.all_valid, true);
    /* each stamp shows its own seal's picture, the 机构章's again after
     * the 合同专用章's; JSON lists each picture once */
    const three = stampWith(two, seals.org, seals.pin, { page: 2, x: 60, y: 200 });
    r = await verifyPdf(three);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.result.stamps.map((x) => x.seal.es_id),
        [seals.org.esId, seals.org_business.esId, seals.org.esId]);
    assert.deepEqual(r.body.result.stamps.map((x) => x.seal.picture_index), [0, 1, 0]);
    const pics = r.body.result.pictures;
    assert.equal(pics.length, 2, 'two seals, two pictures');
    assert.equal(pics[0], alone, 'the 机构章 shows the picture it showed alone');
    assert.match(pics[1], /^data:image\/png;base64,iVBORw0KGgo/);
    assert.notEqual(pics[1], pics[0], 'the 合同专用章 shows its own picture');
    assert.ok(r.body.result.stamps.every((x) => x.seal.picture === undefined));
    /* the page shows each stamp's picture beside it */
    const page = await verifyPdf(three, { accept: 'text/html' });
    assert.equal(page.status, 200);
    const srcs = [1, 2, 3].map((i) =>
        (page.text.match(new RegExp(`id="stamp-${i}-picture" src="([^"]+)"`)) || [])[1]);
    assert.deepEqual(srcs, [pics[0], pics[1], pics[0]]);

    /* the 合同专用章's own certificate revoked after a stamp (a second later
     * than the timestamp at least): the stamp stays 有效, 签章后吊销 */
    const b = stampWith(doc, seals.org_business, seals.pin);
    await sleep(1100);
    const op = await operator();
    assert.equal((await staffRevoke(seals.org_business.serial, 'keyCompromise', op)).status, 200);
    r = await verifyPdf(b);
    s = r.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.note, '签章后吊销');
    assert.equal(s.signer_state.at_signing, '有效');
    assert.match(s.signer_state.now, /^已吊销（\d{4}-/);
    /* a stamp the revocation precedes (hall-stamp sign refuses a revoked
     * signer now, stamp_revoke.test.js: the records say it was revoked a
     * day before): 签章人证书已吊销（签章前） */
    psql(`UPDATE certificates SET revoked_at = revoked_at - interval '1 day'
        WHERE serial = '${seals.org_business.serial}'`);
    r = await verifyPdf(b);
    s = r.body.result.stamps[0];
    assert.equal(s.state, '签章人证书已吊销（签章前）', JSON.stringify(s));
    assert.equal(s.valid, false);
    assert.equal(s.signer_state.at_signing, '已吊销');

    /* the 机构章 cancelled (注销) by the operator after its stamp: the same
     * rule as a certificate's, 有效 with 签章后注销 */
    await sleep(1100);
    assert.equal((await op.post('/admin/seal/revoke', { es_id: seals.org.esId, reason: '印章停用' })).status, 200);
    r = await verifyPdf(a);
    s = r.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.note, '签章后注销');
    assert.match(s.seal_state.now, /^已注销（/);
    /* ... and before it: 印章已注销 */
    psql(`UPDATE seseals SET revoked_at = revoked_at - interval '1 day' WHERE es_id = '${seals.org.esId}'`);
    r = await verifyPdf(a);
    s = r.body.result.stamps[0];
    assert.equal(s.state, '印章已注销', JSON.stringify(s));
    assert.equal(s.valid, false);
    assert.match(s.problem, /^印章于 .* 注销，早于签章时间$/);
});

test('verify_page__file_without_stamp__the_page_again_saying_so_beside_the_field', async () => {
    /* a browser's form post (no script): the 签名验证 page itself, not 操作未完成 */
    const r = await verifyPdf(makePdf({ pages: 1, text: 'no stamp here' }), { accept: 'text/html' });
    assert.equal(r.status, 400);
    assert.match(r.text, /id="sign-verify-form"/, 'the form again');
    assert.match(r.text, /<p class="err" id="file-error" role="alert">该PDF文档中没有电子签章或数字签名<\/p>/);
    assert.doesNotMatch(r.text, /操作未完成/);
    const notPdf = await verifyPdf(Buffer.from('hello'), { accept: 'text/html' });
    assert.equal(notPdf.status, 400);
    assert.match(notPdf.text, /id="file-error" role="alert">所选文件不是PDF文档/);
    /* JSON clients keep their answer */
    const j = await verifyPdf(makePdf({ pages: 1, text: 'no stamp here' }));
    assert.deepEqual([j.status, j.body.field, j.body.message], [400, 'file', '该PDF文档中没有电子签章或数字签名']);
});
