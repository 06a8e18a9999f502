'use strict';
/*
 * `hall-stamp sign --token SERIAL` on a holder's USB key (issue 70 §2): the
 * key pair of the seal's certificate is found on the medium whatever its
 * label (the station labels the holder's `hall`, which no customer page
 * names), as /sign/tools tells the holder to run it; a medium that holds no
 * key of the seal is refused in words for the holder (which USB key to
 * plug in), and a wrong PIN likewise.  On main the same command exited 3:
 * "no key pair labelled <SERIAL> (hall-pkitool ceremony)".
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { SKIP } = require('./lib/hall');
const { HALL } = require('./lib/client');
const { makePdf, verifyPdf, tmpdir, producedSeal } = require('./lib/stamp');

const HALL_STAMP = path.join(process.env.HALL_ROOT || path.resolve(__dirname, '..', '..'), 'tools/stamp/hall-stamp');

function sign(dir, s, token, pin, out) {
    const input = path.join(dir, 'in.pdf');
    fs.writeFileSync(input, makePdf({ text: 'token key by its certificate' }));
    const args = ['sign', '--in', input, '--out', out, '--seal', path.join(dir, 'seal.seseal'),
        '--pkcs11-module', s.signer[1], '--token', token, '--chain', path.join(dir, 'ecc.crt'),
        '--page', '1', '--x', '100', '--y', '100', '--tsa', `${HALL}/tsa`, '--pin-fd', '0', '--lang', 'zh'];
    return spawnSync(HALL_STAMP, args, { input: `${pin}\n`, encoding: 'utf8', env: s.env });
}

test('hall-stamp sign --token: the seal\'s key on the USB key whatever its label; holder\'s words',
    { skip: SKIP }, async () => {
        const dir = tmpdir(), other = tmpdir();
        const s = await producedSeal(dir, { medium: true });
        const t = await producedSeal(other, { medium: true });
        const token = s.signer[s.signer.indexOf('--token') + 1];
        const otherToken = t.signer[t.signer.indexOf('--token') + 1];

        const out = path.join(dir, 'out.pdf');
        const r = sign(dir, s, token, s.pin, out);
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        const v = await verifyPdf(fs.readFileSync(out));
        assert.equal(v.status, 200, v.text);
        assert.match(JSON.stringify(v.body), /有效/);

        /* another holder's USB key: no key of this seal, said so */
        const w = sign(dir, { ...s }, otherToken, t.pin, path.join(dir, 'other.pdf'));
        assert.notEqual(w.status, 0);
        assert.match(w.stderr, /这个USB Key中没有该印章的证书密钥：请插入制作该印章证书时寄给您的USB Key/);
        assert.doesNotMatch(w.stderr, /hall-pkitool|ceremony|labelled/);
        assert.ok(!fs.existsSync(path.join(dir, 'other.pdf')));

        /* a wrong PIN */
        const p = sign(dir, s, token, '00000000', path.join(dir, 'wrong.pdf'));
        assert.notEqual(p.status, 0);
        assert.match(p.stderr, /PIN码错误，USB Key拒绝登录/);
    });
