'use strict';
/*
 * Helpers of the stamp tests (sign_verify, sign_try, e2e/sign): PDFs built
 * here byte by byte (pages of text, optionally an empty signature field for
 * mutool to sign), the hall's POST /sign/verify and /sign/try, a signature
 * under a throw-away CA (openssl + mutool sign), and an NSS database that
 * trusts one root, for poppler's pdfsig.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL, applicant, freshPhone } = require('./client');
const { fetchVia } = require('./front');
const { tmpdir, openssl, operator, psql, smsTo, fetchPki } = require('./pki');
const { softhsmModule, mediaEnv, mediumOf, sealFileOfBefore } = require('./station');
const { orgForm } = require('./payflow');
const { toApply } = require('./seal');
const { holderKey } = require('./holder');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..', '..');
const HALL_STAMP = path.join(ROOT, 'tools', 'stamp', 'hall-stamp');

/*
 * A PDF of `pages` A4 pages, each with a line of text; sigField: an empty
 * signature field (widget on page 1) for mutool sign, named `Foreign1`.
 * The cross-reference table's offsets are counted, so qpdf --check passes.
 */
function makePdf({ pages = 1, text = 'hall stamp test', sigField = false, pad = 0 } = {}) {
    const objs = [];
    const font = 3;
    const firstPage = 4;
    const sig = firstPage + pages * 2;
    objs[1] = `<< /Type /Catalog /Pages 2 0 R${sigField ? ` /AcroForm << /Fields [${sig} 0 R] >>` : ''} >>`;
    const kids = [];
    for (let i = 0; i < pages; i++)
        kids.push(`${firstPage + i * 2} 0 R`);
    objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
    objs[font] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
    for (let i = 0; i < pages; i++) {
        const p = firstPage + i * 2;
        const body = `BT /F1 18 Tf 72 760 Td (${text} - page ${i + 1} - ${crypto.randomUUID()}) Tj ET\n`
            + (i === 0 && pad > 0 ? `% ${'x'.repeat(pad)}\n` : '');
        objs[p] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Contents ${p + 1} 0 R`
            + ` /Resources << /Font << /F1 ${font} 0 R >> >>${sigField && i === 0 ? ` /Annots [${sig} 0 R]` : ''} >>`;
        objs[p + 1] = `<< /Length ${Buffer.byteLength(body)} >>\nstream\n${body}endstream`;
    }
    if (sigField)
        objs[sig] = `<< /Type /Annot /Subtype /Widget /FT /Sig /T (Foreign1) /Rect [0 0 0 0] /F 132 /P ${firstPage} 0 R >>`;
    const parts = ['%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'];
    const offsets = [];
    let len = Buffer.byteLength(parts[0], 'latin1');
    for (let n = 1; n < objs.length; n++) {
        offsets[n] = len;
        const o = `${n} 0 obj\n${objs[n]}\nendobj\n`;
        parts.push(o);
        len += Buffer.byteLength(o, 'latin1');
    }
    const id = crypto.randomBytes(16).toString('hex');
    let xref = `xref\n0 ${objs.length}\n0000000000 65535 f \n`;
    for (let n = 1; n < objs.length; n++)
        xref += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
    xref += `trailer\n<< /Size ${objs.length} /Root 1 0 R /ID [<${id}><${id}>] >>\nstartxref\n${len}\n%%EOF\n`;
    parts.push(xref);
    return Buffer.from(parts.join(''), 'latin1');
}

/* POST /sign/verify: multipart (field `file`) or an application/pdf body */
async function verifyPdf(buf, { raw = false, name = 'doc.pdf', accept = 'application/json' } = {}) {
    let r;
    if (raw) {
        r = await fetch(`${HALL}/sign/verify`, {
            method: 'POST', body: buf, headers: { 'Content-Type': 'application/pdf', Accept: accept },
        });
    } else {
        const fd = new FormData();
        fd.append('file', new Blob([buf], { type: 'application/pdf' }), name);
        r = await fetch(`${HALL}/sign/verify`, { method: 'POST', body: fd, headers: { Accept: accept } });
    }
    const text = await r.text();
    let body = null;
    try {
        body = JSON.parse(text);
    } catch {
        body = null;
    }
    return { status: r.status, text, body };
}

let tries = 0;
/* a visitor's address for one 免费体验 stamp (198.18.0.0/15, benchmarking) */
const tryAddr = () => `198.19.${process.pid % 250}.${1 + (tries++ % 250)}`;

/* the 免费体验 page's form: a client that loaded /sign/try (cookie, token) */
async function tryStamp(c, buf, fields = {}, { name = 'doc.pdf', token } = {}) {
    const page = await c.get('/sign/try');
    assert.equal(page.status, 200);
    const csrf = token !== undefined ? token : page.text.match(/name="_csrf" value="([^"]+)"/)[1];
    const fd = new FormData();
    fd.append('_csrf', csrf);
    for (const [k, v] of Object.entries({ page: '1', x: '150', y: '240', ...fields }))
        fd.append(k, String(v));
    if (buf !== null)
        fd.append('file', new Blob([buf], { type: 'application/pdf' }), name);
    /* an address of its own through the test hall's front (lib/front.js):
     * the day's 免费体验 budget of 127.0.0.1 stays the browsers' (e2e) */
    const r = await fetchVia(`${HALL}/sign/try`, {
        method: 'POST', body: fd,
        headers: { Cookie: c.cookieHeader(), Accept: 'application/json', 'X-Forwarded-For': tryAddr() },
    });
    const body = Buffer.from(await r.arrayBuffer());
    let json = null;
    if (!(r.headers.get('content-type') || '').startsWith('application/pdf')) {
        try {
            json = JSON.parse(body.toString());
        } catch {
            json = null;
        }
    }
    return { status: r.status, type: r.headers.get('content-type'), body, json };
}

/*
 * A PDF signed by mutool under a throw-away CA (root -> signer, P-256).
 * mutool 1.21 now and then writes a /Contents of zeros (no CMS at all, which
 * pdfsig cannot read either): such a file is made again, so the fixture is
 * always a signature pdfsig finds valid.
 */
function foreignSigned() {
    for (let i = 0; i < 8; i++) {
        const f = foreignOnce();
        const r = spawnSync('pdfsig', [path.join(f.dir, 'out.pdf')], { encoding: 'utf8' });
        if (/Signature is Valid/.test(`${r.stdout}`))
            return f;
    }
    assert.fail('mutool sign did not make a valid signature in 8 tries');
}

function foreignOnce() {
    const dir = tmpdir();
    const f = (n) => path.join(dir, n);
    const ok = (r) => assert.equal(r.status, 0, r.stderr);
    ok(openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', f('root.key'), '-out', f('root.crt'), '-days', '30', '-subj', '/CN=Someone Else Root',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']));
    ok(openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', f('s.key'), '-out', f('s.csr'), '-subj', '/CN=Someone Else Signer']));
    ok(openssl(['x509', '-req', '-in', f('s.csr'), '-CA', f('root.crt'), '-CAkey', f('root.key'),
        '-days', '30', '-out', f('s.crt')]));
    ok(openssl(['pkcs12', '-export', '-inkey', f('s.key'), '-in', f('s.crt'), '-certfile', f('root.crt'),
        '-passout', 'pass:secret', '-out', f('s.p12')]));
    fs.writeFileSync(f('in.pdf'), makePdf({ sigField: true, text: 'signed elsewhere' }));
    const objnum = String(4 + 2); /* makePdf's signature field of a 1-page PDF */
    const r = spawnSync('mutool', ['sign', '-s', f('s.p12'), '-P', 'secret', '-o', f('out.pdf'), f('in.pdf'),
        objnum], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    return { pdf: fs.readFileSync(f('out.pdf')), root: f('root.crt'), dir };
}

/* an NSS database trusting root (PEM file) for signatures: pdfsig -nssdir */
function nssTrusting(root) {
    const dir = tmpdir();
    const db = path.join(dir, 'nss');
    fs.mkdirSync(db);
    let r = spawnSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    r = spawnSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'root', '-t', 'CT,C,C', '-i', root],
        { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return db;
}

/* pdfsig's report of file with the NSS database db */
function pdfsig(db, file) {
    const r = spawnSync('pdfsig', ['-nssdir', `sql:${db}`, file], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
}

/*
 * Seals of the hall's, made as a customer gets them: a 电子签章 order with a
 * 机构章 and a 机构业务章 (合同专用章) saved through /seal/apply, moved on to
 * accepted by SQL (the steps between are the kit's, tested elsewhere),
 * 制作证书 by the operator onto a USB key of the station (the keys born in
 * it: tests/integ/lib/station.js); the PIN from the agent's SMS, each
 * seal's .seseal downloaded from 我的电子印章.  { dir, pin, order, medium,
 * org, org_business } with, per kind, { seal (a path), esId, serial, item,
 * signer (hall-stamp's arguments naming its key on the medium and the
 * chain), env (hall-stamp's environment: the station's media) }.  file:
 * the old way, as a PKCS#12 file the hall made (each kind's p12, a path),
 * for a tool that takes no PKCS#11 (mutool sign), made as before issue
 * 64 (station.js's sealFileOfBefore: a station of USB keys makes none),
 * the 机构章's only (a 机构业务章's own key is born on a USB key).
 */
async function hallSeals({ file = false } = {}) {
    const c = await applicant();
    const key = await toApply(c);
    const form = {
        ...orgForm({ agent_mobile: freshPhone('138') }), project: 'hall', submit_key: key,
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '2', org_style: 'auto',
        biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
        ...(file ? { biz_count: '0' } : {}),
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    if (file) {
        /* a station of USB keys makes no file: one as before issue 64 */
        await sealFileOfBefore({ id, c });
    } else {
        const made = await (await operator()).post('/admin/pki/issue', { id, medium: 'pkcs11' });
        assert.equal(made.status, 200, made.text);
    }
    const pin = (await smsTo(form.agent_mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    const dir = tmpdir();
    await fetchPki(dir);
    const medium = file ? null : mediumOf(id);
    const out = { dir, pin, order: id, medium };
    for (const kind of file ? ['org'] : ['org', 'org_business']) {
        const item = psql(`SELECT id FROM seal_items WHERE order_id = ${id} AND kind = '${kind}'`);
        const get = async (p) => {
            const res = await fetch(`${HALL}${p}?id=${item}`, { headers: { Cookie: c.cookieHeader() } });
            assert.equal(res.status, 200, `${p} ${kind}`);
            return Buffer.from(await res.arrayBuffer());
        };
        const seal = path.join(dir, `${kind}.seseal`);
        fs.writeFileSync(seal, await get('/seal/seseal'));
        const esId = psql(`SELECT es_id FROM seseals WHERE item_id = ${item}`);
        if (file) {
            const p12 = path.join(dir, `${kind}.p12`);
            fs.writeFileSync(p12, await get('/seal/medium'));
            out[kind] = { seal, p12, item, esId, serial: psql(`SELECT cert_serial FROM seseals WHERE item_id = ${item}`) };
            continue;
        }
        /* on the medium: the 机构章 signs with the order's key ('hall'),
         * a 业务章 with its own, labelled with its code */
        out[kind] = {
            seal, item, esId,
            serial: psql(`SELECT cert_serial FROM seseals WHERE item_id = ${item}`),
            signer: ['--pkcs11-module', softhsmModule(), '--token', medium, '--key-label',
                kind === 'org' ? 'hall' : esId, '--chain', path.join(dir, 'ecc.crt')],
            env: mediaEnv(),
        };
    }
    return out;
}

/* hall-stamp sign: the PDF buffer stamped with a seal and its medium (the PIN
 * on a file descriptor, never on the command line); the stamped bytes */
function stampWith(pdf, who, pin, { page = 1, x = 100, y = 100, extra = [] } = {}) {
    const dir = tmpdir();
    const input = path.join(dir, 'in.pdf');
    const output = path.join(dir, 'out.pdf');
    fs.writeFileSync(input, pdf);
    const r = spawnSync(HALL_STAMP, ['sign', '--in', input, '--out', output, '--seal', who.seal,
        ...(who.signer || ['--p12', who.p12]), '--page', String(page), '--x', String(x), '--y', String(y),
        '--tsa', `${HALL}/tsa`, '--pin-fd', '0', ...extra], { input: `${pin}\n`, encoding: 'utf8', env: who.env });
    assert.equal(r.status, 0, `hall-stamp sign: ${r.stdout}${r.stderr}`);
    return fs.readFileSync(output);
}

/*
 * A 电子签章 order produced by the hall (one 机构章): its .seseal and its
 * PKCS#12 medium (made as before issue 64: station.js's sealFileOfBefore)
 * written to dir/seal.seseal and dir/medium.p12; the PIN
 * from the SMS.  medium: produced onto a USB key of the station instead
 * (tests/integ/lib/station.js), no file: the answer adds signer
 * (hall-stamp's arguments naming the key on it and the chain, in dir) and
 * env (hall-stamp's environment: the station's media).  sm2: 证书算法 SM2（国密算法） chosen in the application
 * (the SM2 机构章 product, sql/147): the seal's certificate is then the
 * sm2 CA's, its key born in the applicant's browser (lib/holder.js
 * holderKey: POST /pki/csr) and the PKCS#12 assembled there under a PIN
 * the applicant chose.
 */
async function producedSeal(dir, { sm2 = false, medium = false } = {}) {
    const c = await applicant();
    const key = await toApply(c);
    const form = {
        ...orgForm({ agent_mobile: freshPhone(sm2 ? '139' : '138') }), project: 'hall', submit_key: key,
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0', person_count: '0',
        /* 证书算法 of the seal application (sql/147): SM2 chosen, else the default */
        ...(sm2 ? { ca: 'sm2' } : {}),
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    const item = psql(`SELECT id FROM seal_items WHERE order_id = ${id} AND kind = 'org'`);
    let pin = null;
    if (sm2) {
        /* no medium signs SM2 and the hall makes no key: the browser's */
        pin = 'Sm2Seal2026';
        const h = await holderKey(c, id, { pin, dir });
        fs.copyFileSync(h.p12, path.join(dir, 'medium.p12'));
    } else if (medium) {
        const made = await (await operator()).post('/admin/pki/issue', { id, medium: 'pkcs11' });
        assert.equal(made.status, 200, made.text);
    } else {
        /* a PKCS#12 of before issue 64 (在线盖章 in a browser takes a file;
         * a new order's keys are on a USB key) */
        await sealFileOfBefore({ id, c });
    }
    if (pin === null)
        pin = (await smsTo(form.agent_mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    const get = async (u) => {
        const res = await fetch(HALL + u, { headers: { Cookie: c.cookieHeader() } });
        assert.equal(res.status, 200, u);
        return Buffer.from(await res.arrayBuffer());
    };
    fs.writeFileSync(path.join(dir, 'seal.seseal'), await get(`/seal/seseal?id=${item}`));
    if (medium) {
        await fetchPki(dir);
        const signer = ['--pkcs11-module', softhsmModule(), '--token', mediumOf(id), '--key-label', 'hall',
            '--chain', path.join(dir, 'ecc.crt')];
        return { pin, order: id, item, signer, env: mediaEnv() };
    }
    if (!sm2)
        fs.writeFileSync(path.join(dir, 'medium.p12'), await get(`/seal/medium?id=${item}`));
    return { pin, order: id, item };
}

module.exports = {
    makePdf, verifyPdf, tryStamp, foreignSigned, nssTrusting, pdfsig, tmpdir, openssl, hallSeals, stampWith,
    producedSeal, HALL_STAMP,
};
