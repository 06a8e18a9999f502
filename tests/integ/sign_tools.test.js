'use strict';
/*
 * 驱动和盖章工具下载 (modules/sign, GET /sign/tools; docs/modules/sign.md):
 * the packages `make stamp-dist` built from this tree (script/test's build
 * runs it) listed with their version, size and SHA-256; each downloaded
 * through nginx is what the page says (the .deb a Debian package of
 * hall-stamp, the tarball holding bin/hall-stamp); how to install and run
 * it, with the hall's own TSA.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client, HALL } = require('./lib/client');
const { tmpdir } = require('./lib/pki');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..');
const VERSION = fs.readFileSync(path.join(ROOT, 'configure.ac'), 'utf8').match(/AC_INIT\(\[hall\], \[([^\]]+)\]/)[1];

test('tools__packages_listed_with_version_size_sha256__downloads_are_them', async () => {
    const j = await (await fetch(`${HALL}/sign/tools`, { headers: { Accept: 'application/json' } })).json();
    assert.equal(j.ok, true);
    assert.equal(j.version, VERSION);
    assert.deepEqual(j.packages.map((p) => p.kind).sort(), ['deb', 'tarball']);
    const dir = tmpdir();
    const page = await new Client().get('/sign/tools');
    assert.equal(page.status, 200);
    for (const p of j.packages) {
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
