'use strict';
/*
 * 驱动和盖章工具下载 (modules/sign, GET /sign/tools; docs/modules/sign.md):
 * the packages of dist_dir listed with their version, size and SHA-256, the
 * file served by nginx at /sign/tools/dl/ byte for byte; how to install and
 * run hall-stamp, with the hall's TSA.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Client, HALL } = require('./lib/client');

const DIST = path.join(process.env.HALL_VAR || '', 'dist');

test('tools__package_listed_with_version_size_sha256__downloaded_byte_for_byte', async () => {
    fs.mkdirSync(DIST, { recursive: true });
    const name = `hall-stamp_9.${process.pid % 1000}.1_amd64.deb`;
    const bytes = crypto.randomBytes(70000);
    fs.writeFileSync(path.join(DIST, name), bytes);
    /* not a package of the tool: never listed */
    fs.writeFileSync(path.join(DIST, 'notes.txt'), 'x');
    try {
        const sum = crypto.createHash('sha256').update(bytes).digest('hex');
        const j = await (await fetch(`${HALL}/sign/tools`, { headers: { Accept: 'application/json' } })).json();
        const p = j.packages.find((x) => x.name === name);
        assert.ok(p, JSON.stringify(j));
        assert.equal(p.version, `9.${process.pid % 1000}.1`);
        assert.equal(p.size, bytes.length);
        assert.equal(p.sha256, sum);
        assert.ok(!j.packages.some((x) => x.name === 'notes.txt'));
        const page = await new Client().get('/sign/tools');
        assert.equal(page.status, 200);
        assert.match(page.text, new RegExp(sum));
        assert.match(page.text, /hall-stamp sign --in/);
        assert.match(page.text, new RegExp(`--tsa ${HALL.replace(/[.]/g, '\\.')}/tsa`));
        assert.match(page.text, /href="\/seal\/stamp"/);
        const dl = await fetch(`${HALL}${p.url}`);
        assert.equal(dl.status, 200);
        assert.ok(Buffer.from(await dl.arrayBuffer()).equals(bytes));
    } finally {
        fs.rmSync(path.join(DIST, name), { force: true });
        fs.rmSync(path.join(DIST, 'notes.txt'), { force: true });
    }
});
