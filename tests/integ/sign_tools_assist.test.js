'use strict';
/*
 * 驱动和盖章工具下载 in full (issue 64 §3, §5; modules/sign, GET /sign/tools;
 * docs/modules/sign.md, docs/modules/assist.md "Packaging"): the 证书助手
 * hall-assist beside the 盖章工具 hall-stamp, each as a Debian package and a
 * tarball that `make stamp-dist` built from this tree, each package's
 * SHA-256 that of the bytes nginx serves and its detached CMS signature one
 * that `openssl cms -verify` accepts with the hall's root alone; the same
 * under a partner's path (/jieyang/sign/tools, linked from its 电子签章
 * page).  The 证书助手's commands as the packaged program prints its usage
 * (在线更新 only when the program has `hall-assist renew`), and the media
 * supported: any PKCS#11 module, SoftHSM2, p11-kit, the production
 * station's module, the browser's file.
 *
 * Before: /sign/tools listed hall-stamp alone; the 证书助手 was packaged
 * nowhere (docs/modules/assist.md: "packages hall-stamp only").
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

const json = async (base) => (await fetch(`${HALL}${base}/sign/tools`,
    { headers: { Accept: 'application/json' } })).json();

/* the HTML of the page as the template writes text: &, <, >, " escaped */
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

for (const base of ['', '/jieyang']) {
    test(`tools${base.replace('/', '_')}__证书助手_and_盖章工具_each_listed__sha256_of_the_served_bytes__cms_verified_by_the_root`, async () => {
        const j = await json(base);
        assert.equal(j.ok, true);
        const page = await new Client().get(`${base}/sign/tools`);
        assert.equal(page.status, 200, page.text.slice(0, 300));
        assert.match(page.text, /<h1>驱动和盖章工具下载<\/h1>/);
        assert.deepEqual(j.tools.map((t) => `${t.name}:${t.version}`), [`hall-assist:${VERSION}`, `hall-stamp:${VERSION}`]);
        assert.deepEqual(j.packages.map((p) => `${p.tool}:${p.kind}`).sort(),
            ['hall-assist:deb', 'hall-assist:tarball', 'hall-stamp:deb', 'hall-stamp:tarball']);
        const dir = tmpdir();
        const rootFile = path.join(dir, 'root.crt');
        const root = await fetch(`${HALL}/pki/root.crt`);
        assert.equal(root.status, 200);
        fs.writeFileSync(rootFile, Buffer.from(await root.arrayBuffer()));
        for (const p of j.packages) {
            /* the link of the page, as a browser on this path follows it */
            assert.ok(page.text.includes(`href="${p.url}"`), `the page links ${p.name}`);
            const res = await fetch(new URL(p.url, `${HALL}${base}/sign/tools`));
            assert.equal(res.status, 200, p.url);
            const bytes = Buffer.from(await res.arrayBuffer());
            assert.equal(bytes.length, p.size, p.name);
            assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), p.sha256, p.name);
            assert.ok(page.text.includes(p.sha256), `the page shows ${p.name}'s SHA-256`);
            const pkg = path.join(dir, p.name), sig = `${pkg}.p7s`;
            fs.writeFileSync(pkg, bytes);
            assert.equal(p.signature_url, `${p.url}.p7s`, `${p.name} is signed`);
            assert.ok(page.text.includes(`href="${p.signature_url}"`), `the page links ${p.name}'s signature`);
            const s = await fetch(new URL(p.signature_url, `${HALL}${base}/sign/tools`));
            assert.equal(s.status, 200, p.signature_url);
            fs.writeFileSync(sig, Buffer.from(await s.arrayBuffer()));
            const signer = `${pkg}.signer.pem`;
            const v = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', pkg,
                '-CAfile', rootFile, '-purpose', 'any', '-out', '/dev/null', '-signer', signer]);
            assert.equal(v.status, 0, `${p.name}: ${v.stderr}`);
            assert.match(v.stderr, /Verification successful/);
            const x = openssl(['x509', '-in', signer, '-noout', '-ext', 'extendedKeyUsage']);
            assert.match(x.stdout, /Code Signing/, `${p.name}: by the code-signing certificate`);
            if (p.kind === 'deb') {
                assert.equal(p.name, `${p.tool}_${VERSION}_amd64.deb`);
                const r = spawnSync('dpkg-deb', ['-f', pkg, 'Package', 'Version'], { encoding: 'utf8' });
                assert.equal(r.status, 0, r.stderr);
                assert.equal(r.stdout, `Package: ${p.tool}\nVersion: ${VERSION}\n`);
                assert.ok(page.text.includes(`sudo apt install ./${p.name}`), `the page installs ${p.name}`);
                assert.ok(page.text.includes(`openssl cms -verify -binary -inform DER -in ${p.name}.p7s -content ${p.name}`),
                    `the page checks ${p.name}'s signature`);
            } else {
                assert.equal(p.name, `${p.tool}-${VERSION}-linux-x86_64.tar.gz`);
                const r = spawnSync('tar', ['tzf', pkg], { encoding: 'utf8' });
                assert.equal(r.status, 0, r.stderr);
                assert.ok(r.stdout.split('\n').includes(`${p.tool}-${VERSION}-linux-x86_64/bin/${p.tool}`), r.stdout);
            }
        }
    });
}

