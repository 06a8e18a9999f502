'use strict';
/*
 * Helpers of the CA tests (tests/integ/pki*.test.js, tests/e2e): staff
 * clients, accepted orders (online: the real payment and memo-PIN path;
 * transfer: moved with SQL), openssl on files in a temp dir, a small DER
 * reader for the "signed part" of OCSP answers and CRLs.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { HALL, SANDBOX, applicant, freshPhone } = require('./client');
const {
    psql, orgForm, personForm, unpaidOrder, waitStatus, payOnline, confirmTrade, lastTransfer,
    memoCode,
} = require('./payflow');

const { staffLogin } = require('./staff');

const SM2_ID = '1234567812345678';

/* password and TOTP code (tests/integ/lib/staff.js) */
const staff = (login, password) => staffLogin(login, password);

const operator = () => staff('operator', 'Operator2026demo');
const operator2 = () => staff('operator2', 'Operator2026demo2');
const reviewer = () => staff('reviewer', 'Reviewer2026demo');

/* a staff revocation is four eyes (docs/operations.md): op (or operator)
 * asks, operator2 approves; the approval's answer, or the request's when it
 * was refused */
let second = null;
async function staffRevoke(serial, reason, op = null) {
    const a = op || await operator();
    const ask = await a.post('/admin/pki/revoke', { serial, reason });
    if (ask.status !== 200)
        return ask;
    assert.ok(ask.body.request_id > 0, ask.text);
    second = second || operator2();
    return (await second).post('/admin/pki/revoke/approve', { id: ask.body.request_id });
}

/* an order through /new/apply, then moved to 'accepted' with SQL (the
 * corporate-transfer path: no memo PIN, so the PIN goes by SMS) */
async function acceptedByTransfer({ form, project = 'jieyang' } = {}) {
    const c = await applicant();
    const f = form || orgForm({ agent_mobile: freshPhone('137'), bank_account: '4000021009100123456' });
    const o = await unpaidOrder(c, { form: f, project });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${o.id}`);
    return { ...o, c, form: f };
}

/* an organisation order paid online, the memo PIN typed, approved by the reviewer */
async function acceptedOnline(rv) {
    const c = await applicant();
    const form = orgForm({ agent_mobile: freshPhone('137') });
    const o = await unpaidOrder(c, { form });
    await confirmTrade(await payOnline(c, o.id));
    await waitStatus(o.id, 'finauth_ok');
    const memo = (await lastTransfer(o.account)).memo;
    assert.match(memo, /PIN/, 'the product sends the PIN in the memo');
    const pin = memoCode({ memo });
    const r = await c.post('/finauth/code', { id: o.id, code: pin });
    assert.equal(r.status, 200, r.text);
    await waitStatus(o.id, 'review');
    const a = await rv.post('/admin/order/approve', { id: o.id });
    assert.equal(a.status, 200, a.text);
    return { ...o, c, form, pin };
}

/* the newest SMS to phone matching re */
async function smsTo(phone, re) {
    for (let i = 0; i < 150; i++) {
        const j = await (await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}`)).json();
        const m = (j.messages || []).find((x) => re.test(x.text));
        if (m)
            return m.text;
        await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`no SMS matching ${re} for ${phone}`);
}

function tmpdir() {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'hall-pki-'));
}

function openssl(args, opts = {}) {
    return spawnSync('openssl', args, { encoding: 'utf8', ...opts });
}

/* /pki/ downloaded into dir: root.crt, sm2-root.crt, ecc.crt, sm2.crt, NAME.crl */
async function fetchPki(dir) {
    const idx = await (await fetch(`${HALL}/pki/`)).json();
    const get = async (u) => Buffer.from(await (await fetch(HALL + u)).arrayBuffer());
    fs.writeFileSync(path.join(dir, 'root.crt'), await get(idx.root));
    for (const r of idx.roots || [])
        fs.writeFileSync(path.join(dir, `${r.name}.crt`), await get(r.cert));
    for (const ca of idx.cas) {
        fs.writeFileSync(path.join(dir, `${ca.name}.crt`), await get(ca.cert));
        fs.writeFileSync(path.join(dir, `${ca.name}.crl`), await get(ca.crl));
    }
    return idx;
}

/* `openssl ocsp` against the hall; { out, serialLine, verified } */
function ocspQuery(dir, ca, serial, extra = []) {
    const r = openssl(['ocsp', ...extra, '-issuer', path.join(dir, `${ca}.crt`), '-serial', `0x${serial}`,
        '-url', `${HALL}/ocsp`, '-CAfile', path.join(dir, 'root.crt'),
        '-respout', path.join(dir, 'resp.der')]);
    const out = `${r.stdout}\n${r.stderr}`;
    const line = out.split('\n').find((l) => l.startsWith(`0x${serial}:`)) || '';
    return { out, line: line.trim(), verified: /Response verify OK/.test(out), status: r.status };
}

/* ---- a minimal DER reader: enough to cut the signed part out ----------- */

function derNode(buf, off) {
    const tag = buf[off];
    let len = buf[off + 1], hdr = 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++)
            len = len * 256 + buf[off + 2 + i];
        hdr = 2 + n;
    }
    return { tag, off, hdr, len, end: off + hdr + len, body: buf.subarray(off + hdr, off + hdr + len),
        raw: buf.subarray(off, off + hdr + len) };
}

function derChildren(node, buf) {
    const out = [];
    for (let o = node.off + node.hdr; o < node.end;) {
        const c = derNode(buf, o);
        out.push(c);
        o = c.end;
    }
    return out;
}

/* SEQUENCE { tbs, algorithm, BIT STRING signature }: the tbs DER and the
 * signature bytes (CRLs, certificates, BasicOCSPResponse) */
function signedParts(der) {
    const top = derNode(der, 0);
    const [tbs, , sig] = derChildren(top, der);
    assert.equal(sig.tag, 0x03, 'a BIT STRING signature');
    return { tbs: tbs.raw, sig: sig.body.subarray(1) };
}

/* OCSPResponse -> the BasicOCSPResponse DER */
function basicOfOcsp(der) {
    const top = derNode(der, 0);
    const kids = derChildren(top, der);
    const rb = derChildren(kids[1], der)[0]; /* [0] EXPLICIT ResponseBytes */
    const octets = derChildren(rb, der)[1];
    return Buffer.from(octets.body);
}

/* the GM/T check the SPEC asks for: pkeyutl over the DER of the signed part */
function sm2Verify(dir, der, pubPemOfCert) {
    const { tbs, sig } = signedParts(der);
    fs.writeFileSync(path.join(dir, 'tbs.der'), tbs);
    fs.writeFileSync(path.join(dir, 'sig.bin'), sig);
    execFileSync('openssl', ['x509', '-in', pubPemOfCert, '-pubkey', '-noout', '-out',
        path.join(dir, 'pub.pem')]);
    const r = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', path.join(dir, 'pub.pem'),
        '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${SM2_ID}`, '-in', path.join(dir, 'tbs.der'),
        '-sigfile', path.join(dir, 'sig.bin')]);
    return `${r.stdout}${r.stderr}`;
}

function pkitool(args, env = {}) {
    return spawnSync(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'),
        ['-c', process.env.HALL_CONF, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

module.exports = {
    SM2_ID, staff, operator, operator2, staffRevoke, reviewer, acceptedByTransfer, acceptedOnline,
    smsTo, tmpdir, openssl,
    fetchPki, ocspQuery, derNode, derChildren, signedParts, basicOfOcsp, sm2Verify, pkitool, psql,
    personForm, orgForm,
};
