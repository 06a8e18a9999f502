'use strict';
/*
 * Many documents at once (issue 53 §3; docs/modules/stamp.md, "Many
 * documents at once"): hall-stamp sign --out-dir with 100 five-page PDFs,
 * a damaged one, an encrypted one and a name that does not exist, the PIN
 * given once.  Every good file comes out stamped PAdES B-LT, each with its
 * own timestamp, and verifies with hall-stamp verify and poppler's pdfsig;
 * the bad ones are each named with their reason, nothing written for
 * them, and the exit status says not all were stamped.  The revocation
 * evidence is asked of the hall once for the batch, not once per file.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, fetchPki } = require('./lib/pki');
const { makePdf, producedSeal, nssTrusting, pdfsig, HALL_STAMP } = require('./lib/stamp');

const dir = tmpdir();
const f = (name) => path.join(dir, name);
const N = 100;
let pin = '';
let signer = []; /* the USB key's key and the chain (producedSeal) */
let mediaEnv = process.env;
let run;

function batch(inputs, outDir, extra = []) {
    return spawnSync(HALL_STAMP, ['sign', '--out-dir', outDir, '--seal', f('seal.seseal'), ...signer,
        '--page', '1', '--x', '150', '--y', '240', '--tsa', `${HALL}/tsa`, '--pin-fd', '0', ...extra, ...inputs],
    { input: `${pin}\n`, encoding: 'utf8', env: { ...mediaEnv, LANG: 'zh_CN.UTF-8' }, maxBuffer: 1 << 24 });
}

before(async () => {
    /* onto a USB key: hall-stamp signs with the key born in it */
    ({ pin, signer, env: mediaEnv } = await producedSeal(dir, { medium: true }));
    await fetchPki(dir);
    fs.mkdirSync(f('in'));
    const inputs = [];
    for (let i = 1; i <= N; i++) {
        const name = f(`in/contract-${String(i).padStart(3, '0')}.pdf`);
        fs.writeFileSync(name, makePdf({ pages: 5, text: `contract ${i}` }));
        inputs.push(name);
    }
    /* a PDF cut short: its cross-reference and trailer gone */
    const whole = makePdf({ pages: 5, text: 'damaged' });
    fs.writeFileSync(f('in/damaged.pdf'), whole.subarray(0, Math.floor(whole.length / 3)));
    const enc = spawnSync('qpdf', ['--encrypt', 'u', 'o', '256', '--', inputs[0], f('in/encrypted.pdf')]);
    assert.equal(enc.status, 0, String(enc.stderr));
    /* the bad ones among the good: what comes after them must go on */
    inputs.splice(10, 0, f('in/damaged.pdf'));
    inputs.splice(50, 0, f('in/encrypted.pdf'));
    inputs.push(f('in/missing.pdf'));
    run = batch(inputs, f('out'));
});

test('stamp_batch__100_pdfs_and_3_bad__pin_once__each_reported__exit_5', () => {
    const out = run.stdout;
    assert.equal(run.status, 5, out + run.stderr);
    const stamped = out.split('\n').filter((l) => l.startsWith('已盖章：'));
    assert.equal(stamped.length, N, out);
    for (const l of stamped)
        assert.match(l, /（第1页，PAdES B-LT）$/, l);
    assert.match(out, /未盖章：\S*damaged\.pdf：.+/, out);
    assert.match(out, /未盖章：\S*encrypted\.pdf：.*加密/, out);
    assert.match(out, /未盖章：\S*missing\.pdf：无法读取：No such file or directory/, out);
    assert.match(out, new RegExp(`共${N + 3}个文件：${N}个已盖章，3个未盖章`));
    /* nothing written for the bad ones, no .part left */
    const written = fs.readdirSync(f('out')).sort();
    assert.equal(written.length, N, written.join(' '));
    assert.ok(written.every((n) => /^contract-\d{3}\.pdf$/.test(n)), written.join(' '));
});

test('stamp_batch__evidence_asked_once_for_the_batch__reused_for_the_rest', () => {
    /* the signer's answer once (the TSA's too when its certificate names
     * a responder), whatever the count */
    const m = run.stdout.match(/吊销信息联网查询(\d+)次，复用(\d+)次/);
    assert.ok(m, run.stdout);
    assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= 2, m[0]);
    assert.ok(Number(m[2]) >= N - 1, m[0]);
});

test('stamp_batch__every_output_verifies__hall_stamp_verify_and_pdfsig__own_timestamp_each', () => {
    const db = nssTrusting(f('root.crt'));
    const tokens = new Set();
    for (let i = 1; i <= N; i++) {
        const file = f(`out/contract-${String(i).padStart(3, '0')}.pdf`);
        const input = fs.readFileSync(f(`in/contract-${String(i).padStart(3, '0')}.pdf`));
        const buf = fs.readFileSync(file);
        assert.ok(buf.subarray(0, input.length).equals(input), `${file}: the input is its beginning`);
        assert.match(buf.toString('latin1'), /\/DSS\s+\d+ 0 R/, `${file}: B-LT's /DSS`);
        const v = spawnSync(HALL_STAMP, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'),
            '--ca', f('ecc.crt'), '--ca', f('sm2.crt'), file],
        { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
        assert.equal(v.status, 0, `${file}: ${v.stdout}${v.stderr}`);
        assert.match(v.stdout, /签章1：有效/, v.stdout);
        assert.match(v.stdout, /长期验证信息（\/DSS）：证书\d+个，OCSP答复[1-9]\d*个/, v.stdout);
        const s = pdfsig(db, file);
        assert.match(s, /Signature is Valid/, `${file}: ${s}`);
        assert.match(s, /Certificate is Trusted/, `${file}: ${s}`);
        /* each its own signature, and the verifier checked its own
         * timestamp's imprint against it */
        tokens.add(buf.toString('latin1').match(/\/Contents <([0-9A-Fa-f]+)>/)[1]);
    }
    assert.equal(tokens.size, N);
});

test('stamp_batch__usage__out_with_out_dir_refused__no_input_refused', () => {
    let r = batch([f('in/contract-001.pdf')], f('out2'), ['--out', f('x.pdf')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--out-dir 与 --out 只能用一个/);
    r = batch([], f('out2'));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--out-dir 需要1到\d+个待盖章的文件/);
    /* the output directory being the inputs' own: each refused by name */
    r = batch([f('in/contract-001.pdf')], f('in'));
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /未盖章：\S*contract-001\.pdf：输出目录就是它所在的目录/);
});
