'use strict';
/*
 * A script that starts a process as another user starts it from a
 * directory that user may enter: a clone under a fresh mktemp -d (or
 * /root) is a working directory only root may enter, and PostgreSQL's
 * tools started there as postgres stop with "could not change directory
 * to ...: Permission denied".  bench/failover, bench/multihost and
 * bench/objstore-failover start Patroni and pg_ctl through in_ns (a network
 * namespace); their in_ns is
 * run here with `ip` standing in for `ip netns exec`, from a directory of
 * mode 700, as the PostgreSQL user.
 */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

function osUser() {
    for (const u of ['postgres', 'hall', 'nobody']) {
        if (spawnSync('id', ['-u', u]).status === 0) return u;
    }
    return null;
}

function inNsOf(script) {
    const text = fs.readFileSync(path.join(ROOT, script), 'utf8');
    const m = /^in_ns\(\) \{\n[\s\S]*?\n\}\n/m.exec(text);
    assert.ok(m, `${script} defines in_ns`);
    return m[0];
}

for (const script of ['bench/failover', 'bench/multihost', 'bench/objstore-failover']) {
    test(`${script}: in_ns starts another user's process from a directory it may enter`,
        { skip: IS_ROOT && osUser() ? false : 'needs root and a system user' }, () => {
            const user = osUser();
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-cwd-'));
            try {
                const closed = path.join(tmp, 'closed');
                const bin = path.join(tmp, 'bin');
                fs.mkdirSync(closed, { mode: 0o700 });
                fs.mkdirSync(bin, { mode: 0o755 });
                fs.chmodSync(tmp, 0o755);
                /* ip netns exec NS CMD... -> CMD... (no namespace needed) */
                fs.writeFileSync(path.join(bin, 'ip'), '#!/bin/sh\nshift 3\nexec "$@"\n', { mode: 0o755 });
                const prog = `${inNsOf(script)}
NS=hcwd
cd ${JSON.stringify(closed)}
in_ns db1 runuser -u ${user} -- sh -c 'cd -- "$(pwd -P)" && pwd -P'
`;
                const r = spawnSync('bash', ['-c', prog], {
                    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
                    encoding: 'utf8',
                });
                assert.equal(r.status, 0, `${user} could not enter its working directory: ${r.stderr}`);
                assert.equal(r.stdout.trim(), '/');
            } finally {
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        });
}

test('every runuser in bench/ and script/ runs from / (through in_ns, as_pg or cd / &&)', () => {
    const files = [];
    for (const dir of ['bench', 'script', 'script/lib']) {
        for (const name of fs.readdirSync(path.join(ROOT, dir))) {
            const f = path.join(dir, name);
            if (!fs.statSync(path.join(ROOT, f)).isFile()) continue;
            const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
            if (/^#!.*\b(ba)?sh\b/.test(text) || f.endsWith('.sh')) files.push([f, text]);
        }
    }
    const bad = [];
    for (const [f, text] of files) {
        text.split('\n').forEach((line, i) => {
            if (!/\brunuser\b/.test(line) || /^\s*#/.test(line)) return;
            if (/\(cd \/ && (exec )?runuser\b/.test(line)) return;
            if (/^\s*in_ns\s/.test(line) && /^in_ns\(\) \{\n[^}]*\(cd \/ && /m.test(text)) return;
            /* user_reaches: `test -x` of an absolute path, no directory entered */
            if (/runuser -u "\$1" -- test -x "\$2"/.test(line)) return;
            bad.push(`${f}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(bad, []);
});
