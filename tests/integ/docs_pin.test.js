'use strict';
/*
 * docs/internals/pki.md's "The PIN and the medium" states the PINs' lengths
 * as the code draws them: production's PIN (core/biz/produce.c) and the
 * micro-deposit memo's (core/flow/finauth_deposit.c), with the number of PINs a
 * holder of the file may try.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');

/* the width N of the first snprintf(VAR, sizeof(VAR), "%0Nu", hall_rand_below(...)) into var */
function width(file, v) {
    /* the buffer may be a member (pd->pinbuf) */
    const b = `(?:\\w+->)?${v}`;
    const m = new RegExp(`snprintf\\(${b}, sizeof\\(${b}\\), "%0(\\d+)u", hall_rand_below`).exec(read(file));
    assert.ok(m, `${file} draws ${v}`);
    return Number(m[1]);
}

test('pki.md states the PIN lengths the code draws (production and deposit memo)', () => {
    const doc = read('docs/internals/pki.md');
    const at = doc.indexOf('## The PIN and the medium');
    assert.ok(at >= 0);
    const section = doc.slice(at, doc.indexOf('\n## ', at + 3));
    const prod = width('core/biz/produce.c', 'pinbuf');
    const memo = width('core/flow/finauth_deposit.c', 'code');
    for (const [what, n] of [['production', prod], ['deposit memo', memo]]) {
        assert.ok(section.includes(`${n} digits`), `${what}: ${n} digits`);
        assert.ok(section.includes(`10^${n}`), `${what}: 10^${n} PINs`);
    }
    /* crypto.md shows the memo with as many digits */
    assert.match(read('docs/internals/crypto.md'), new RegExp(`数字证书PIN码: ${'N'.repeat(memo)}\\b`));
});
