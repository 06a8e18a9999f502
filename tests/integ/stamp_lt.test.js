'use strict';
/*
 * Long-term validation (issue 50 §2; docs/internals/stamp.md §1a and §3,
 * "Levels"): hall-stamp sign writes PAdES B-LT by default, a /DSS in its
 * own revision after the stamp with the chain and the hall's OCSP answer
 * for the signer; openssl checks that answer and pdfsig still accepts the
 * file, and the root's CRL for the TSA's certificate (openssl crl
 * -CAfile root.crt verifies it); with the hall unreachable a B-LT stamp
 * keeps its verdict and its level and a B-T one says it needs the network; a signer revoked after a B-LT
 * stamp leaves it 有效 by the file's own evidence; hall-stamp lta (twice)
 * makes B-LTA with two document timestamps, both reported by /sign/verify
 * and hall-stamp verify; a change smuggled into a /DSS revision is caught.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, fetchPki, openssl, staffRevoke } = require('./lib/pki');
const { makePdf, verifyPdf, hallSeals, stampWith, nssTrusting, pdfsig, HALL_STAMP } = require('./lib/stamp');

const dir = tmpdir();
const f = (name) => path.join(dir, name);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
/* a port nothing listens on: the hall's /ocsp "unreachable" */
const DEAD = 'http://127.0.0.1:9';
let seals;

before(async () => {
    await fetchPki(dir);
    seals = await hallSeals();
});