test('tools__证书助手s_commands_are_the_packaged_programs__renew_only_when_it_has_it', async () => {
    const j = await json('');
    const assist = j.tools.find((t) => t.name === 'hall-assist');
    const tgz = j.packages.find((p) => p.tool === 'hall-assist' && p.kind === 'tarball');
    const dir = tmpdir();
    const file = path.join(dir, tgz.name);
    fs.writeFileSync(file, Buffer.from(await (await fetch(HALL + tgz.url)).arrayBuffer()));
    assert.equal(spawnSync('tar', ['xzf', file, '-C', dir]).status, 0);
    /* the program of the download prints the usage the page lists */
    const run = spawnSync(path.join(dir, `hall-assist-${VERSION}-linux-x86_64`, 'bin', 'hall-assist'), [],
        { encoding: 'utf8' });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.trimEnd(), assist.usage);
    const page = (await new Client().get('/sign/tools')).text;
    const pre = page.match(/<pre id="sign-tools-assist-usage"[^>]*>([\s\S]*?)<\/pre>/);
    assert.ok(pre, 'the page shows the usage');
    assert.equal(pre[1].trimEnd(), esc(assist.usage));
    /* list, pin, unlock: the commands, the unlock one with this hall's address */
    assert.match(page, /id="assist-cmd-list">[^<]*<code>hall-assist list --module 驱动库 --token 介质序列号<\/code>/);
    assert.match(page, /id="assist-cmd-pin">[^<]*<code>hall-assist pin --module 驱动库 --token 介质序列号<\/code>/);
    assert.match(page, /<code>hall-assist unlock --module 驱动库 --token 介质序列号 --ticket 解锁码 --hall http[^<]+<\/code>/);
    assert.match(page, /id="assist-cmd-unlock">[\s\S]*?原密钥和证书保持不变，不签发新证书/);
    for (const cmd of ['list', 'pin', 'unlock'])
        assert.ok(assist.usage.includes(`hall-assist ${cmd}`), `the program has ${cmd}`);
    /* 在线更新: named as the program has it, never with flags it does not have */
    if (/hall-assist renew/.test(assist.usage)) {
        assert.equal(assist.renew, true);
        assert.match(page, /id="assist-cmd-renew">在线更新/);
        /* the exact command, as 用证书助手在线更新 shows its form */
        assert.match(page, /id="assist-cmd-renew">[^]*?<code>hall-assist renew --module 驱动库 --token 介质序列号 --ticket 更新码 --hall http[^<]+<\/code>/);
    } else {
        assert.equal(assist.renew, false);
        assert.match(page, /id="assist-cmd-renew-soon">在线更新[^<]*即将推出/);
        assert.ok(!page.includes('hall-assist renew'), 'no renew command the program lacks');
    }
    /* 在线变更 likewise */
    assert.equal(assist.change, /hall-assist change/.test(assist.usage));
    if (assist.change) {
        assert.match(page, /id="assist-cmd-change">在线变更：[\s\S]*?新证书写入并经网上营业厅确认后，原证书才作废/);
        assert.match(page, /id="assist-cmd-change">[^]*?<code>hall-assist change --module 驱动库 --token 介质序列号 --ticket 变更码 --hall http[^<]+<\/code>/);
    }
    else
        assert.ok(!page.includes('id="assist-cmd-change"'), 'no change command the program lacks');
});

