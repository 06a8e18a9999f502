'use strict';
/*
 * The page's PDF reader (static/stamp/pdf-read.js) reads every file of
 * every corpus as core/pdf reads it (issue 71 §3; docs/internals/stamp.md
 * §8): the same refusal, the same misplaced entries, each object the
 * cross-reference lists with the same value (or unreadable on both sides),
 * the same pages.  core/pdf's side is tests/pdf-dump's.  Then the bytes
 * written: each file the page would stamp is stamped by the page's writer
 * (pdf-update.js) and the output read again by both, equal again, and, as
 * core/pdf reads it, every object of the input kept but those the update
 * writes again, which keep every key but the one the stamp extends.
 * And the page's inflate against zlib's on 6,000 random streams.
 * Needs the build (tests/pdf-dump), not the hall.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { stampModules, jsDump, cDump, value, testStamp, PDF_DUMP, ROOT } = require('./lib/pdfdump');

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

/* the files core/pdf opens (the first test's; all of them when it did not run) */
let opened = null;

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
        opened = [];
        for (const f of CORPORA) {
            const js = jsDump(M, new Uint8Array(fs.readFileSync(f)));
            const want = c.get(f);
            if (want === undefined)
                bad.push(`${f}: no dump from tests/pdf-dump`);
            else if (js !== want)
                bad.push(`${path.relative(ROOT, f)}\n${firstDiff(want, js)}`);
            if (js.startsWith('M '))
                opened.push(f);
        }
        assert.ok(opened.length > 100, `files core/pdf opens: ${opened.length}`);
        assert.equal(bad.length, 0, `${bad.length} of ${CORPORA.length} files read differently:\n${bad.slice(0, 8).join('\n')}`);
    });

/* the keys an update extends, by what it wrote again (pdf-update.js's rewritten) */
const EXTENDED = { page: ['Annots'], form: ['Fields', 'SigFlags'], catalog: ['AcroForm'] };

test('what the page writes, core/pdf reads: every object kept but the one key each rewrite extends',
    { skip: !fs.existsSync(PDF_DUMP) && 'no tests/pdf-dump (make)' }, async () => {
        const M = await stampModules();
        const { PDFArray, PDFRef } = M.PL;
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-pr-out-'));
        const stamped = [];
        let refused = 0;
        for (const f of opened || CORPORA) {
            const bytes = new Uint8Array(fs.readFileSync(f));
            let pdf, u;
            try {
                pdf = await M.update.readPdf(bytes);
                u = M.update.writeUpdate(pdf, testStamp(0));
            } catch (e) {
                if (!e.field)
                    throw new Error(`${path.relative(ROOT, f)}: ${e.stack}`);
                refused++;
                continue;
            }
            const out = path.join(tmp, `${stamped.length}.pdf`);
            fs.writeFileSync(out, u.bytes);
            stamped.push({ f, bytes, out, pdf, u });
        }
        assert.ok(stamped.length > 100, `files stamped: ${stamped.length} (${refused} refused)`);
        const c = cDump(stamped.map((s) => s.out));
        const cIn = cDump(stamped.map((s) => s.f));
        const bad = [];
        for (const { f, bytes, out, pdf, u } of stamped) {
            const name = path.relative(ROOT, f);
            const outBytes = new Uint8Array(fs.readFileSync(out));
            /* the output read alike by both */
            const js = jsDump(M, outBytes);
            if (js !== c.get(out)) {
                bad.push(`${name}: its stamped output read differently\n${firstDiff(c.get(out), js)}`);
                continue;
            }
            /* the same pages, nothing misplaced, the stamp's objects read */
            /* its lines by "M", "P", "O num gen" */
            const lines = (t) => new Map(t.split('\n').filter((l) => l).map((l) => [l.startsWith('O ') ?
                l.split(' ', 3).join(' ') : l[0], l]));
            const before = lines(cIn.get(f)), after = lines(c.get(out));
            if (before.get('P') !== after.get('P') || !/^M 0 /.test(after.get('M')))
                bad.push(`${name}: pages ${before.get('P')} -> ${after.get('P')}, ${after.get('M')}`);
            for (const n of Object.values(u.objects))
                if (!after.has(`O ${n} 0`) || after.get(`O ${n} 0`).endsWith(' !'))
                    bad.push(`${name}: the stamp's object ${n} not read: ${after.get(`O ${n} 0`)}`);
            /* every object of the input: the same, or written again keeping all but the key extended */
            const again = new Map();
            const page = pdf.pages[0];
            for (const kind of u.rewritten) {
                if (kind === 'page')
                    again.set(page.ref.objectNumber, EXTENDED.page);
                else if (kind === 'annots')
                    again.set(page.dict.get(M.PL.PDFName.of('Annots')).objectNumber, 'array');
                else if (kind === 'form')
                    again.set(pdf.formRef.objectNumber, EXTENDED.form);
                else
                    again.set(pdf.rootRef.objectNumber, EXTENDED.catalog);
            }
            const dIn = M.read.openPdf(bytes), dOut = M.read.openPdf(outBytes);
            for (const [k, line] of before) {
                if (!k.startsWith('O '))
                    continue;
                const num = Number(k.split(' ')[1]);
                if (!again.has(num)) {
                    if (after.get(k) !== line)
                        bad.push(`${name}: object ${num} changed\n  ${line.slice(0, 200)}\n  ${String(after.get(k)).slice(0, 200)}`);
                    continue;
                }
                const gen = Number(k.split(' ')[2]);
                const a = dIn.get(num, gen), b = dOut.get(num, gen);
                if (again.get(num) === 'array') {
                    const x = a.asArray().map((v) => value(M, v)), y = b.asArray().map((v) => value(M, v));
                    if (y.length !== x.length + 1 || x.some((v, i) => y[i] !== v))
                        bad.push(`${name}: /Annots ${num} not kept`);
                    continue;
                }
                const skip = again.get(num);
                const keys = new Set([...a.keys(), ...b.keys()].map((n) => n.decodeText()));
                for (const key of keys) {
                    const va = dIn.key(a, key), vb = dOut.key(b, key);
                    if (skip.includes(key)) {
                        /* the array the stamp extends keeps every item, and only one is added */
                        if (key !== 'SigFlags' && key !== 'AcroForm' && va instanceof PDFArray &&
                            (!(vb instanceof PDFArray) || vb.size() !== va.size() + 1 ||
                                va.asArray().some((v, i) => value(M, v) !== value(M, vb.get(i)))))
                            bad.push(`${name}: /${key} of ${num} not kept`);
                        continue;
                    }
                    if (value(M, a.get(M.PL.PDFName.of(key))) !== value(M, b.get(M.PL.PDFName.of(key))))
                        bad.push(`${name}: /${key} of ${num} written as ${value(M, b.get(M.PL.PDFName.of(key)))}`);
                }
            }
            if (!(again.size > 0 && [...again.keys()].every((n) => n > 0)))
                bad.push(`${name}: nothing written again`);
            void PDFRef;
        }
        fs.rmSync(tmp, { recursive: true, force: true });
        assert.equal(bad.length, 0, `${bad.length} problems in ${stamped.length} stamped files:\n${bad.slice(0, 8).join('\n')}`);
    });