/* hall-stamp verify of buf: its output, status, and each stamp's block */
function verifyTool(buf, extra = []) {
    const file = path.join(tmpdir(), 'check.pdf');
    fs.writeFileSync(file, buf);
    const r = spawnSync(HALL_STAMP, ['verify', '--root', f('root.crt'), '--root', f('sm2-root.crt'),
        '--ca', f('ecc.crt'), '--ca', f('sm2.crt'), ...extra, file],
    { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
    const out = r.stdout + r.stderr;
    const blocks = out.split(/\n(?=签章\d+：)/).filter((b) => /^签章\d+：/.test(b));
    return { status: r.status, out, blocks };
}

/* qpdf's text of an object of file */
function qpdfShow(file, what) {
    const r = spawnSync('qpdf', [`--show-object=${what}`, file], { encoding: 'latin1' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

/* the raw bytes of stream num of file */
function qpdfRaw(file, num) {
    const r = spawnSync('qpdf', [`--show-object=${num}`, '--raw-stream-data', file]);
    assert.equal(r.status, 0, String(r.stderr));
    return r.stdout;
}

/* the /DSS of buf: { certs: [DER], ocsps: [DER], crls: [DER] } */
function dssOf(buf) {
    const file = path.join(tmpdir(), 'dss.pdf');
    fs.writeFileSync(file, buf);
    const root = qpdfShow(file, 'trailer').match(/\/Root (\d+) 0 R/)[1];
    const m = qpdfShow(file, root).match(/\/DSS (\d+) 0 R/);
    assert.ok(m, 'the catalog has an indirect /DSS');
    const dss = qpdfShow(file, m[1]);
    const items = (key) => {
        const a = dss.match(new RegExp(`/${key} \\[([^\\]]*)\\]`));
        return a ? [...a[1].matchAll(/(\d+) 0 R/g)].map((x) => qpdfRaw(file, x[1])) : [];
    };
    return { certs: items('Certs'), ocsps: items('OCSPs'), crls: items('CRLs'), num: Number(m[1]), root: Number(root) };
}

const subjectOf = (der) => {
    fs.writeFileSync(f('c.der'), der);
    const r = openssl(['x509', '-inform', 'DER', '-in', f('c.der'), '-noout', '-subject', '-serial']);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
};

function stampLt(text) {
    return stampWith(makePdf({ pages: 1, text }), seals.org_business, seals.pin);
}

test('sign__B_LT_by_default__dss_revision_with_chain_and_ocsp__openssl_ocsp_and_pdfsig_accept', async () => {
    const lt = stampLt('long-term contract');
    const dss = dssOf(lt);
    /* every certificate of the chain: the signer, its CA, the TSA */
    const subjects = dss.certs.map(subjectOf).join('\n');
    assert.match(subjects, new RegExp(`serial=${seals.org_business.serial}`, 'i'), subjects);
    assert.match(subjects, /Hall Demo ECC CA/);
    assert.match(subjects, /Hall Demo Time Stamping Authority/);
    /* the hall's OCSP answer for the signer, checked by openssl alone */
    assert.equal(dss.ocsps.length, 1, 'one OCSP answer: the signer\'s (the TSA\'s certificate names no responder)');
    fs.writeFileSync(f('resp.der'), dss.ocsps[0]);
    const r = openssl(['ocsp', '-respin', f('resp.der'), '-issuer', f('ecc.crt'), '-CAfile', f('root.crt'),
        '-serial', `0x${seals.org_business.serial}`, '-no_nonce']);
    const out = `${r.stdout}${r.stderr}`;
    assert.match(out, /Response verify OK/, out);
    assert.match(out, new RegExp(`0x${seals.org_business.serial}: good`, 'i'), out);
    /* the root's CRL (an ARL) for the TSA's certificate, which names no
     * responder: signed by the root, its issuer the TSA's, not listing it */
    assert.equal(dss.crls.length, 1, 'one CRL: the root\'s, for the TSA certificate');
    fs.writeFileSync(f('arl.der'), dss.crls[0]);
    const c = openssl(['crl', '-inform', 'DER', '-in', f('arl.der'), '-CAfile', f('root.crt'), '-noout',
        '-issuer', '-lastupdate']);
    assert.equal(c.status, 0, c.stderr);
    assert.match(`${c.stdout}${c.stderr}`, /verify OK/, c.stderr);
    assert.match(c.stdout, /issuer=.*Hall Demo Root CA/, c.stdout);
    const tsaCert = dss.certs.find((d) => /Hall Demo Time Stamping Authority/.test(subjectOf(d)));
    fs.writeFileSync(f('tsa.der'), tsaCert);
    const ti = openssl(['x509', '-inform', 'DER', '-in', f('tsa.der'), '-noout', '-issuer', '-serial']);
    assert.equal(ti.status, 0, ti.stderr);
    assert.equal(ti.stdout.match(/issuer=(.*)/)[1], c.stdout.match(/issuer=(.*)/)[1], 'the CRL speaks for the TSA');
    const text = openssl(['crl', '-inform', 'DER', '-in', f('arl.der'), '-noout', '-text']).stdout;
    assert.ok(!text.toUpperCase().includes(ti.stdout.match(/serial=(\w+)/)[1].toUpperCase()), text);
    /* pdfsig (NSS) still finds the stamp valid, and trusts it */
    fs.writeFileSync(f('lt.pdf'), lt);
    const p = pdfsig(nssTrusting(f('root.crt')), f('lt.pdf'));
    assert.match(p, /Signature Validation: Signature is Valid/, p);
    /* the hall's verifier: B-LT, the evidence named */
    const v = await verifyPdf(lt);
    assert.equal(v.status, 200, v.text);
    const s = v.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.level, 'B-LT', JSON.stringify(s));
    assert.equal(s.evidence.embedded, true);
    assert.equal(s.evidence.source, 'OCSP');
    assert.equal(s.evidence.signer, 'good');
    assert.equal(s.evidence.tsa_needed, true, 'a TSA under the root needs the root\'s CRL');
    assert.equal(s.evidence.tsa_embedded, true, JSON.stringify(s.evidence));
    assert.equal(s.coverage.intact, true);
    assert.equal(s.coverage.later_changes, false, 'the /DSS revision is an allowed change');
    assert.ok(v.body.result.dss.ocsps >= 1 && v.body.result.dss.certs >= 3, JSON.stringify(v.body.result.dss));
    const t = verifyTool(lt);
    assert.equal(t.status, 0, t.out);
    assert.match(t.blocks[0], /级别: B-LT（长期验证/);
});

test('verify__ocsp_unreachable__B_LT_same_verdict__B_T_needs_the_network', async () => {
    const doc = makePdf({ pages: 1, text: 'offline judge' });
    const lt = stampWith(doc, seals.org_business, seals.pin);
    const bt = stampWith(doc, seals.org_business, seals.pin, { extra: ['--level', 'B-T'] });
    assert.equal((await verifyPdf(bt)).body.result.stamps[0].level, 'B-T');
    const online = verifyTool(lt);
    const cut = verifyTool(lt, ['--hall', DEAD]);
    const state = (o) => o.blocks[0].split('\n')[0];
    assert.equal(state(online), '签章1：有效', online.out);
    assert.equal(state(cut), state(online), cut.out);
    assert.equal(cut.status, 0, cut.out);
    assert.match(cut.blocks[0], /依据文件内嵌的吊销信息（OCSP答复，[^）]+）：签章时签章人证书未被吊销，无需联网查询/);
    assert.doesNotMatch(cut.out, /需要联网查询吊销状态/);
    assert.match(cut.blocks[0], /级别: B-LT（/, 'the TSA\'s evidence (the root\'s CRL) is the file\'s too');
    assert.match(verifyTool(lt, ['--offline']).blocks[0], /级别: B-LT/);
    /* the same stamp without the /DSS: it cannot tell offline */
    const btCut = verifyTool(bt, ['--hall', DEAD]);
    assert.match(btCut.blocks[0], /级别: B-T（/);
    assert.match(btCut.blocks[0], /需要联网查询吊销状态/, btCut.out);
});

test('verify__signer_revoked_after_a_B_LT_stamp__stays_有效_by_the_embedded_evidence', async () => {
    const own = await hallSeals();
    const lt = stampWith(makePdf({ pages: 1, text: 'revoked later' }), own.org_business, own.pin);
    await sleep(1100);
    assert.equal((await staffRevoke(own.org_business.serial, 'keyCompromise')).status, 200);
    const v = await verifyPdf(lt);
    const s = v.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.level, 'B-LT');
    assert.equal(s.note, '签章后吊销');
    assert.ok(s.notes.some((n) => /^依据文件内嵌的吊销信息（OCSP答复/.test(n)), JSON.stringify(s.notes));
    /* the tool, cut off: the file alone says it */
    const t = verifyTool(lt, ['--offline']);
    assert.equal(t.status, 0, t.out);
    assert.match(t.blocks[0], /^签章1：有效/);
    assert.match(t.blocks[0], /依据文件内嵌的吊销信息（OCSP答复/);
    /* online the responder now says revoked, after the stamp: the same verdict */
    const on = verifyTool(lt);
    assert.match(on.blocks[0], /^签章1：有效/);
});

test('lta_twice__B_LTA_with_two_document_timestamps__both_reported__pdfsig_accepts', async () => {
    const file = f('lta.pdf');
    fs.writeFileSync(file, stampLt('archive for years'));
    let r = spawnSync(HALL_STAMP, ['lta', file], { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8' } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /已加文档时间戳：.*B-LTA/);
    r = spawnSync(HALL_STAMP, ['lta', '--tsa', `${HALL}/tsa`, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const buf = fs.readFileSync(file);
    const v = await verifyPdf(buf);
    assert.equal(v.status, 200, v.text);
    const res = v.body.result;
    assert.equal(res.count, 3, JSON.stringify(res.stamps.map((x) => [x.field, x.state, x.problem])));
    assert.equal(res.doc_timestamps, 2);
    const [stamp, ts1, ts2] = res.stamps;
    assert.equal(stamp.state, '有效', JSON.stringify(stamp));
    assert.equal(stamp.level, 'B-LTA', JSON.stringify(stamp));
    assert.equal(stamp.doc_timestamps_after, 2);
    /* the TSA's evidence: the root's CRL(s), each verified by openssl */
    assert.equal(stamp.evidence.tsa_embedded, true, JSON.stringify(stamp.evidence));
    const dss = dssOf(buf);
    assert.ok(dss.crls.length >= 1, 'the root\'s CRL in /DSS /CRLs');
    dss.crls.forEach((der, i) => {
        fs.writeFileSync(f(`lta${i}.crl`), der);
        const c = openssl(['crl', '-inform', 'DER', '-in', f(`lta${i}.crl`), '-CAfile', f('root.crt'), '-noout',
            '-issuer']);
        assert.equal(c.status, 0, c.stderr);
        assert.match(`${c.stdout}${c.stderr}`, /verify OK/);
        assert.match(c.stdout, /issuer=.*Hall Demo Root CA/);
    });
    for (const ts of [ts1, ts2]) {
        assert.equal(ts.doc_timestamp, true);
        assert.equal(ts.level, 'DTS');
        assert.equal(ts.format, 'doc_timestamp');
        assert.equal(ts.state, '有效', JSON.stringify(ts));
        assert.match(ts.signing_time, /^\d{4}-\d{2}-\d{2} /);
        assert.match(ts.tsa, /Hall Demo Time Stamping Authority/);
    }
    assert.equal(ts1.coverage.later_changes, false, JSON.stringify(ts1.coverage));
    /* the 签名验证 page says it too */
    const html = (await verifyPdf(buf, { accept: 'text/html' })).text;
    assert.match(html, /id="stamp-1-level">B-LTA（长期存档：[^<]*；其后有 2 个文档时间戳</);
    assert.match(html, /id="stamp-2-level">文档时间戳（ETSI\.RFC3161）</);
    assert.equal(all(res.stamps), true);
    const t = verifyTool(buf);
    assert.equal(t.status, 0, t.out);
    assert.equal(t.blocks.length, 3, t.out);
    assert.match(t.blocks[0], /级别: B-LTA（长期存档/);
    assert.match(t.blocks[0], /其后的文档时间戳: 2个/);
    assert.equal(t.blocks.filter((b) => /格式: 文档时间戳（ETSI\.RFC3161）/.test(b)).length, 2, t.out);
    assert.match(t.out, /文档时间戳2个/);
    /* pdfsig still finds the stamp valid; it lists the two timestamps but
     * validates no ETSI.RFC3161 ("Unable to validate this type") */
    const p = pdfsig(nssTrusting(f('root.crt')), file);
    assert.match(p, /Signature #1:[^#]*Signature Validation: Signature is Valid/, p);
    assert.equal((p.match(/Signature Field Name: 文档时间戳/g) || []).length, 2, p);
});

function all(stamps) {
    return stamps.every((s) => s.valid);
}

/* buf with one more revision writing objs ([num, text]) and /Size size */
function appendRevision(buf, objs, size, root) {
    const prev = Number(buf.subarray(buf.length - 64).toString('latin1').match(/startxref\s+(\d+)/)[1]);
    let text = buf[buf.length - 1] === 0x0a ? '' : '\n';
    const offs = {};
    for (const [n, body] of objs) {
        offs[n] = buf.length + Buffer.byteLength(text, 'latin1');
        text += `${n} 0 obj\n${body}\nendobj\n`;
    }
    const xref = buf.length + Buffer.byteLength(text, 'latin1');
    text += 'xref\n';
    for (const n of Object.keys(offs).map(Number).sort((a, b) => a - b))
        text += `${n} 1\n${String(offs[n]).padStart(10, '0')} 00000 n\r\n`;
    text += `trailer\n<< /Size ${size} /Root ${root} 0 R /Prev ${prev} >>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.concat([buf, Buffer.from(text, 'latin1')]);
}

test('dss_revision_smuggling_a_page_change__caught_by_both_verifiers', async () => {
    const lt = stampLt('smuggle under the DSS');
    const file = f('smuggle.pdf');
    fs.writeFileSync(file, lt);
    const dss = dssOf(lt);
    const size = Number(qpdfShow(file, 'trailer').match(/\/Size (\d+)/)[1]);
    const catalog = qpdfShow(file, String(dss.root)).replace(/\/DSS \d+ 0 R/, `/DSS ${size} 0 R`);
    const dssText = qpdfShow(file, String(dss.num));
    /* the page's content stream written again with other words, in the
     * revision that looks like a refreshed /DSS */
    const page = qpdfShow(file, '4');
    const contents = Number(page.match(/\/Contents (\d+) 0 R/)[1]);
    const body = 'BT /F1 18 Tf 72 760 Td (pay 1,000,000 to Mallory) Tj ET\n';
    const smuggled = appendRevision(lt, [[dss.root, catalog], [size, dssText],
        [contents, `<< /Length ${body.length} >>\nstream\n${body}endstream`]], size + 1, dss.root);
    const v = await verifyPdf(smuggled);
    assert.equal(v.status, 200, v.text);
    const s = v.body.result.stamps[0];
    assert.equal(s.state, '文档已被修改', JSON.stringify(s));
    assert.match(s.problem, /第1页的内容被修改/);
    const t = verifyTool(smuggled);
    assert.equal(t.status, 1, t.out);
    assert.match(t.blocks[0], /^签章1：文档已被修改/);
    assert.match(t.blocks[0], /第1页的内容被修改/);
    /* the same revision without the page: a /DSS refresh, allowed */
    const clean = appendRevision(lt, [[dss.root, catalog], [size, dssText]], size + 1, dss.root);
    const c = await verifyPdf(clean);
    assert.equal(c.body.result.stamps[0].state, '有效', JSON.stringify(c.body.result.stamps[0]));
});
