'use strict';
/*
 * 驱动和盖章工具下载 (modules/sign, GET /sign/tools; docs/modules/sign.md):
 * the packages `make stamp-dist` built from this tree (script/test's build
 * runs it) listed with their version, size and SHA-256; each downloaded
 * through nginx is what the page says (the .deb a Debian package of
 * hall-stamp, the tarball holding bin/hall-stamp); how to install and run
 * it, with the hall's own TSA.
 *
 * From the first start of a fresh build (issue 50 §6): before, script/server
 * and script/test built static-min/ (what nginx serves) before make
 * stamp-dist wrote static/downloads/, so the first start listed nothing
 * (盖章工具安装包尚未发布, `hall-stamp__amd64.deb`, the URLs 404).  Each
 * package carries a detached CMS signature (.p7s) by the hall CA's
 * code-signing certificate, made at packaging (script/stamp-dist --sign),
 * that `openssl cms -verify` accepts with the hall's root alone, as the
 * page says.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client, HALL } = require('./lib/client');
const { tmpdir, openssl } = require('./lib/pki');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
const VERSION = fs.readFileSync(path.join(ROOT, 'configure.ac'), 'utf8').match(/AC_INIT\(\[hall\], \[([^\]]+)\]/)[1];

test('tools__packages_listed_with_version_size_sha256__downloads_are_them', async () => {
    const j = await (await fetch(`${HALL}/sign/tools`, { headers: { Accept: 'application/json' } })).json();
    assert.equal(j.ok, true);
    assert.equal(j.version, VERSION);
    const stamp = j.packages.filter((p) => p.tool === 'hall-stamp');
    assert.deepEqual(stamp.map((p) => p.kind).sort(), ['deb', 'tarball']);
    const dir = tmpdir();
    const page = await new Client().get('/sign/tools');
    assert.equal(page.status, 200);
    for (const p of stamp) {
        const res = await fetch(HALL + p.url);
        assert.equal(res.status, 200, p.url);
        const bytes = Buffer.from(await res.arrayBuffer());
        assert.equal(bytes.length, p.size, p.name);
        assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), p.sha256, p.name);
        assert.ok(page.text.includes(p.sha256), `the page shows ${p.name}'s SHA-256`);
        assert.ok(page.text.includes(`href="${p.url}"`), `the page links ${p.name}`);
        const f = path.join(dir, p.name);
        fs.writeFileSync(f, bytes);
        if (p.kind === 'deb') {
            assert.equal(p.name, `hall-stamp_${VERSION}_amd64.deb`);
            const r = spawnSync('dpkg-deb', ['-f', f, 'Package', 'Version'], { encoding: 'utf8' });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`Package: hall-stamp\\nVersion: ${VERSION}`));
        } else {
            const r = spawnSync('tar', ['tzf', f], { encoding: 'utf8' });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /\/bin\/hall-stamp$/m);
        }
    }
    assert.match(page.text, new RegExp(`sudo apt install \\./hall-stamp_${VERSION.replace(/\./g, '\\.')}_amd64\\.deb`));
    assert.match(page.text, /hall-stamp sign --in/);
    assert.ok(page.text.includes(`--tsa ${HALL}/tsa`), 'the command names the hall\'s TSA');
    assert.match(page.text, /href="\/seal\/stamp"/);
});

test('tools__each_package_signed_by_the_hall_ca__openssl_cms_verify_with_the_root__as_the_page_says', async () => {
    const j = await (await fetch(`${HALL}/sign/tools`, { headers: { Accept: 'application/json' } })).json();
    assert.deepEqual(j.packages.map((p) => `${p.tool}:${p.kind}`).sort(),
        ['hall-assist:deb', 'hall-assist:tarball', 'hall-stamp:deb', 'hall-stamp:tarball']);
    const page = (await new Client().get('/sign/tools')).text;
    const dir = tmpdir();
    /* the root the page points at: /pki/root.crt */
    assert.match(page, /href="\/pki\/root\.crt"/);
    const root = await fetch(`${HALL}/pki/root.crt`);
    assert.equal(root.status, 200);
    const rootFile = path.join(dir, 'root.crt');
    fs.writeFileSync(rootFile, Buffer.from(await root.arrayBuffer()));
    for (const p of j.packages) {
        assert.equal(p.signature_url, `${p.url}.p7s`, `${p.name} has its signature`);
        const pkg = path.join(dir, p.name), sig = path.join(dir, `${p.name}.p7s`);
        fs.writeFileSync(pkg, Buffer.from(await (await fetch(HALL + p.url)).arrayBuffer()));
        const res = await fetch(HALL + p.signature_url);
        assert.equal(res.status, 200, p.signature_url);
        fs.writeFileSync(sig, Buffer.from(await res.arrayBuffer()));
        assert.ok(page.includes(`href="${p.signature_url}"`), `the page links ${p.name}'s signature`);
        /* the command of the page, with the hall's root alone */
        const signer = path.join(dir, `${p.name}.signer.pem`);
        const v = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', pkg,
            '-CAfile', rootFile, '-purpose', 'any', '-out', '/dev/null', '-signer', signer]);
        assert.equal(v.status, 0, v.stderr);
        assert.match(v.stderr, /Verification successful/);
        /* by a code-signing certificate of the hall's issuing CA */
        const x = openssl(['x509', '-in', signer, '-noout', '-issuer', '-ext', 'extendedKeyUsage,keyUsage']);
        assert.equal(x.status, 0, x.stderr);
        assert.match(x.stdout, /issuer=.*CN ?= ?Hall Demo ECC CA/);
        assert.match(x.stdout, /Extended Key Usage: critical\s+Code Signing\s*$/m);
        /* one byte changed: refused */
        const bad = Buffer.from(fs.readFileSync(pkg));
        bad[bad.length >> 1] ^= 1;
        fs.writeFileSync(pkg, bad);
        const t = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', pkg,
            '-CAfile', rootFile, '-purpose', 'any', '-out', '/dev/null']);
        assert.notEqual(t.status, 0, `${p.name} changed: not verified`);
        /* another root: refused */
        const other = path.join(dir, 'other.crt');
        assert.equal(openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', path.join(dir, 'other.key'), '-subj', '/CN=Hall Demo Root CA', '-days', '1',
            '-out', other]).status, 0);
        fs.writeFileSync(pkg, Buffer.from(await (await fetch(HALL + p.url)).arrayBuffer()));
        assert.notEqual(openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', pkg,
            '-CAfile', other, '-purpose', 'any', '-out', '/dev/null']).status, 0, 'a look-alike root');
    }
    for (const deb of j.packages.filter((p) => p.kind === 'deb').map((p) => p.name))
        assert.ok(page.includes(`openssl cms -verify -binary -inform DER -in ${deb}.p7s -content ${deb} -CAfile root.crt`
            + ' -purpose any'), `the page gives the command for ${deb}`);
    /* no name with an empty version anywhere */
    assert.doesNotMatch(page, /hall-stamp__|hall-stamp--linux/);
    /* the verify example names the roots it needs and where they are */
    assert.match(page, /hall-stamp verify --root root\.crt --root sm2-root\.crt --ca ecc\.crt --ca sm2\.crt /);
    for (const f of ['root.crt', 'sm2-root.crt', 'ecc.crt', 'sm2.crt']) {
        assert.ok(page.includes(`href="/pki/${f}"`), `the page links /pki/${f}`);
        assert.equal((await fetch(`${HALL}/pki/${f}`)).status, 200, f);
    }
});

