'use strict';
/*
 * Helpers for the 电子签章 tests: an applicant brought to 录入信息 the real
 * way (agreements, 流程指引), a seal order saved through POST /seal/apply,
 * and a PNG "scan" of a red impression on white paper with black print.
 */
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const zlib = require('node:zlib');
const { orgForm, psql } = require('./payflow');

/* 申请人信息 of a seal order (seed 001) */
const SEAL_APPLICANT = {
    app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
};

/* the agreements and the guide; the 录入信息 page's submit_key */
async function toApply(c) {
    assert.equal((await c.get('/seal?project=hall')).status, 200);
    const a = await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    await c.get(a.body.redirect);
    const page = await c.get('/seal/apply?project=hall');
    assert.equal(page.status, 200);
    return page.text.match(/name="submit_key" value="([^"]+)"/)[1];
}

/* a seal order saved by POST /seal/apply: { id, form, items: {kind:position -> id} } */
async function sealOrder(c, choices, fields = {}) {
    const key = await toApply(c);
    const form = { ...orgForm(fields), ...SEAL_APPLICANT, ...choices, project: 'hall', submit_key: key };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    const items = {};
    for (const row of psql(`SELECT kind || ':' || position || '=' || id FROM seal_items
        WHERE order_id = ${id}`).split('\n')) {
        const [k, v] = row.split('=');
        items[k] = v;
    }
    return { id, form, items };
}

const CRC = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

function chunk(type, data) {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    let c = 0xffffffff;
    for (const x of td)
        c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
    const head = Buffer.alloc(4), tail = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    tail.writeUInt32BE((c ^ 0xffffffff) >>> 0);
    return Buffer.concat([head, td, tail]);
}

/* 240 × 200 RGB: paper, a black line of print, a red ring with a red dot */
function impressionScan() {
    const w = 240, h = 200, rows = [];
    for (let y = 0; y < h; y++) {
        const row = Buffer.alloc(1 + w * 3);
        for (let x = 0; x < w; x++) {
            const d = Math.hypot(x - w / 2, y - h / 2);
            let rgb = [248, 247, 244];
            if (y > 20 && y < 28 && x > 10 && x < 90)
                rgb = [25, 25, 25];
            if ((d > 70 && d < 80) || d < 12)
                rgb = [210, 28, 36];
            rgb.forEach((v, k) => { row[1 + x * 3 + k] = v; });
        }
        rows.push(row);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8;
    ihdr[9] = 2;
    return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr),
        chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/* a 机构个人章 holder's own phone verified on the 证书附页 page (sql/053): the
 * code sent to that phone, typed in as the holder passes it on */
async function verifyHolder(c, order, position, phone) {
    const { smsTo } = require('./pki');
    const item = psql(`SELECT id FROM seal_items WHERE order_id = ${order} AND kind = 'org_person'
        AND position = ${position}`);
    assert.equal((await c.get(`/seal/attachment?id=${order}`)).status, 200);
    const sent = await c.post('/seal/holder/code', { id: item });
    assert.equal(sent.status, 200, sent.text);
    const code = (await smsTo(phone, /验证码是\d{6}/)).match(/验证码是(\d{6})/)[1];
    const ok = await c.post('/seal/holder/verify', { id: item, code });
    assert.equal(ok.status, 200, ok.text);
    return item;
}

/*
 * A produced 机构个人章's holder makes the key as the page /seal/holder does
 * (issue 64 §2, sql/159): the SMS's seal code and code read, a P-256 key
 * made here (openssl, standing for the browser), the request posted to
 * POST /pki/seal-holder, the PKCS#12 assembled here under the holder's own
 * pin and the .seseal written: { serial, esId, p12, seal, pin } in dir.
 */
async function holderMakesKey(phone, dir, pin = 'Holder2026pin', name = 'holder') {
    const fs = require('node:fs');
    const path = require('node:path');
    const { smsTo, openssl } = require('./pki');
    const { Client } = require('./client');
    const [, esId, code] = (await smsTo(phone, /印章编码/)).match(/印章编码(SZCA\d{12}P\d{2}).*验证码([2-9A-HJ-NP-Z]{10})/);
    const key = path.join(dir, `${name}.key`);
    assert.equal(openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]).status, 0);
    const csr = openssl(['req', '-new', '-key', key, '-subj', '/CN=x', '-outform', 'DER'], { encoding: null }).stdout;
    const v = new Client();
    await v.get('/seal/holder');
    const r = await v.post('/pki/seal-holder', { es_id: esId, code, csr: csr.toString('base64') });
    assert.equal(r.status, 200, r.text);
    const crt = path.join(dir, `${name}.crt`), ca = path.join(dir, `${name}-ca.crt`);
    fs.writeFileSync(crt, `-----BEGIN CERTIFICATE-----\n${r.body.cert.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`);
    fs.writeFileSync(ca, r.body.ca);
    const out = { serial: r.body.serial, esId, pin, p12: path.join(dir, `${name}.p12`), seal: path.join(dir, `${name}.seseal`) };
    const e = openssl(['pkcs12', '-export', '-inkey', key, '-in', crt, '-certfile', ca, '-name', r.body.name,
        '-out', out.p12, '-passout', `pass:${pin}`]);
    assert.equal(e.status, 0, e.stderr);
    fs.rmSync(key);
    fs.writeFileSync(out.seal, Buffer.from(r.body.seseal, 'base64'));
    return out;
}

