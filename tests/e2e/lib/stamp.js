'use strict';
/*
 * Helpers of the stamp tests (tests/e2e/stamp*.test.js, bench/stamp-web):
 * a produced seal with its PKCS#12 and PIN, PDFs made here (a cross-
 * reference table, or qpdf's object and cross-reference streams), and the
 * outside checks of a stamped PDF: poppler's pdfsig with the hall's root in
 * an NSS database, qpdf --check, openssl cms -verify over the byte ranges,
 * openssl ts -verify of the token.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { HALL, applicant } = require('../../integ/lib/client');
const { sealOrder, holderMakesKey } = require('../../integ/lib/seal');
const { psql, fetchPki, derNode, derChildren, openssl, operator, tmpdir } = require('../../integ/lib/pki');
const { freshPhone } = require('../../integ/lib/client');

/* one 机构个人章 made as a holder makes it today (issue 64): the order
 * produced by the operator, the holder's key born on the holder's side
 * (integ/lib/seal.js holderMakesKey: openssl standing for the browser of
 * /seal/holder, the request posted to POST /pki/seal-holder, the PKCS#12
 * assembled there under the holder's own PIN).  { c (the agent, owner of
 * the order), id, item, esId, pin, p12, seal } -- the file the holder
 * saved and the seal's .seseal, as Buffers; the hall never held the key */
async function producedSeal() {
    const c = await applicant();
    const phone = freshPhone('135');
    const so = await sealOrder(c, { org_count: '0', biz_count: '0', person_count: '1', person_1_name: '王五',
        person_1_ric: '44011320141005001X', person_1_years: '1', person_1_style: 'auto', person_1_mobile: phone },
    { agent_mobile: freshPhone('137') });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${so.id}`);
    const made = await (await operator()).post('/admin/pki/issue', { id: so.id });
    assert.equal(made.status, 200, made.text);
    const dir = tmpdir();
    const h = await holderMakesKey(phone, dir, `Seal${crypto.randomInt(1e6, 1e7)}pin`);
    const item = so.items['org_person:1'];
    assert.equal(psql(`SELECT es_id FROM seseals WHERE item_id = ${item} AND state = 'valid'`), h.esId);
    return { c, id: so.id, item, esId: h.esId, pin: h.pin, p12: fs.readFileSync(h.p12), seal: fs.readFileSync(h.seal) };
}

/* a PDF of n A4 pages with a cross-reference table, written by hand */
function tablePdf(n = 1, title = 'Contract') {
    const objs = [];
    const pageNums = [];
    objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
    objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
    let k = 4;
    for (let i = 1; i <= n; i++) {
        const text = `BT /F1 24 Tf 72 760 Td (${title} page ${i}) Tj ET\n` +
            'BT /F1 12 Tf 72 700 Td (Signed below by the seal of the company.) Tj ET\n' +
            '0 0 1 RG 72 100 m 523 100 l S\n';
        objs[k] = `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}endstream`;
        objs[k + 1] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Contents ${k} 0 R ` +
            '/Resources << /Font << /F1 3 0 R >> >> >>';
        pageNums.push(k + 1);
        k += 2;
    }
    objs[2] = `<< /Type /Pages /Kids [${pageNums.map((p) => `${p} 0 R`).join(' ')}] /Count ${n} >>`;
    objs[k] = '<< /Producer (hall tests) >>';
    let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
    const offs = [];
    for (let i = 1; i <= k; i++) {
        offs[i] = Buffer.byteLength(out, 'latin1');
        out += `${i} 0 obj\n${objs[i]}\nendobj\n`;
    }
    const xref = Buffer.byteLength(out, 'latin1');
    out += `xref\n0 ${k + 1}\n0000000000 65535 f \n`;
    for (let i = 1; i <= k; i++)
        out += `${String(offs[i]).padStart(10, '0')} 00000 n \n`;
    out += `trailer\n<< /Size ${k + 1} /Root 1 0 R /Info ${k} 0 R ` +
        '/ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>] >>\n' +
        `startxref\n${xref}\n%%EOF\n`;
    return Buffer.from(out, 'latin1');
}

