'use strict';
/*
 * The SM2 stamp (docs/internals/stamp.md §2a): a 电子签章 order produced by
 * the hall under its sm2 CA (the 国密 hierarchy), its 机构章's .seseal and
 * SM2 PKCS#12 medium, stamped by hall-stamp through the hall's POST /tsa
 * behind nginx.  The stamp is a GB/T 38540 SES_Signature: hall-stamp verify
 * and POST /sign/verify check it fully (有效, each check passed, the seal,
 * the signer, the timestamp's time, the chain to the SM2 root); one byte
 * changed in a signed range makes both say 文档已被修改; qpdf --check finds
 * the file sound; pdfsig lists the field but cannot validate it.
 * (The order chooses 证书算法 SM2 in its application, sql/147: lib/stamp.js's
 * producedSeal; tests/e2e/seal_sm2.test.js buys such a seal through the pages.)
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, fetchPki } = require('./lib/pki');
const { makePdf, verifyPdf, producedSeal, HALL_STAMP: TOOL } = require('./lib/stamp');

const dir = tmpdir();
const f = (name) => path.join(dir, name);
let pin = '';

function run(cmd, args, opts = {}) {
    return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

/* the seal the hall made under its sm2 CA; its certificate's serial */
async function producedSm2Seal() {
    ({ pin } = await producedSeal(dir, { sm2: true }));
    /* the medium's certificate is SM2, from the sm2 CA */
    const x = run('openssl', ['pkcs12', '-in', f('medium.p12'), '-nokeys', '-clcerts', '-passin', `pass:${pin}`]);
    assert.equal(x.status, 0, x.stderr);
    const t = run('openssl', ['x509', '-noout', '-text', '-serial'], { input: x.stdout });
    assert.match(t.stdout, /SM2/);
    return t.stdout.match(/serial=([0-9A-F]+)/)[1];
}

function stamp(input, output) {
    return run(TOOL, ['sign', '--in', input, '--out', output, '--seal', f('seal.seseal'), '--p12', f('medium.p12'),
        '--page', '1', '--x', '105', '--y', '200', '--tsa', `${HALL}/tsa`, '--pin-fd', '0'],
    { input: `${pin}\n`, env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
}

function verifyTool(file) {
    return run(TOOL, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'), '--ca', f('ecc.crt'),
        '--ca', f('sm2.crt'), file], { env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
}

let serial = '';

before(async () => {
    serial = await producedSm2Seal();
    await fetchPki(dir);
    fs.writeFileSync(f('plain.pdf'), makePdf({ pages: 2, text: 'sm2 stamp' }));
});

test('stamp_sm2__hall_seal__ses_signature__tool_and_hall_verify_valid__qpdf_clean__byte_changed_modified', async () => {
    const r = stamp(f('plain.pdf'), f('stamped.pdf'));
    assert.equal(r.status, 0, r.stderr);
    const input = fs.readFileSync(f('plain.pdf')), out = fs.readFileSync(f('stamped.pdf'));
    assert.ok(out.subarray(0, input.length).equals(input), 'an incremental update');
    assert.match(out.toString('latin1'), /\/Filter \/Adobe\.PPKLite \/SubFilter \/GBT38540\.SES_Signature \/ByteRange/);
    const q = run('qpdf', ['--check', f('stamped.pdf')]);
    assert.equal(q.status, 0, q.stdout + q.stderr);

    /* hall-stamp verify: 有效, the SES format, every check passed */
    const v = verifyTool(f('stamped.pdf'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /签章1：有效/);
    assert.match(v.stdout, /格式: GB\/T 38540 电子签章（SM2\/SM3）/);
    /* its level is its own: the format has no place for revocation evidence,
     * and hall-stamp sign writes no /DSS for it */
    assert.match(v.stdout, /级别: GB\/T 38540 电子签章（其格式没有存放吊销信息之处，不分PAdES级别）/);
    assert.doesNotMatch(out.toString('latin1'), /\/DSS/);
    assert.match(v.stdout, /核验: 通过 通过 通过 通过 通过 通过 通过/);
    assert.match(v.stdout, new RegExp(`序列号 ${serial}`));
    /* the SM2 CA's OCSP answer, checked with the GM/T 0009 signer ID */
    assert.match(v.stdout, /签章人证书状态: 有效（OCSP http/);

    /* the hall's 签名验证 through nginx */
    const h = await verifyPdf(out);
    assert.equal(h.status, 200, h.text);
    const s = h.body.result.stamps[0];
    assert.equal(h.body.result.stamps.length, 1);
    assert.equal(s.state, '有效');
    assert.equal(s.format, 'ses_signature');
    assert.equal(s.format_label, 'GB/T 38540 电子签章（SM2/SM3）');
    assert.equal(s.level, 'GB/T 38540');
    assert.deepEqual(Object.values(s.checks), Array(7).fill('pass'));
    assert.equal(s.signer.serial, serial);
    assert.equal(s.signer_state.now, '有效');
    assert.equal(s.seal.es_id, v.stdout.match(/印章: (\S+)/)[1], 'the seal the tool named');
    assert.ok(h.body.result.pictures[s.seal.picture_index].startsWith('data:image/png;base64,'));
    assert.notEqual(s.signing_time, '');
    assert.equal(s.chain_to, '本CA SM2根证书');
    const page = await verifyPdf(out, { accept: 'text/html' });
    assert.match(page.text, /GB\/T 38540 电子签章（SM2\/SM3）/);

    /* outside readers list the field and cannot validate it */
    const ps = run('pdfsig', [f('stamped.pdf')]);
    assert.match(ps.stdout + ps.stderr, /Signature Type: unknown/);

    /* one byte changed inside the first signed range */
    const bad = Buffer.from(out);
    const at = bad.indexOf('sm2 stamp - page 1');
    assert.ok(at > 0);
    bad[at] = 'S'.charCodeAt(0);
    fs.writeFileSync(f('bad.pdf'), bad);
    const vb = verifyTool(f('bad.pdf'));
    assert.equal(vb.status, 1, vb.stdout + vb.stderr);
    assert.match(vb.stdout, /签章1：文档已被修改/);
    const hb = await verifyPdf(bad);
    assert.equal(hb.body.result.stamps[0].state, '文档已被修改');
    assert.equal(hb.body.result.stamps[0].checks.digest, 'fail');
});
