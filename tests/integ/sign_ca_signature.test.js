'use strict';
/*
 * A signature by a certificate the hall issued but without a seal (issue 63
 * §4): a PAdES signature made by a standard tool (mutool sign) with the
 * holder's hall medium chains to the hall's root, so it is not 非本CA签发:
 * 签名验证 and hall-stamp verify say what it is, 本CA证书的数字签名（非电子印章）,
 * not valid as a stamp; another CA's signature stays 非本CA签发.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { makePdf, verifyPdf, hallSeals, HALL_STAMP } = require('./lib/stamp');
const { tmpdir, fetchPki } = require('./lib/pki');

const dir = tmpdir();
const f = (n) => path.join(dir, n);
let signed;

before(async () => {
    /* mutool takes a file, not a USB key: the hall-made PKCS#12 still (the
     * holder's browser-made file is to replace it) */
    const seals = await hallSeals({ file: true });
    await fetchPki(dir);
    fs.writeFileSync(f('in.pdf'), makePdf({ sigField: true, text: 'signed with the hall certificate' }));
    /* makePdf's signature field of a 1-page PDF is object 6; mutool now and
     * then writes a /Contents of zeros (lib/stamp.js, foreignSigned): again */
    for (let i = 0; i < 8 && !signed; i++) {
        const r = spawnSync('mutool', ['sign', '-s', seals.org.p12, '-P', seals.pin, '-o', f('out.pdf'),
            f('in.pdf'), '6'], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        const p = spawnSync('pdfsig', [f('out.pdf')], { encoding: 'utf8' });
        if (/Signature is Valid/.test(p.stdout))
            signed = fs.readFileSync(f('out.pdf'));
    }
    assert.ok(signed, 'mutool signed with the hall medium');
});

test('verify__hall_certificate_signature_without_seal__本CA证书的数字签名_not_非本CA签发', async () => {
    const r = await verifyPdf(signed);
    assert.equal(r.status, 200, r.text);
    const s = r.body.result.stamps[0];
    assert.equal(s.state, '本CA证书的数字签名（非电子印章）', JSON.stringify(s));
    assert.equal(s.valid, false);
    assert.match(s.problem, /^本CA证书的数字签名，非电子印章/);
    assert.equal(s.checks.chain, 'pass');
    assert.equal(s.seal.es_id || '', '');
});

test('hall_stamp_verify__the_same_words', () => {
    const t = spawnSync(HALL_STAMP, ['verify', '--root', f('root.crt'), '--ca', f('ecc.crt'), f('out.pdf')],
        { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
    assert.match(t.stdout, /签章1：本CA证书的数字签名（非电子印章）/, t.stdout + t.stderr);
    assert.doesNotMatch(t.stdout, /非本CA签发/);
    assert.equal(t.status, 1, 'not a valid stamp');
});
