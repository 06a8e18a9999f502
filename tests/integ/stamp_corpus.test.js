'use strict';
/*
 * A stamp never changes what a page shows (docs/internals/stamp.md §1):
 * every PDF of tests/data/pdf/corpus (its README says how each was made:
 * classic tables, object and cross-reference streams, hybrid-reference,
 * linearized, PDF 2.0, an incremental update, content streams of wrong
 * /Length, LibreOffice and cairo files, two files Microsoft Word saved, one
 * of them cropped by a PDF editor) is stamped on page 1 by 免费体验
 * (POST /sign/try through nginx) and by `hall-stamp sign` with a seal the
 * hall produced; poppler's pdftoppm renders every page before and after,
 * and every pixel outside the seal's box (the widget's /Rect mapped to
 * pixels, 3 pixels of margin) is the same; qpdf --check finds nothing in
 * the result that it did not find in the input.  The files that cannot be
 * read completely (a broken cross-reference, an object nobody can read,
 * encryption) are refused by both with a message that says why.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client, HALL } = require('./lib/client');
const { producedSeal, HALL_STAMP } = require('./lib/stamp');
const { tmpdir } = require('./lib/pki');
const { CORPUS, assertSamePages } = require('./lib/pixels');
const { fetchVia } = require('./lib/front');


/* name -> null (stamped) or what the refusal must say */
const FILES = {
    'plain.pdf': null,
    'wrong-length.pdf': null,
    'pdf20.pdf': null,
    'hybrid.pdf': null,
    'hybrid-wrong-length.pdf': null,
    'annots-form.pdf': null,
    'missing-object.pdf': null,
    'incremental-wrong-length.pdf': null,
    'objstm.pdf': null,
    'objstm-wrong-length.pdf': null,
    'linearized.pdf': null,
    'linearized-wrong-length.pdf': null,
    'libreoffice-qdf-wrong-length.pdf': null,
    'libreoffice-linearized-objstm.pdf': null,
    'cairo-contract.pdf': null,
    'word2016-dengxian.pdf': null,
    'word-contract.pdf': null,
    'unreadable-object.pdf': /无法完整读取的对象：页面对象（对象4 0）的\/Contents无法读取。为免盖章后页面内容缺失，不能盖章/,
    'broken-xref.pdf': /交叉引用表已损坏/,
    'broken-xref-contents.pdf': /交叉引用表已损坏/,
    'size-too-small.pdf': /\/Size为6，不大于文件中已使用的对象编号7/,
    'encrypted.pdf': /PDF文件已加密/,
    'encrypted-password.pdf': /PDF文件已加密/,
};

/* tests/data/pdf/refused (its README): what some reader reads otherwise
 * than the hall, refused by name before anything is signed (issue 71 §2) */
const REFUSED_DIR = path.join(CORPUS, '..', 'refused');
const REFUSED = {
    'sigs-64.pdf': /已有64个签名/,
    'size-2000000000.pdf': /\/Size为2000000000，盖章写入的新对象编号将超过.*最大对象编号8388607/,
    'size-8388607.pdf': /\/Size为8388607，盖章写入的新对象编号将超过/,
    'rotate-45.pdf': /第1页的旋转角度（\/Rotate）不是90的整数倍/,
    'rotate-2147483640.pdf': /第1页的旋转角度（\/Rotate）不是90的整数倍/,
    'length-fake-endstream.pdf': /对象4的数据流长度（\/Length）与其结束标记（endstream）不符/,
    'length-covers-endstream.pdf': /对象4的数据流长度（\/Length）与其结束标记（endstream）不符/,
    'xref-twice.pdf': /交叉引用表中同一对象出现了两次/,
    'redefined-outside.pdf': /对象3在交叉引用表所列位置之外又定义了一次/,
};

/* where the seal goes, mm: (150, 240) but where that is not shown (the
 * cropped Word contract shows only a block near its media box's top-left) */
const PLACE = { 'word-contract.pdf': ['70', '40'] };
const place = (name) => PLACE[name] || ['150', '240'];

const dir = tmpdir();
const f = (name) => path.join(dir, name);
let pin = '';
let signer = []; /* the USB key's key and the chain (producedSeal) */
let mediaEnv = process.env;