/* the same through qpdf: object streams and a cross-reference stream */
function streamPdf(dir, n = 1) {
    const a = path.join(dir, 'in-table.pdf'), b = path.join(dir, 'in-stream.pdf');
    fs.writeFileSync(a, tablePdf(n));
    execFileSync('qpdf', ['--object-streams=generate', a, b]);
    return fs.readFileSync(b);
}

/* the last signature of a PDF: { byteRange, cms (DER), signed (the two ranges) } */
function lastSignature(pdf, { docTimeStamp = false } = {}) {
    const s = pdf.toString('latin1');
    /* the last signature (or, docTimeStamp, document timestamp) value: a
     * /DSS or a document timestamp may follow a stamp (PAdES B-LT, B-LTA) */
    let at = s.length;
    for (;;) {
        at = s.lastIndexOf('/ByteRange', at - 1);
        assert.ok(at > 0, 'a /ByteRange');
        const head = s.slice(s.lastIndexOf(' obj', at), at);
        if (/\/DocTimeStamp/.test(head) === docTimeStamp)
            break;
    }
    const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(s.slice(at));
    const br = m.slice(1, 5).map(Number);
    assert.equal(br[0], 0);
    assert.ok(br[2] + br[3] <= pdf.length, 'the second range ends in the file');
    /* what follows the revision it ends: PAdES's /DSS and document timestamps only */
    assert.ok(br[2] + br[3] === pdf.length || /\/DSS|\/DocTimeStamp/.test(s.slice(br[2] + br[3])),
        'the second range ends at the end of the file, or a /DSS or document timestamp follows');
    const hex = s.slice(br[1] + 1, br[2] - 1);
    assert.equal(s[br[1]], '<');
    assert.equal(s[br[2] - 1], '>');
    const whole = Buffer.from(hex, 'hex');
    const top = derNode(whole, 0);
    return { byteRange: br, cms: Buffer.from(top.raw), hexLength: hex.length,
        signed: Buffer.concat([pdf.subarray(0, br[1]), pdf.subarray(br[2], br[2] + br[3])]) };
}

/* the CMS's parts: { signerInfo children, signature (OCTET STRING's value), token (DER) } */
function cmsParts(cms) {
    const top = derNode(cms, 0);
    const [, explicit] = derChildren(top, cms);
    const sd = derChildren(explicit, cms)[0];
    const kids = derChildren(sd, cms);
    const signerInfos = kids[kids.length - 1];
    const si = derChildren(signerInfos, cms)[0];
    const sk = derChildren(si, cms);
    const sigIdx = sk.findIndex((k) => k.tag === 0x04);
    const unsigned = sk.find((k) => k.tag === 0xa1);
    const attr = derChildren(unsigned, cms)[0];
    const [, values] = derChildren(attr, cms);
    const token = derChildren(values, cms)[0];
    const signed = sk.find((k) => k.tag === 0xa0);
    return { signerInfo: sk, signedAttrs: derChildren(signed, cms), signature: Buffer.from(sk[sigIdx].body),
        token: Buffer.from(token.raw), certificates: derChildren(kids.find((k) => k.tag === 0xa0), cms) };
}