/* a character fontconfig finds in no installed font, as pango would (a
 * 生僻字 beyond the seal font) */
function fontless() {
    for (const ch of ['𪚥', '𠀀', '\uE000']) {
        const cp = ch.codePointAt(0).toString(16);
        if (execFileSync('fc-list', [`:charset=${cp}`], { encoding: 'utf8' }).trim() === '')
            return ch;
    }
    throw new Error('every candidate character has a font here');
}

/* the partners whose 证书新办 orders carry a seal: 是否办理电子签章 offered
 * (建筑工务署) or a 签章费 in the price (湖南), with the certificate type to
 * order ('org' where sold) */
function sealCarryingPartners() {
    const rows = psql(`SELECT p.code || '|' || min(r.cert_type) FROM partners p
        JOIN products r ON r.partner_code = p.code
        WHERE p.active AND r.active AND r.business_type = 'new' AND r.cert_type IN ('org', 'person')
          AND (p.seal_offered OR r.breakdown ? '签章费')
        GROUP BY p.code ORDER BY p.code`);
    return rows === '' ? [] : rows.split('\n').map((l) => {
        const [code, certType] = l.split('|');
        return { code, certType };
    });
}

/* a 证书新办 of partner code with its seal, saved through the partner's
 * own path (agreements, 是否办理电子签章 = 是 where asked, 录入信息):
 * { c, id, form, mobile } */
async function bundledSealDraft(code) {
    const { applicant, freshPhone } = require('./client');
    const { personForm, sealStep } = require('./payflow');
    const base = `/${code}`;
    const c = await applicant();
    assert.equal((await c.get(`${base}/new?project=${code}`)).status, 200);
    const a = await c.post(`${base}/new/agree`, { project: code, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    if (/\/new\/seal\b/.test(a.body.redirect))
        await sealStep(c, 'yes', { base, project: code });
    const mobile = freshPhone('137');
    const sold = psql(`SELECT string_agg(cert_type, ',') FROM products WHERE partner_code = '${code}'
        AND business_type = 'new' AND active`).split(',');
    const form = sold.includes('org')
        ? orgForm({ agent_mobile: mobile, bank_account: '4000021009100123456' })
        : personForm({ app_mobile: mobile, mail_mobile: mobile });
    const r = await c.post(`${base}/new/apply`, { project: code, ...form });
    assert.equal(r.status, 200, r.text);
    return { c, id: Number(r.body.redirect.match(/id=(\d+)/)[1]), form, mobile };
}

/* that order accepted by SQL and produced by the operator (the seal drawn:
 * no 采集表 uploaded): { c, id, item, esId, serial, pin, form } — the PIN
 * by SMS to the agent.  file: made as a PKCS#12, as before issue 64
 * (station.js's sealFileOfBefore: 在线盖章 in a browser takes a file) */
async function bundledSealOrder(code, { file = false } = {}) {
    const { operator, smsTo } = require('./pki');
    const { c, id, form, mobile } = await bundledSealDraft(code);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    if (file) {
        await require('./station').sealFileOfBefore({ id, c });
    } else {
        const issued = await (await operator()).post('/admin/pki/issue', { id });
        assert.equal(issued.status, 200, issued.text);
    }
    const [item, esId, serial] = psql(`SELECT i.id || '|' || s.es_id || '|' || s.cert_serial
        FROM seal_items i JOIN seseals s ON s.item_id = i.id
        WHERE i.order_id = ${id} AND s.state = 'valid'`).split('|');
    assert.ok(esId, `${code}: the order's seal is made with its certificate`);
    const pin = (await smsTo(mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    return { c, id, item, esId, serial, pin, form };
}

module.exports = {
    SEAL_APPLICANT, toApply, sealOrder, impressionScan, verifyHolder, fontless, sealCarryingPartners,
    bundledSealDraft, bundledSealOrder, holderMakesKey,
};