before(async () => {
    /* onto a USB key: hall-stamp signs with the key born in it */
    ({ pin, signer, env: mediaEnv } = await producedSeal(dir, { medium: true }));
});

test('corpus__every_file_listed__and_every_listed_file_there', () => {
    const there = fs.readdirSync(CORPUS).filter((n) => n.endsWith('.pdf')).sort();
    assert.deepEqual(there, Object.keys(FILES).sort());
    const refused = fs.readdirSync(REFUSED_DIR).filter((n) => n.endsWith('.pdf')).sort();
    assert.deepEqual(refused, Object.keys(REFUSED).sort());
});

/* 免费体验 from an address of its own (X-Forwarded-For through the test
 * hall's trusted front, lib/front.js): the day's limit is per address */
let addrs = 0;
async function trial(buf, [x, y]) {
    const c = new Client();
    const ip = `203.0.${113 - (process.pid % 50)}.${1 + (addrs++ % 250)}`;
    /* the page too from that address: /sign/try's rate per address would
     * refuse the corpus's pages from one address */
    const got = await fetchVia(`${HALL}/sign/try`, { headers: { Accept: 'text/html', 'X-Forwarded-For': ip } });
    c.keep(got);
    const text = await got.text();
    assert.equal(got.status, 200, text.slice(0, 300));
    const csrf = text.match(/name="_csrf" value="([^"]+)"/)[1];
    const fd = new FormData();
    fd.append('_csrf', csrf);
    for (const [k, v] of Object.entries({ page: '1', x, y }))
        fd.append(k, v);
    fd.append('file', new Blob([buf], { type: 'application/pdf' }), 'doc.pdf');
    const r = await fetchVia(`${HALL}/sign/try`, {
        method: 'POST', body: fd,
        headers: { Cookie: c.cookieHeader(), Accept: 'application/json', 'X-Forwarded-For': ip },
    });
    const body = Buffer.from(await r.arrayBuffer());
    const pdf = (r.headers.get('content-type') || '').startsWith('application/pdf');
    return { status: r.status, body, json: pdf ? null : JSON.parse(body.toString()) };
}

/* hall-stamp sign with the produced seal: { status, out (the bytes), text } */
function tool(input, name, [x, y]) {
    const out = f(`tool-${name}`);
    const r = spawnSync(HALL_STAMP, ['sign', '--in', input, '--out', out, '--seal', f('seal.seseal'),
        ...signer, '--page', '1', '--x', x, '--y', y, '--tsa', `${HALL}/tsa`,
        '--pin-fd', '0'], { input: `${pin}\n`, encoding: 'utf8', env: { ...mediaEnv, LANG: 'zh_CN.UTF-8' } });
    return { status: r.status, text: r.stdout + r.stderr, out: r.status === 0 ? fs.readFileSync(out) : null };
}

const ALL = [...Object.entries(FILES).map(([n, r]) => [CORPUS, n, r]),
    ...Object.entries(REFUSED).map(([n, r]) => [REFUSED_DIR, n, r])];
for (const [from, name, refused] of ALL) {
    const input = path.join(from, name);
    if (refused === null) {
        test(`corpus__${name}__stamped_by_trial_and_tool__pages_unchanged_outside_the_seal`, async () => {
            const t = await trial(fs.readFileSync(input), place(name));
            assert.equal(t.status, 200, `免费体验: ${t.body.toString().slice(0, 300)}`);
            assertSamePages(dir, `trial-${name}`, input, t.body);
            const h = tool(input, name, place(name));
            assert.equal(h.status, 0, `hall-stamp sign: ${h.text}`);
            assertSamePages(dir, `tool-${name}`, input, h.out);
        });
    } else {
        test(`corpus__${name}__refused_by_trial_and_tool__saying_why`, async () => {
            const t = await trial(fs.readFileSync(input), place(name));
            assert.equal(t.status, 400, t.body.toString().slice(0, 300));
            assert.equal(t.json.field, 'file');
            assert.match(t.json.message, refused);
            const h = tool(input, name, place(name));
            assert.notEqual(h.status, 0);
            assert.match(h.text, refused);
            assert.ok(!fs.existsSync(f(`tool-${name}`)), 'no output written');
        });
    }
}