/* static_dir of the running hall (hall.conf, written by script/test) */
function staticDir() {
    const conf = fs.readFileSync(process.env.HALL_CONF, 'utf8');
    return conf.match(/^static_dir = (.+)$/m)[1];
}

test('tools__no_package_published__says_so__no_install_line_no_empty_version', async () => {
    const dl = path.join(staticDir(), 'downloads');
    const stampJson = path.join(dl, 'hall-stamp.json'), assistJson = path.join(dl, 'hall-assist.json');
    fs.renameSync(stampJson, `${stampJson}.away`);
    try {
        /* hall-stamp's packages not published: its part says so, the 证书助手's stays */
        let page = await new Client().get('/sign/tools');
        assert.equal(page.status, 200);
        assert.match(page.text, /盖章工具安装包尚未发布/);
        /* before: `sha256sum hall-stamp__amd64.deb`, `sudo apt install ./hall-stamp__amd64.deb` */
        assert.doesNotMatch(page.text, /hall-stamp__|hall-stamp--linux|hall-stamp_[^ ]*_amd64\.deb|apt install \.\/hall-stamp/);
        assert.doesNotMatch(page.text, /id="sign-tools-stamp-install"/);
        assert.match(page.text, /id="sign-tools-assist-install"/);
        /* neither published */
        fs.renameSync(assistJson, `${assistJson}.away`);
        page = await new Client().get('/sign/tools');
        assert.match(page.text, /证书助手安装包尚未发布/);
        assert.doesNotMatch(page.text, /hall-(stamp|assist)__|_amd64\.deb|apt install \.\//);
        assert.doesNotMatch(page.text, /class="sign-tools-install"/);
        const j = await (await fetch(`${HALL}/sign/tools`, { headers: { Accept: 'application/json' } })).json();
        assert.deepEqual(j.packages, []);
    } finally {
        fs.renameSync(`${stampJson}.away`, stampJson);
        if (fs.existsSync(`${assistJson}.away`))
            fs.renameSync(`${assistJson}.away`, assistJson);
    }
    const back = await new Client().get('/sign/tools');
    assert.match(back.text, /sudo apt install \.\/hall-stamp_/);
    assert.match(back.text, /sudo apt install \.\/hall-assist_/);
});
