'use strict';
/*
 * The page's PDF reader (static/stamp/pdf-read.js) reads every file of
 * every corpus as core/pdf reads it (issue 71 §3; docs/internals/stamp.md
 * §8): the same refusal, the same misplaced entries, each object the
 * cross-reference lists with the same value (or unreadable on both sides),
 * the same pages.  core/pdf's side is tests/pdf-dump's.
 * Needs the build (tests/pdf-dump), not the hall.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { stampModules, jsDump, cDump, PDF_DUMP, ROOT } = require('./lib/pdfdump');

function filesUnder(dir) {
    const out = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory())
            out.push(...filesUnder(p));
        else if (e.isFile())
            out.push(p);
    }
    return out;
}

const CORPORA = [
    ...filesUnder(path.join(ROOT, 'tests', 'fuzz', 'corpus')),
    ...filesUnder(path.join(ROOT, 'tests', 'data', 'pdf')).filter((f) => f.endsWith('.pdf')),
];

/* the first lines where a and b differ */
function firstDiff(a, b) {
    const x = a.split('\n'), y = b.split('\n');
    for (let i = 0; i < Math.max(x.length, y.length); i++)
        if (x[i] !== y[i])
            return `  C:  ${(x[i] || '').slice(0, 300)}\n  JS: ${(y[i] || '').slice(0, 300)}`;
    return '';
}

test('the page reads every corpus file as core/pdf reads it', { skip: !fs.existsSync(PDF_DUMP) && 'no tests/pdf-dump (make)' },
    async () => {
        const M = await stampModules();
        assert.ok(CORPORA.length > 1000, `the corpora: ${CORPORA.length} files`);
        const c = cDump(CORPORA);
        const bad = [];
        let opened = 0;
        for (const f of CORPORA) {
            const js = jsDump(M, new Uint8Array(fs.readFileSync(f)));
            const want = c.get(f);
            if (want === undefined)
                bad.push(`${f}: no dump from tests/pdf-dump`);
            else if (js !== want)
                bad.push(`${path.relative(ROOT, f)}\n${firstDiff(want, js)}`);
            opened += js.startsWith('M ') ? 1 : 0;
        }
        assert.ok(opened > 100, `files core/pdf opens: ${opened}`);
        assert.equal(bad.length, 0, `${bad.length} of ${CORPORA.length} files read differently:\n${bad.slice(0, 8).join('\n')}`);
    });