test('tools__media_supported__any_pkcs11_module__softhsm2__p11_kit__the_stations_module__the_browser_file', async () => {
    const page = (await new Client().get('/sign/tools')).text;
    const media = page.match(/<section class="card" id="sign-tools-media">([\s\S]*?)<\/section>/);
    assert.ok(media, 'the page has 支持的介质');
    const m = media[1];
    assert.match(m, /id="media-usbkey"><strong>USB Key<\/strong>：任何提供PKCS#11驱动的USB Key/);
    assert.match(m, /CKM_EC_KEY_PAIR_GEN/);
    assert.ok(m.includes('/usr/lib/softhsm/libsofthsm2.so'), 'SoftHSM2\'s module');
    assert.ok(m.includes('/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so'), 'p11-kit\'s proxy');
    /* the module the hall's station makes USB keys with (hall.conf) */
    const conf = fs.readFileSync(process.env.HALL_CONF, 'utf8');
    const station = (conf.match(/^medium_module = (.+)$/m) || [])[1];
    assert.ok(station, 'the test hall has a production station');
    assert.ok(m.includes(`本营业厅制作USB Key所用的驱动为 <code>${station}</code>`), 'the station\'s module');
    assert.match(m, /浏览器生成的证书文件[\s\S]*无法解锁：只能签发新证书/);
    /* the page says the hall never holds the key */
    assert.match(page, /本营业厅从不持有您的私钥/);
});

/* the 证书助手's package carries the browser's door (issue 70 §1, §3;
 * docs/internals/assist.md): the native-messaging host manifests naming
 * /usr/bin/hall-assist and the extension's id, the extension itself (its
 * content script on the hall's origin, the same origin hall-assist serves,
 * a conffile), and a pinentry among its dependencies.  Before, the package
 * held /usr/bin/hall-assist and its README only. */
test('tools__证书助手s_deb__native_messaging_manifests__the_extension__its_origin__pinentry', async () => {
    const j = await json('');
    const p = j.packages.find((x) => x.tool === 'hall-assist' && x.kind === 'deb');
    assert.ok(p, 'the 证书助手 is packaged as a .deb');
    const dir = tmpdir();
    const deb = path.join(dir, p.name);
    fs.writeFileSync(deb, Buffer.from(await (await fetch(`${HALL}${p.url}`)).arrayBuffer()));
    const x = spawnSync('dpkg-deb', ['-x', deb, path.join(dir, 'root')], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const at = (f) => path.join(dir, 'root', f);
    const ext = JSON.parse(fs.readFileSync(at('usr/share/hall-assist/extension/manifest.json'), 'utf8'));
    assert.equal(ext.manifest_version, 3);
    assert.deepEqual(ext.permissions, ['nativeMessaging']);
    const origin = ext.content_scripts[0].matches[0].replace(/\/\*$/, '');
    assert.match(origin, /^https?:\/\/[^/*]+$/, 'the content script runs on one origin, no wildcard');
    for (const f of ['background.js', 'content.js'])
        assert.ok(fs.existsSync(at(`usr/share/hall-assist/extension/${f}`)), f);
    /* the extension's id, as Chromium derives it from the manifest's key */
    const spki = Buffer.from(ext.key, 'base64');
    const id = [...crypto.createHash('sha256').update(spki).digest('hex').slice(0, 32)]
        .map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
    for (const f of ['etc/chromium/native-messaging-hosts', 'etc/opt/chrome/native-messaging-hosts',
        'etc/opt/edge/native-messaging-hosts']) {
        const h = JSON.parse(fs.readFileSync(at(`${f}/cn.hall.assist.json`), 'utf8'));
        assert.deepEqual([h.name, h.path, h.type, h.allowed_origins], ['cn.hall.assist', '/usr/bin/hall-assist',
            'stdio', [`chrome-extension://${id}/`]], f);
    }
    const ff = JSON.parse(fs.readFileSync(at('usr/lib/mozilla/native-messaging-hosts/cn.hall.assist.json'), 'utf8'));
    assert.deepEqual(ff.allowed_extensions, [ext.browser_specific_settings.gecko.id]);
    assert.equal(ff.path, '/usr/bin/hall-assist');
    assert.match(fs.readFileSync(at('etc/hall-assist/hall-assist.conf'), 'utf8'),
        new RegExp(`^origin ${origin.replace(/[.]/g, '\\.')}$`, 'm'), 'hall-assist serves the extension\'s origin');
    const f = spawnSync('dpkg-deb', ['-f', deb, 'Depends'], { encoding: 'utf8' });
    assert.match(f.stdout, /pinentry-gnome3 \| pinentry-qt \| pinentry-gtk2 \| pinentry-curses/);
    assert.match(f.stdout, /libp11-kit0/);
    assert.match(f.stdout, /libyajl2/);
    const c = spawnSync('dpkg-deb', ['--ctrl-tarfile', deb], { encoding: 'buffer' });
    assert.ok(c.stdout.includes(Buffer.from('/etc/hall-assist/hall-assist.conf')), 'the origins file is a conffile');
});