/* the outside verdicts on a stamped PDF: pdfsig, qpdf, openssl cms and ts */
async function outsideChecks(dir, pdf, name = 'out') {
    const file = path.join(dir, `${name}.pdf`);
    fs.writeFileSync(file, pdf);
    await fetchPki(dir);
    const tsaPem = Buffer.from(await (await fetch(`${HALL}/pki/tsa.crt`)).arrayBuffer());
    fs.writeFileSync(path.join(dir, 'tsa.crt'), tsaPem);
    const nss = path.join(dir, 'nss');
    if (!fs.existsSync(nss)) {
        fs.mkdirSync(nss);
        execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
        execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'hall-root', '-t', 'CT,C,C',
            '-i', path.join(dir, 'root.crt')]);
    }
    const ps = spawnSync('pdfsig', ['-nssdir', `sql:${nss}`, '-no-ocsp', file], { encoding: 'utf8' });
    const qp = spawnSync('qpdf', ['--check', file], { encoding: 'utf8' });
    const sig = lastSignature(pdf);
    fs.writeFileSync(path.join(dir, `${name}.cms`), sig.cms);
    fs.writeFileSync(path.join(dir, `${name}.signed`), sig.signed);
    const chain = path.join(dir, 'chain.pem');
    fs.writeFileSync(chain, Buffer.concat([fs.readFileSync(path.join(dir, 'root.crt'))]));
    const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, `${name}.cms`),
        '-content', path.join(dir, `${name}.signed`), '-CAfile', chain, '-purpose', 'any', '-out', '/dev/null']);
    const parts = cmsParts(sig.cms);
    fs.writeFileSync(path.join(dir, `${name}.tst`), parts.token);
    const digest = require('node:crypto').createHash('sha256').update(parts.signature).digest('hex');
    const ts = openssl(['ts', '-verify', '-token_in', '-in', path.join(dir, `${name}.tst`), '-digest', digest,
        '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'tsa.crt')]);
    return {
        pdfsig: `${ps.stdout}${ps.stderr}`, pdfsigStatus: ps.status,
        qpdf: `${qp.stdout}${qp.stderr}`, qpdfStatus: qp.status,
        cms: `${cms.stdout}${cms.stderr}`, cmsStatus: cms.status,
        ts: `${ts.stdout}${ts.stderr}`, tsStatus: ts.status,
        sig, parts,
    };
}

/* the private key's scalar (32 bytes), as openssl reads it from the PKCS#12 */
function keyScalar(dir, p12, pin) {
    const f = path.join(dir, 'medium.p12');
    fs.writeFileSync(f, p12);
    const pem = execFileSync('openssl', ['pkcs12', '-in', f, '-nocerts', '-nodes', '-passin', `pass:${pin}`]);
    const der = execFileSync('openssl', ['ec', '-outform', 'DER', '-no_public'], { input: pem, stdio: ['pipe', 'pipe', 'ignore'] });
    /* ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING (32), ... } */
    const top = derNode(der, 0);
    const kids = derChildren(top, der);
    assert.equal(kids[1].tag, 0x04);
    assert.equal(kids[1].len, 32);
    return Buffer.from(kids[1].body);
}

/* tools/stamp/hall-stamp ARGS (the 盖章工具), the PIN on fd 3 when given */
function hallStamp(args, pin) {
    const tool = path.join(process.env.HALL_ROOT, 'tools/stamp/hall-stamp');
    let fd = 'ignore';
    if (pin !== undefined) {
        const f = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'hall-stamp-pin-')), 'pin');
        fs.writeFileSync(f, pin, { mode: 0o600 });
        fd = fs.openSync(f, 'r');
        fs.unlinkSync(f);
        args = [...args, '--pin-fd', '3'];
    }
    try {
        return spawnSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd] });
    } finally {
        if (typeof fd === 'number')
            fs.closeSync(fd);
    }
}

/* hall-stamp verify of pdf with the hall's roots and CAs fetched into dir (fetchPki) */
function toolVerify(dir, pdf, name) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, pdf);
    const certs = ['--root', path.join(dir, 'root.crt'), '--ca', path.join(dir, 'ecc.crt')];
    if (fs.existsSync(path.join(dir, 'sm2-root.crt')))
        certs.push('--root', path.join(dir, 'sm2-root.crt'), '--ca', path.join(dir, 'sm2.crt'));
    return hallStamp(['verify', ...certs, f]);
}

/* POST /sign/verify: its result */
async function hallVerify(pdf) {
    const form = new FormData();
    form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'stamped.pdf');
    const r = await fetch(`${HALL}/sign/verify`, { method: 'POST', body: form,
        headers: { Accept: 'application/json' } });
    const text = await r.text();
    assert.equal(r.status, 200, text);
    return JSON.parse(text).result;
}

/* ---- the structure of an update: objects, keys, value kinds ---------------------- */