/* the page's inflate (pdf-read.js) as zlib's, which core/pdf calls
 * (pdf_filter.c: Z_BUF_ERROR keeps what it gave): random deflate streams,
 * whole, cut short, with bits flipped, a byte replaced and cut, or
 * garbage after them; node's zlib with Z_SYNC_FLUSH answers as core/pdf */
test('the page inflates as zlib does', async () => {
    const M = await stampModules();
    const zlib = require('node:zlib');
    let seed = 20261129;
    const rnd = (n) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
    };
    const bad = [];
    for (let it = 0; it < 6000; it++) {
        const n = rnd(3000), src = Buffer.alloc(n), kind = rnd(3);
        for (let i = 0; i < n; i++)
            src[i] = kind === 0 ? rnd(256) : kind === 1 ? 97 + rnd(4) : (i % 17) * 3;
        let d = Buffer.from(zlib.deflateSync(src, { level: rnd(10), strategy: rnd(5) }));
        const how = rnd(5);
        if (how === 1)
            d = d.subarray(0, rnd(d.length + 1));
        else if (how === 2)
            for (let k = 0; k < 1 + rnd(3); k++)
                d[rnd(d.length)] ^= 1 << rnd(8);
        else if (how === 3)
            d = Buffer.concat([d, Buffer.from('garbage')]);
        else if (how === 4) {
            d[rnd(d.length)] = rnd(256);
            d = d.subarray(0, rnd(d.length + 1));
        }
        let z;
        try {
            z = zlib.inflateSync(d, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        } catch (e) {
            z = null;
        }
        const j = M.read.inflate(new Uint8Array(d));
        if (!((z === null && j === null) || (z && j && Buffer.compare(z, Buffer.from(j)) === 0)))
            bad.push(`stream ${it} (change ${how}): zlib ${z ? z.length : 'error'}, page ${j ? j.length : 'refused'}`);
    }
    assert.equal(bad.length, 0, `${bad.length} of 6000 differ:\n${bad.slice(0, 8).join('\n')}`);
});