/* one PDF value at s[i]: [value, next index]; values are { t: kind, v } */
function pdfValue(s, i) {
    const ws = () => {
        for (;;) {
            while (i < s.length && ' \t\r\n\f\0'.includes(s[i]))
                i++;
            if (s[i] !== '%')
                return;
            while (i < s.length && s[i] !== '\n' && s[i] !== '\r')
                i++;
        }
    };
    ws();
    if (s.startsWith('<<', i)) {
        i += 2;
        const d = {};
        for (;;) {
            ws();
            if (s.startsWith('>>', i))
                return [{ t: 'dict', v: d }, i + 2];
            const [k, j] = pdfValue(s, i);
            assert.equal(k.t, 'name', `a dictionary key at ${i}`);
            const [v, m] = pdfValue(s, j);
            d[k.v] = v;
            i = m;
        }
    }
    if (s[i] === '[') {
        i++;
        const a = [];
        for (;;) {
            ws();
            if (s[i] === ']')
                return [{ t: 'array', v: a }, i + 1];
            const [v, j] = pdfValue(s, i);
            a.push(v);
            i = j;
        }
    }
    if (s[i] === '<') {
        const j = s.indexOf('>', i);
        return [{ t: 'hex', v: s.slice(i + 1, j).toUpperCase() }, j + 1];
    }
    if (s[i] === '(') {
        let depth = 0, j = i;
        for (; j < s.length; j++) {
            if (s[j] === '\\') {
                j++;
                continue;
            }
            if (s[j] === '(')
                depth++;
            if (s[j] === ')' && --depth === 0)
                break;
        }
        return [{ t: 'string', v: s.slice(i + 1, j) }, j + 1];
    }
    if (s[i] === '/') {
        const m = /^\/[^\s/<>[\]()%]*/.exec(s.slice(i, i + 200));
        return [{ t: 'name', v: m[0] }, i + m[0].length];
    }
    const ref = /^(\d+)\s+(\d+)\s+R/.exec(s.slice(i, i + 40));
    if (ref)
        return [{ t: 'ref', v: `${ref[1]} ${ref[2]} R` }, i + ref[0].length];
    const num = /^[+-]?(\d+\.?\d*|\.\d+)/.exec(s.slice(i, i + 40));
    if (num)
        return [{ t: 'number', v: Number(num[0]) }, i + num[0].length];
    const word = /^(true|false|null)/.exec(s.slice(i, i + 5));
    assert.ok(word, `a PDF value at ${i}: ${JSON.stringify(s.slice(i, i + 20))}`);
    return [{ t: word[0] === 'null' ? 'null' : 'bool', v: word[0] }, i + word[0].length];
}

/* the kinds of a value: dictionaries by key, arrays element by element, names
 * and references with their value, numbers and strings by kind only */
function shape(v) {
    if (v.t === 'dict')
        return Object.fromEntries(Object.entries(v.v).map(([k, x]) => [k, shape(x)]));
    if (v.t === 'array')
        return v.v.map(shape);
    if (v.t === 'name' || v.t === 'ref')
        return `${v.t} ${v.v}`;
    return v.t;
}

/* the update appended to input: { objects: {num: {shape, stream, value}}, xref, trailer } */
function updateStructure(out, inputLength) {
    const s = out.subarray(inputLength).toString('latin1');
    const objects = {};
    const re = /(\d+) (\d+) obj\s/g;
    let m, xref = 'table', trailer = null;
    while ((m = re.exec(s)) !== null) {
        const [v, j] = pdfValue(s, m.index + m[0].length);
        const rest = s.slice(j, j + 20);
        const sm = /^\s*stream\r?\n/.exec(rest);
        const stream = sm !== null;
        if (v.t === 'dict' && v.v['/Type'] && v.v['/Type'].v === '/XRef') {
            xref = 'stream';
            trailer = v;
        } else {
            const data = stream ? Buffer.from(s.slice(j + sm[0].length, j + sm[0].length + v.v['/Length'].v),
                'latin1') : null;
            objects[`${m[1]} ${m[2]}`] = { shape: shape(v), stream, value: v, data };
        }
        if (stream) {
            const e = s.indexOf('endstream', j);
            re.lastIndex = e;
        } else {
            re.lastIndex = j;
        }
    }
    if (xref === 'table') {
        const t = s.lastIndexOf('trailer');
        trailer = pdfValue(s, t + 7)[0];
    }
    return { objects, xref, trailer: shape(trailer) };
}

module.exports = {
    producedSeal, tablePdf, streamPdf, lastSignature, cmsParts, outsideChecks, keyScalar, updateStructure,
    hallStamp, toolVerify, hallVerify, pdfValue,
};
