'use strict';
/*
 * 电子签章 (modules/seal, core/libhallseal.a) through nginx: the drawn seal of a
 * 20-character organisation name fits the circle (what the drawing measured,
 * and the decoded PNG itself), the 采集表 template, the GB/T 38540 SESeal of an
 * issued order (owner only, made once under concurrent downloads, the maker's
 * SM3withSM2 signature checked with openssl pkeyutl and the GM/T signer ID),
 * and the public 电子印章验证: valid, tampered, the signer's certificate
 * revoked, not a seal at all.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { objectExists } = require('./lib/objstore');

/* a retired scan's object is removed by a thread of the worker (S3: a
 * DELETE to the store), within moments of the answer */
async function goneSoon(name) {
    for (let i = 0; i < 100 && objectExists(name); i++)
        await new Promise((r) => setTimeout(r, 20));
    return !objectExists(name);
}
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { Client, HALL, applicant, freshPhone } = require('./lib/client');
const {
    operator, operator2, acceptedByTransfer, tmpdir, openssl, SM2_ID, psql, pkitool, smsTo, staffRevoke, fetchPki,
    ocspQuery,
} = require('./lib/pki');
const { unpaidOrder, upload, orgForm } = require('./lib/payflow');
const { verifyHolder, holderMakesKey } = require('./lib/seal');
const { mediumOf, openMedium } = require('./lib/station');

const ORG20 = '深圳市前海某某科技发展股份有限公司分公司';

/* ---- a PNG decoder: enough for cairo's 8-bit RGBA output ------------------ */

function pngDecode(buf) {
    assert.equal(buf.subarray(1, 4).toString(), 'PNG');
    let off = 8, w = 0, h = 0, type = 0;
    const idat = [];
    while (off < buf.length) {
        const len = buf.readUInt32BE(off), kind = buf.subarray(off + 4, off + 8).toString();
        const data = buf.subarray(off + 8, off + 8 + len);
        if (kind === 'IHDR') {
            w = data.readUInt32BE(0);
            h = data.readUInt32BE(4);
            assert.equal(data[8], 8, '8 bits a sample');
            type = data[9];
        } else if (kind === 'IDAT') {
            idat.push(data);
        }
        off += 12 + len;
    }
    assert.equal(type, 6, 'RGBA');
    const raw = zlib.inflateSync(Buffer.concat(idat)), bpp = 4, stride = w * bpp;
    const px = Buffer.alloc(h * stride);
    for (let y = 0; y < h; y++) {
        const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        for (let x = 0; x < stride; x++) {
            const a = x >= bpp ? px[y * stride + x - bpp] : 0, b = y > 0 ? px[(y - 1) * stride + x] : 0;
            const c = x >= bpp && y > 0 ? px[(y - 1) * stride + x - bpp] : 0;
            let v = line[x];
            if (f === 1) v += a;
            else if (f === 2) v += b;
            else if (f === 3) v += (a + b) >> 1;
            else if (f === 4) {
                const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
                v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            px[y * stride + x] = v & 0xff;
        }
    }
    return { w, h, alpha: (x, y) => px[y * stride + x * 4 + 3] };
}

function inkBetween(img, r0, r1) {
    let n = 0;
    for (let y = 0; y < img.h; y++)
        for (let x = 0; x < img.w; x++) {
            const d = Math.hypot(x + 0.5 - img.w / 2, y + 0.5 - img.h / 2);
            if (img.alpha(x, y) >= 64 && d >= r0 && d < r1)
                n++;
        }
    return n;
}

function fitOf(header) {
    const out = {};
    for (const kv of (header || '').split(';')) {
        const [k, v] = kv.trim().split('=');
        out[k] = Number(v);
    }
    return out;
}

async function preview(c, q) {
    const r = await fetch(`${HALL}/seal/preview?${new URLSearchParams(q)}`,
        { headers: { Cookie: c.cookieHeader(), Accept: 'image/png,application/json' } });
    return { status: r.status, fit: fitOf(r.headers.get('x-seal-fit')), type: r.headers.get('content-type'),
        body: Buffer.from(await r.arrayBuffer()) };
}

test('preview__20_character_org__the_text_fits_inside_the_ring', async () => {
    const c = await applicant();
    const r = await preview(c, { kind: 'org_business', org: ORG20, name: '合同专用章' });
    assert.equal(r.status, 200);
    assert.equal(r.type, 'image/png');
    assert.equal(r.fit.glyphs, 20);
    assert.ok(r.fit.text_outer_r < r.fit.ring_inner_r, JSON.stringify(r.fit));
    assert.ok(r.fit.min_gap > 0, 'neighbouring characters do not touch');
    assert.ok(r.fit.name_half_w <= r.fit.name_room, 'the seal name fits its line');
    const img = pngDecode(r.body);
    assert.equal(img.w, 400);
    /* the picture: a clear band between the text and the ring, nothing outside the ring */
    assert.equal(inkBetween(img, r.fit.text_outer_r + 1.5, r.fit.ring_inner_r - 1.5), 0);
    assert.equal(inkBetween(img, 200 * 0.95 + 400 * 0.014 + 2, 1e9), 0);
    assert.ok(inkBetween(img, r.fit.text_outer_r - 20, r.fit.text_outer_r + 1.5) > 500, 'text on the arc');
});

test('preview__too_long_or_missing__400_naming_the_field', async () => {
    const c = await applicant();
    const long = await preview(c, { kind: 'org', org: ORG20 + ORG20 });
    assert.equal(long.status, 400);
    assert.equal(JSON.parse(long.body).field, 'org');
    const none = await preview(c, { kind: 'org_person' });
    assert.equal(none.status, 400);
    assert.equal(JSON.parse(none.body).field, 'name');
    const bad = await preview(c, { kind: 'round', org: '某公司' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).field, 'kind');
    /* anonymous: no drawing service for the world */
    const anon = await fetch(`${HALL}/seal/preview?kind=org&org=x`, { headers: { Accept: 'application/json' } });
    assert.equal(anon.status, 401);
});

test('collect_form__pdf_template', async () => {
    const r = await fetch(`${HALL}/seal/collect-form`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/pdf');
    assert.match(r.headers.get('content-disposition') || '', /attachment/);
    const b = Buffer.from(await r.arrayBuffer());
    assert.equal(b.subarray(0, 5).toString(), '%PDF-');
});

test('product_and_guide_pages__seed_texts', async () => {
    const c = new Client();
    const p = await c.get('/seal/product');
    assert.equal(p.status, 200);
    assert.match(p.text, /立即购买/);
    assert.match(p.text, /使用指引\(签章已办理成功\)/);
    /* the prices of 录入信息, and the way to 在线盖章 */
    const rows = [...p.text.matchAll(/<tr data-kind="([a-z_]+)"><td>([^<]+)<\/td><td>([\d.]+)元\/年<\/td><\/tr>/g)]
        .map((m) => [m[1], m[2]]);
    assert.deepEqual(rows.map((r) => r[0]).sort(), ['org', 'org_business', 'org_person']);
    /* each the price of one year as the hall's product charges it */
    for (const m of p.text.matchAll(/<tr data-kind="([a-z_]+)"><td>([^<]+)<\/td><td>([\d.]+)元\/年/g)) {
        const fen = psql(`SELECT price_per_year_fen + fixed_fee_fen FROM products WHERE partner_code = 'hall'
            AND business_type = 'seal' AND cert_type = '${m[1]}' AND ca = 'ecc' AND active`);
        assert.equal(m[3], (Number(fen) / 100).toFixed(2), m[2]);
    }
    assert.match(p.text, /<a class="button secondary" id="seal-stamp" href="\/seal\/stamp">在线盖章/);
    const g = await c.get('/seal/guide');
    assert.match(g.text, /已知悉/);
    assert.match(g.text, /机构业务证书线上最多可办理 8 张/);
});

/* ---- SESeal of an issued order ----------------------------------------------- */

/* DER: tag, length, children */
function der(buf, off = 0) {
    let len = buf[off + 1], hdr = 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++)
            len = len * 256 + buf[off + 2 + i];
        hdr = 2 + n;
    }
    const node = { tag: buf[off], off, hdr, end: off + hdr + len, raw: buf.subarray(off, off + hdr + len),
        body: buf.subarray(off + hdr, off + hdr + len) };
    node.kids = () => {
        const out = [];
        for (let o = off + hdr; o < node.end;) {
            const k = der(buf, o);
            out.push(k);
            o = k.end;
        }
        return out;
    };
    return node;
}

async function verifyFile(bytes) {
    const c = new Client();
    await c.get('/seal/verify');
    return c.postMultipart('/seal/verify', {}, { seseal: { name: 'x.seseal', data: bytes } });
}

/* a seal order through 录入信息, then moved on to accepted (the steps between
 * -- print, uploads, identity, payment, review -- are the kit's, tested in
 * their own files) */
const PRODUCED = {
    app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
    org_count: '1', org_years: '2', org_style: 'auto',
    biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto',
    person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
    person_1_style: 'auto', person_1_mobile: '13500135000',
};

async function acceptedSealOrder(choices = PRODUCED, fields = {}) {
    const c = await applicant();
    const key = await toApply(c);
    const form = { ...orgForm(fields), ...choices, project: 'hall', submit_key: key };
    delete form.years;
    /* the holder's own phone, this order's alone: its SMS are read */
    if (form.person_count !== '0')
        form.person_1_mobile = freshPhone('135');
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    const items = {};
    for (const row of psql(`SELECT kind || ':' || id FROM seal_items WHERE order_id = ${id}`).split('\n')) {
        const [k, v] = row.split(':');
        items[k] = v;
    }
    return { id, c, form, items };
}

/* a seal with its own certificate revoked by the console: asked by
 * operator, approved by operator2 (four eyes, docs/operations.md) */
async function sealRevoke(op, esId, reason) {
    const ask = await op.post('/admin/seal/revoke', { es_id: esId, reason });
    assert.equal(ask.status, 200, ask.text);
    assert.ok(ask.body.request_id > 0, ask.text);
    const ok = await (await operator2()).post('/admin/pki/revoke/approve', { id: ask.body.request_id });
    assert.equal(ok.status, 200, ok.text);
    return ok;
}

/* 制作证书, then the 个人章's holder makes its key (sql/159: production
 * makes no certificate for it) */
async function produced(op, so) {
    const r = await op.post('/admin/pki/issue', { id: so.id });
    assert.equal(r.status, 200, r.text);
    if (so.form.person_count !== '0')
        await holderMakesKey(so.form.person_1_mobile, tmpdir());
    return r;
}

async function download(c, item) {
    const r = await fetch(`${HALL}/seal/seseal?id=${item}`, { headers: { Cookie: c.cookieHeader() } });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

test('seseal__made_by_production_before_any_download__owner_downloads__verifies__revocation_seen', async () => {
    const op = await operator();
    const so = await acceptedSealOrder();
    const o = { id: so.id, c: so.c, form: so.form };
    const item = so.items.org;
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${o.id}`), '0');
    await produced(op, so);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'
        AND seal_item_id IS NULL`);
    /* production made every seal's SESeal, before anyone downloaded one */
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${o.id} AND state = 'valid'`), '3');
    const stored = Buffer.from(psql(`SELECT encode(der, 'hex') FROM seseals WHERE item_id = ${item}`), 'hex');
    const early = await verifyFile(stored);
    assert.equal(early.status, 200, early.text);
    assert.equal(early.body.result.valid, true, JSON.stringify(early.body.result.problems));
    const pic = { body: Buffer.from(psql(`SELECT encode(image_png, 'hex') FROM seal_items WHERE id = ${item}`),
        'hex') };

    /* someone else: 404 */
    const other = await applicant();
    assert.equal((await download(other, item)).status, 404);

    /* the owner, three downloads at once: the stored seal, the same bytes for all */
    const got = await Promise.all([1, 2, 3].map(() => download(o.c, item)));
    assert.deepEqual(got.map((g) => g.status), [200, 200, 200]);
    assert.ok(got.every((g) => g.body.equals(stored)));
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE item_id = ${item}`), '1');
    const file = got[0].body;

    /* the structure (GB/T 38540 v4) and the maker's signature, checked by openssl */
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 's.der'), file);
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', path.join(dir, 's.der')]);
    assert.equal(parsed.status, 0, parsed.stderr);
    assert.match(parsed.stdout, /IA5STRING\s+:ES/);
    assert.match(parsed.stdout, /OBJECT\s+:SM2-with-SM3/);
    const [info, cert, , sig] = der(file).kids();
    const [header, esid, property, picture] = info.kids();
    assert.equal(header.kids()[1].body[0], 4, 'version 4');
    assert.match(esid.body.toString(), /^SZCA\d{12}O00$/);
    assert.equal(property.kids()[1].body.toString(), o.form.org_name);
    assert.equal(picture.kids()[0].body.toString(), 'PNG');
    assert.ok(picture.kids()[1].body.equals(pic.body), 'the picture is the drawn seal');
    const signer = property.kids()[3].kids()[0];
    fs.writeFileSync(path.join(dir, 'signer.der'), signer.body);
    const sn = openssl(['x509', '-inform', 'DER', '-in', path.join(dir, 'signer.der'), '-noout', '-serial']);
    assert.equal(sn.stdout.trim(), `serial=${serial}`, 'the order\'s certificate is listed');
    fs.writeFileSync(path.join(dir, 'maker.der'), cert.body);
    fs.writeFileSync(path.join(dir, 'info.der'), info.raw);
    fs.writeFileSync(path.join(dir, 'sig.bin'), sig.body.subarray(1));
    openssl(['x509', '-inform', 'DER', '-in', path.join(dir, 'maker.der'), '-pubkey', '-noout', '-out',
        path.join(dir, 'maker.pub')]);
    const v = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', path.join(dir, 'maker.pub'), '-rawin',
        '-digest', 'sm3', '-pkeyopt', `distid:${SM2_ID}`, '-in', path.join(dir, 'info.der'),
        '-sigfile', path.join(dir, 'sig.bin')]);
    assert.match(v.stdout + v.stderr, /Signature Verified Successfully/);

    /* the public page: valid */
    const ok = await verifyFile(file);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.result.valid, true, JSON.stringify(ok.body.result.problems));
    assert.equal(ok.body.result.signature_ok, true);
    assert.equal(ok.body.result.chain_ok, true);
    assert.equal(ok.body.result.crl_ok, true);
    assert.equal(ok.body.result.seal_state, 'valid');
    assert.equal(ok.body.result.name, o.form.org_name);
    assert.match(ok.body.result.picture, /^data:image\/png;base64,/);

    /* one byte of the name changed: the signature fails */
    const t = Buffer.from(file);
    const at = t.indexOf(Buffer.from(o.form.org_name.slice(0, 2)));
    t[at + 2] ^= 0x01;
    const bad = await verifyFile(t);
    assert.equal(bad.status, 200);
    assert.equal(bad.body.result.valid, false);
    assert.equal(bad.body.result.signature_ok, false);

    /* the signer's certificate revoked: the seal is no longer valid */
    assert.equal((await staffRevoke(serial, 'keyCompromise', op)).status, 200);
    const rev = await verifyFile(file);
    assert.equal(rev.body.result.valid, false);
    assert.equal(rev.body.result.signers[0].state, 'revoked');
    assert.ok(rev.body.result.problems.some((p) => /已吊销/.test(p)));
});

function certOf(dir, name, der) {
    fs.writeFileSync(path.join(dir, name), der);
    return openssl(['x509', '-inform', 'DER', '-in', path.join(dir, name), '-noout', '-serial', '-subject',
        '-nameopt', 'utf8,sep_comma_plus', '-text']).stdout;
}

test('production__each_business_and_person_seal_its_own_certificate__person_named_no_clear_id', async () => {
    const op = await operator();
    const so = await acceptedSealOrder();
    await produced(op, so);
    const orderSerial = psql(`SELECT serial FROM certificates WHERE order_id = ${so.id}
        AND seal_item_id IS NULL AND state = 'issued'`);
    /* one certificate for the order (机构证书) + one per 业务章 and 个人章:
     * the first two with their keys born on the order's USB key, no file
     * of them; the 个人章's key born in its holder's browser */
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${so.id} AND state = 'issued'
        AND p12_enc IS NULL AND key_origin = 'medium' AND medium_serial = '${mediumOf(so.id)}'`), '2');
    assert.equal(psql(`SELECT key_origin || '|' || (p12_enc IS NULL) FROM certificates
        WHERE seal_item_id = ${so.items.org_person}`), 'browser|true');
    const dir = tmpdir();
    const seen = {};
    for (const kind of ['org', 'org_business', 'org_person']) {
        const got = await download(so.c, so.items[kind]);
        assert.equal(got.status, 200, kind);
        const [info] = der(got.body).kids();
        const property = info.kids()[2];
        const signer = property.kids()[3].kids()[0];
        const text = certOf(dir, `${kind}.der`, signer.body);
        const serial = text.match(/^serial=([0-9A-F]+)$/m)[1];
        seen[kind] = { serial, text, type: property.kids()[0].body[0], name: property.kids()[1].body.toString() };
        const ok = await verifyFile(got.body);
        assert.equal(ok.body.result.valid, true, `${kind}: ${JSON.stringify(ok.body.result.problems)}`);
        assert.equal(ok.body.result.signers[0].serial, serial);
    }
    assert.equal(seen.org.serial, orderSerial, 'the 机构章 lists the order\'s 机构证书');
    assert.notEqual(seen.org_business.serial, orderSerial);
    assert.notEqual(seen.org_person.serial, orderSerial);
    assert.equal(psql(`SELECT seal_item_id FROM certificates WHERE serial = '${seen.org_person.serial}'`),
        so.items.org_person);
    /* the person's seal: 个人印章, the person's name, the person's certificate */
    assert.equal(seen.org_person.type, 2);
    assert.equal(seen.org_person.name, '王五');
    assert.match(seen.org_person.text, /CN=王五/);
    assert.match(seen.org_person.text, new RegExp(`O=${so.form.org_name}`));
    /* PII: the ID number is nowhere in clear (a keyed hash in 1.2.156.10260.4.1.1) */
    assert.doesNotMatch(seen.org_person.text, /44011320141005001X/i);
    assert.match(seen.org_person.text, /1\.2\.156\.10260\.4\.1\.1/);
    assert.equal(psql(`SELECT count(*) FROM seseals s WHERE s.order_id = ${so.id}
        AND position(convert_to('44011320141005001X', 'UTF8') IN s.der) > 0`), '0');
    assert.equal(seen.org_business.type, 1);
    assert.equal(seen.org_business.name, `${so.form.org_name}合同专用章`);
    /* a seal's own certificate has no medium of its own to lose: 介质遗失补办
     * does not offer it (it would reissue an order's certificate for it) */
    for (const kind of ['org_business', 'org_person']) {
        const asked = await so.c.get(`/reissue/serial?project=hall&serial=${seen[kind].serial}`);
        assert.equal(asked.status, 404, `${kind}: ${JSON.stringify(asked.body)}`);
    }
    /* produced once: a second production is refused, nothing more made */
    assert.equal((await op.post('/admin/pki/issue', { id: so.id })).status, 409);
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${so.id}`), '3');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${so.id}`), '3');
});

/* the one row of the page's table that holds text */
function rowOf(html, text) {
    const hit = (html.match(/<tr[\s\S]*?<\/tr>/g) || []).filter((r) => r.includes(text));
    assert.equal(hit.length, 1, `one row with ${text}`);
    return hit[0];
}

async function medium(c, item) {
    const r = await fetch(`${HALL}/seal/medium?id=${item}`,
        { headers: { Cookie: c.cookieHeader(), Accept: 'application/json' } });
    const body = Buffer.from(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), body,
        json: r.status === 200 ? null : JSON.parse(body.toString()) };
}

test('my_seals__each_seal_listed__its_seseal_and_its_certificate_medium_under_the_order_pin__the_person_seals_its_holders__owner_only', async () => {
    const op = await operator();
    const so = await acceptedSealOrder(PRODUCED, { agent_mobile: freshPhone('138') });
    /* the order page leads to the seals; before production each is 待制作 */
    const detail = await so.c.get(`/center/order?id=${so.id}`);
    assert.match(detail.text, new RegExp(`href="[^"]*/seal/seals\\?id=${so.id}"`));
    let page = await so.c.get(`/seal/seals?id=${so.id}`);
    assert.equal(page.status, 200, page.text);
    assert.equal((page.text.match(/待制作/g) || []).length, 3);
    assert.doesNotMatch(page.text, /seal\/medium\?id=/);
    const early = await medium(so.c, so.items.org_business);
    assert.equal(early.status, 409);
    assert.match(early.json.message, /尚未制作/);

    await produced(op, so);
    const pin = (await smsTo(so.form.agent_mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    page = await so.c.get(`/seal/seals?id=${so.id}`);
    assert.equal((page.text.match(/有效（至\d{4}-\d{2}-\d{2}）/g) || []).length, 3, page.text);
    assert.match(page.text, /王五/);
    /* the 机构章's and the 业务章's keys are on the order's USB key: the page
     * says so, and offers no file of them */
    const usb = mediumOf(so.id);
    for (const kind of ['org', 'org_business']) {
        assert.doesNotMatch(page.text, new RegExp(`/seal/medium\\?id=${so.items[kind]}"`), kind);
        const es = psql(`SELECT es_id FROM seseals WHERE item_id = ${so.items[kind]}`);
        assert.match(rowOf(page.text, `>${es}<`), new RegExp(`印章证书的密钥在本业务单的USB Key（介质 ${usb}）中生成`), kind);
        /* asked for all the same: 410, the USB key named, and where to go */
        const none = await medium(so.c, so.items[kind]);
        assert.equal(none.status, 410, kind);
        assert.match(none.json.message, new RegExp(`私钥在USB Key（介质 ${usb}）中生成，不能导出`), kind);
        assert.match(none.json.message, /没有可下载的证书文件：请插入该USB Key，用证书助手查看证书，用盖章工具hall-stamp盖章/, kind);
    }
    /* the 个人章's medium is its holder's (custody.test.js): not offered to
     * the agent, who is told where it went */
    assert.doesNotMatch(page.text, new RegExp(`/seal/medium\\?id=${so.items.org_person}"`));
    assert.match(page.text, /印章证书由持有人本人在其浏览器中生成密钥并保存，网上营业厅不持有私钥/);
    const holderOnly = await medium(so.c, so.items.org_person);
    assert.equal(holderOnly.status, 403);
    assert.match(holderOnly.json.message, /属于持有人本人/);

    /* the USB key opens with the order's PIN, not another, and holds the
     * certificate each SESeal lists: the order's 机构证书 (the 机构章's) and
     * the 业务章's own, its key labelled with the seal's code */
    assert.notEqual(openMedium(usb, '00000000').status, 0, 'a wrong PIN does not open it');
    const opened = openMedium(usb, pin);
    assert.equal(opened.status, 0, opened.out);
    const serial = openssl(['x509', '-in', opened.certPem, '-noout', '-serial']).stdout.trim().replace('serial=', '');
    assert.equal(serial, psql(`SELECT cert_serial FROM seseals WHERE item_id = ${so.items.org}`));
    const bizEs = psql(`SELECT es_id FROM seseals WHERE item_id = ${so.items.org_business}`);
    assert.match(opened.list, new RegExp(`label:\\s+${bizEs}`));
    assert.equal(psql(`SELECT medium_serial FROM certificates WHERE serial =
        (SELECT cert_serial FROM seseals WHERE item_id = ${so.items.org_business})`), usb);
    assert.equal(psql(`SELECT seal_item_id IS NULL FROM certificates WHERE serial =
        (SELECT cert_serial FROM seseals WHERE item_id = ${so.items.org})`), 't');

    /* someone else: neither the page nor a medium */
    const other = await applicant();
    assert.equal((await other.get(`/seal/seals?id=${so.id}`)).status, 404);
    assert.equal((await medium(other, so.items.org_person)).status, 404);
    assert.equal((await medium(so.c, 'x')).status, 400);

    /* a revoked seal: listed 已注销, its files no longer offered or served */
    const es = psql(`SELECT es_id FROM seseals WHERE item_id = ${so.items.org_person}`);
    await sealRevoke(op, es, '持章人离职');
    page = await so.c.get(`/seal/seals?id=${so.id}`);
    assert.match(page.text, /已注销（\d{4}-\d{2}-\d{2}）/);
    assert.doesNotMatch(page.text, new RegExp(`/seal/medium\\?id=${so.items.org_person}"`));
    const gone = await medium(so.c, so.items.org_person);
    assert.equal(gone.status, 410);
    assert.match(gone.json.message, /已注销/);
    assert.equal((await download(so.c, so.items.org_person)).status, 410);
});

test('production__producer_killed_after_signing__seal_intents_reconciled__made_once_on_the_next_run', async () => {
    const op = await operator();
    const so = await acceptedSealOrder();
    const killed = pkitool(['issue', String(so.id)], { HALL_PKI_FAULT: 'after_sign' });
    assert.equal(killed.status, 70, killed.stderr);
    /* the order's and its 业务章's certificates stand as intents (the 个人章's
     * is its holder's to make); no seal is stored */
    assert.equal(psql(`SELECT count(*) FILTER (WHERE state = 'intent') || '|' || count(*) FILTER (WHERE
        seal_item_id IS NOT NULL) FROM certificates WHERE order_id = ${so.id}`), '2|1');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${so.id}`), '0');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${so.id}`), 'accepted');
    const rec = pkitool(['reconcile']);
    assert.equal(rec.status, 0, rec.stderr);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${so.id} AND state = 'void'`), '2');
    /* the next production makes everything once; the holder then the 个人章's */
    await produced(op, so);
    assert.equal(psql(`SELECT count(*) FILTER (WHERE state = 'issued') || '|' || count(*)
        FROM certificates WHERE order_id = ${so.id}`), '3|5');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${so.id} AND state = 'valid'`), '3');
    const v = await verifyFile(Buffer.from(psql(`SELECT encode(der, 'hex') FROM seseals
        WHERE item_id = ${so.items.org_person}`), 'hex'));
    assert.equal(v.body.result.valid, true, JSON.stringify(v.body.result.problems));
});

test('production__cutout_seal_without_its_picture__409_nothing_issued', async () => {
    const op = await operator();
    const so = await acceptedSealOrder({ ...PRODUCED, biz_1_style: 'cutout' });
    const r = await op.post('/admin/pki/issue', { id: so.id });
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.message, /印章图片尚未制作/);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${so.id}`), '0');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${so.id}`), '0');
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${so.id}`), 'accepted');
});

const SELF_MSG = '不能批准或拒绝自己提出的申请，须由另一位工作人员处理';

test('console_revoke__seal_with_own_certificate__four_eyes__pending_ocsp_good__second_operator_revokes_both', async () => {
    const op = await operator();
    const so = await acceptedSealOrder();
    await produced(op, so);
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${so.id}`);
    const es = (kind) => psql(`SELECT es_id FROM seseals WHERE item_id = ${so.items[kind]}`);
    const person = es('org_person');
    const personCert = psql(`SELECT serial FROM certificates WHERE seal_item_id = ${so.items.org_person}`);
    const personCa = psql(`SELECT ca FROM certificates WHERE serial = '${personCert}'`);
    const orderCert = psql(`SELECT serial FROM certificates WHERE order_id = ${so.id} AND seal_item_id IS NULL`);
    const file = (await download(so.c, so.items.org_person)).body;
    const dir = tmpdir();
    await fetchPki(dir);
    const ocsp = () => ocspQuery(dir, personCa, personCert).line;
    assert.match(ocsp(), /: good$/);

    /* the console lists the order's seals, the person by name only */
    const page = await op.get(`/admin/seal?order=${orderNo}`);
    assert.equal(page.status, 200);
    for (const kind of ['org', 'org_business', 'org_person'])
        assert.match(page.text, new RegExp(`data-es="${es(kind)}"`));
    assert.match(page.text, /王五/);
    assert.doesNotMatch(page.text, /44011320141005001X/);

    /* not for applicants, nor for a reviewer */
    assert.notEqual((await so.c.post('/admin/seal/revoke', { es_id: person, reason: '人员离职' })).status, 200);
    const rv = await require('./lib/pki').reviewer();
    assert.equal((await rv.post('/admin/seal/revoke', { es_id: person, reason: '人员离职' })).status, 403);
    /* no reason: 400 naming it, nothing changed */
    const bad = await op.post('/admin/seal/revoke', { es_id: person, reason: '' });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.field, 'reason');
    assert.match(bad.body.message, /注销原因/);
    assert.equal(psql(`SELECT state FROM seseals WHERE es_id = '${person}'`), 'valid');

    /* two operators ask at once: one pending request, nothing revoked
     * (before: [200, 409] and the certificate revoked by one operator) */
    const op2 = await operator2();
    const both = await Promise.all([op, op2].map((s) => s.post('/admin/seal/revoke', { es_id: person, reason: '人员离职' })));
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 409], both.map((r) => r.text).join('\n'));
    const asked = both.find((r) => r.status === 200);
    const refused = both.find((r) => r.status === 409);
    assert.match(refused.body.message, /待批准/);
    const rid = asked.body.request_id;
    assert.ok(rid > 0, asked.text);
    assert.match(asked.body.message, /另一位运营人员/);
    assert.equal(psql(`SELECT count(*) FROM staff_requests WHERE kind = 'revoke' AND subject = '${personCert}'`), '1');
    assert.equal(psql(`SELECT state FROM staff_requests WHERE id = ${rid}`), 'pending');
    assert.equal(psql(`SELECT state FROM seseals WHERE es_id = '${person}'`), 'valid');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${personCert}'`), 'issued');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'revoke' AND ((entity = 'seseal'
        AND entity_id = '${person}') OR (entity = 'certificate' AND entity_id = '${personCert}'))`), '0');
    assert.match(ocsp(), /: good$/);
    assert.equal((await verifyFile(file)).body.result.valid, true);
    /* a third ask finds the request too */
    assert.equal((await op.post('/admin/seal/revoke', { es_id: person, reason: '人员离职' })).status, 409);

    /* the console and 待批准 say what waits, and for whom */
    const asker = Number(psql(`SELECT requested_by FROM staff_requests WHERE id = ${rid}`));
    const askerLogin = psql(`SELECT login FROM staff WHERE id = ${asker}`);
    const other = askerLogin === 'operator' ? op2 : op, self = askerLogin === 'operator' ? op : op2;
    const waiting = await op.get(`/admin/seal?order=${orderNo}`);
    assert.match(waiting.text, new RegExp(`data-es="${person}"[\\s\\S]*?注销待批准（${askerLogin} 已申请`));
    const row = (await other.getJSON('/admin/approvals')).body.pending.find((r) => r.id === rid);
    assert.ok(row, 'pending on /admin/approvals');
    assert.equal(row.kind, 'revoke');
    assert.equal(row.reason, '人员离职');
    assert.match(row.what, new RegExp(`^注销电子印章 ${person} 并吊销其专用证书 ${personCert}，原因：停止使用`));
    assert.equal(row.can_decide, true);

    /* the one who asked cannot approve it */
    const selfOk = await self.post('/admin/pki/revoke/approve', { id: rid });
    assert.equal(selfOk.status, 403, selfOk.text);
    assert.equal(selfOk.body.message, SELF_MSG);
    assert.equal(psql(`SELECT state FROM seseals WHERE es_id = '${person}'`), 'valid');
    assert.match(ocsp(), /: good$/);

    /* the second operator's approval revokes both, at once */
    const ok = await other.post('/admin/pki/revoke/approve', { id: rid });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.body.message, /印章已注销，其证书已吊销/);
    const q = ocspQuery(dir, personCa, personCert);
    assert.ok(q.verified, q.out);
    assert.match(q.line, /: revoked$/);
    assert.match(q.out, /Reason: cessationOfOperation/);
    const otherId = psql(`SELECT id FROM staff WHERE login = '${askerLogin === 'operator' ? 'operator2' : 'operator'}'`);
    assert.equal(psql(`SELECT state || '|' || revoke_reason || '|' || revoked_by FROM seseals WHERE es_id = '${person}'`),
        `revoked|人员离职|staff:${otherId}`);
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'seseal' AND entity_id = '${person}'
        AND action = 'revoke'`), '1');
    assert.equal(psql(`SELECT state || '|' || revoke_reason FROM certificates WHERE serial = '${personCert}'`),
        'revoked|5');
    assert.equal((await other.post('/admin/pki/revoke/approve', { id: rid })).status, 409);
    /* the order's certificate and the other seals untouched */
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${orderCert}'`), 'issued');
    assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${so.id} AND state = 'valid'`), '2');

    /* the public page says it */
    const v = await verifyFile(file);
    assert.equal(v.status, 200);
    assert.equal(v.body.result.valid, false);
    assert.equal(v.body.result.seal_state, 'revoked');
    assert.ok(v.body.result.problems.some((p) => /注销/.test(p)), JSON.stringify(v.body.result.problems));
    assert.equal(v.body.result.signers[0].state, 'revoked');
    /* and the owner can no longer download it */
    assert.equal((await download(so.c, so.items.org_person)).status, 410);
    const after = await op.get(`/admin/seal?order=${orderNo}`);
    assert.match(after.text, /已注销[^<]*人员离职/);
});

test('console_revoke__org_seal_keeps_the_order_certificate__one_operator__no_request', async () => {
    const op = await operator();
    const so = await acceptedSealOrder();
    assert.equal((await op.post('/admin/pki/issue', { id: so.id })).status, 200);
    const org = psql(`SELECT es_id FROM seseals WHERE item_id = ${so.items.org}`);
    const orderCert = psql(`SELECT serial FROM certificates WHERE order_id = ${so.id} AND seal_item_id IS NULL`);
    const both = await Promise.all([1, 2].map(() => op.post('/admin/seal/revoke', { es_id: org, reason: '印章停用' })));
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 409]);
    assert.equal(both.find((r) => r.status === 200).body.message, '印章已注销');
    assert.equal(psql(`SELECT state || '|' || revoke_reason FROM seseals WHERE es_id = '${org}'`), 'revoked|印章停用');
    assert.equal(psql(`SELECT state FROM certificates WHERE serial = '${orderCert}'`), 'issued');
    assert.equal(psql(`SELECT count(*) FROM staff_requests WHERE subject = '${orderCert}'`), '0');
});

test('console_revoke__own_certificate_revoked_before__seal_revoked_all_the_same', async () => {
    const op = await operator();
    const so = await acceptedSealOrder();
    assert.equal((await op.post('/admin/pki/issue', { id: so.id })).status, 200);
    const business = psql(`SELECT es_id FROM seseals WHERE item_id = ${so.items.org_business}`);
    const cert = psql(`SELECT serial FROM certificates WHERE seal_item_id = ${so.items.org_business}`);
    /* its certificate went first (as its holder's revocation leaves it) */
    psql(`UPDATE certificates SET state = 'revoked', revoked_at = now(), revoke_reason = 1
          WHERE serial = '${cert}'`);
    const r = await op.post('/admin/seal/revoke', { es_id: business, reason: '业务停办' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.message, '印章已注销');
    assert.equal(psql(`SELECT state || '|' || revoke_reason FROM seseals WHERE es_id = '${business}'`),
        'revoked|业务停办');
    /* the certificate keeps the reason it was revoked with */
    assert.equal(psql(`SELECT state || '|' || revoke_reason FROM certificates WHERE serial = '${cert}'`),
        'revoked|1');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity = 'seseal' AND entity_id = '${business}'
        AND action = 'revoke'`), '1');
});

test('verify__not_a_seal_or_nothing__400_naming_the_field', async () => {
    const junk = await verifyFile(Buffer.from('not a seal at all'));
    assert.equal(junk.status, 400);
    assert.equal(junk.body.field, 'seseal');
    assert.match(junk.body.message, /SESeal/);
    const c = new Client();
    await c.get('/seal/verify');
    const none = await c.postMultipart('/seal/verify', { x: '1' }, {});
    assert.equal(none.status, 400);
    assert.equal(none.body.field, 'seseal');
    const page = await c.get('/seal/verify');
    assert.equal(page.status, 200);
    assert.match(page.text, /电子印章验证/);
});

/* ---- 证书附页 and 抠图 ------------------------------------------------------------ */

const CRC = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

function crc32(b) {
    let c = 0xffffffff;
    for (const x of b)
        c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

/* a scanned impression: white paper, black print, a red ring and dot */
function impressionPng(w = 300, h = 240, red = true) {
    const rows = [];
    for (let y = 0; y < h; y++) {
        const row = Buffer.alloc(1 + w * 3);
        for (let x = 0; x < w; x++) {
            const d = Math.hypot(x - w / 2, y - h / 2);
            let rgb = [250, 250, 248];
            if (y > 100 && y < 112 && x > 20 && x < 120)
                rgb = [20, 20, 20];
            if (red && ((d > 80 && d < 90) || d < 15))
                rgb = [215, 30, 35];
            row[1 + x * 3] = rgb[0];
            row[2 + x * 3] = rgb[1];
            row[3 + x * 3] = rgb[2];
        }
        rows.push(row);
    }
    const chunk = (type, data) => {
        const len = Buffer.alloc(4), crc = Buffer.alloc(4), td = Buffer.concat([Buffer.from(type), data]);
        len.writeUInt32BE(data.length);
        crc.writeUInt32BE(crc32(td));
        return Buffer.concat([len, td, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8;
    ihdr[9] = 2;
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
        chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

test('attachment__seal_pictures__impression_cut_out__owner_only', async () => {
    const c = await applicant();
    const o = await unpaidOrder(c);
    psql(`UPDATE orders SET business_type = 'seal', status = 'draft' WHERE id = ${o.id}`);
    const pic = await preview(c, { kind: 'org', org: o.form.org_name });
    const ins = (kind, pos, style, name, png) => psql(`INSERT INTO seal_items (order_id, kind, position,
        product_id, years, style, seal_name, price_fen, image_png) SELECT ${o.id}, '${kind}', ${pos}, id, 1,
        '${style}', ${name ? `'${name}'` : 'NULL'}, 40000, ${png ? `decode('${png.toString('hex')}', 'hex')` : 'NULL'}
        FROM products WHERE partner_code = 'hall' AND business_type = 'seal' AND cert_type = '${kind}'
        AND ca = 'ecc' RETURNING id`).split('\n')[0];
    const org = ins('org', 0, 'auto', null, pic.body);
    const biz1 = ins('org_business', 1, 'cutout', '合同专用章', null);
    const biz2 = ins('org_business', 2, 'auto', '财务专用章', pic.body);

    const page = await c.get(`/seal/attachment?id=${o.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /证书附页/);
    assert.equal((page.text.match(/class="seal-img"/g) || []).length, 2);
    assert.match(page.text, /待上传印模/);
    assert.match(page.text, new RegExp(`/seal/image\\?id=${org}`));
    const other = await applicant();
    assert.equal((await other.get(`/seal/attachment?id=${o.id}`)).status, 404);
    assert.equal((await other.get(`/seal/image?id=${org}`)).status, 404);

    /* 抠图: the red ink kept, the paper and the black print transparent */
    await c.get(`/seal/attachment?id=${o.id}`);
    const up = await upload(c, '/seal/impression', { id: biz1 },
        { bytes: impressionPng(), name: 'seal.png', type: 'image/png' }, { field: 'impression' });
    assert.equal(up.status, 200, up.text);
    const img = await fetch(`${HALL}/seal/image?id=${biz1}`, { headers: { Cookie: c.cookieHeader() } });
    assert.equal(img.status, 200);
    const cut = pngDecode(Buffer.from(await img.arrayBuffer()));
    assert.ok(cut.w >= 180 && cut.w <= 192, `cropped to the ring: ${cut.w}`);
    assert.ok(cut.alpha(Math.floor(cut.w / 2), Math.floor(cut.h / 2)) > 200, 'the red dot');
    assert.ok(cut.alpha(2, 2) < 16, 'the paper');
    assert.ok(cut.alpha(Math.floor(cut.w / 2) - 60, Math.floor(cut.h / 2) - 14) < 16, 'the black print');
    assert.equal((await c.get(`/seal/attachment?id=${o.id}`)).text.match(/class="seal-img"/g).length, 3);

    /* refused: no red, not an image, an auto seal, another's seal, a submitted order */
    const before = psql(`SELECT md5(image_png) FROM seal_items WHERE id = ${biz1}`);
    const nored = await upload(c, '/seal/impression', { id: biz1 },
        { bytes: impressionPng(300, 240, false), name: 'x.png' }, { field: 'impression' });
    assert.equal(nored.status, 400);
    assert.equal(nored.body.field, 'impression');
    assert.match(nored.body.message, /红色印章/);
    const junk = await upload(c, '/seal/impression', { id: biz1 }, { bytes: Buffer.from('%PDF-1.4 x'), name: 'x.pdf' },
        { field: 'impression' });
    assert.equal(junk.status, 400);
    assert.equal(junk.body.field, 'impression');
    const auto = await upload(c, '/seal/impression', { id: biz2 }, { bytes: impressionPng(), name: 'x.png' },
        { field: 'impression' });
    assert.equal(auto.status, 409);
    await other.get('/seal/verify');
    const theirs = await upload(other, '/seal/impression', { id: biz1 }, { bytes: impressionPng(), name: 'x.png' },
        { field: 'impression' });
    assert.equal(theirs.status, 404);
    psql(`UPDATE orders SET status = 'review' WHERE id = ${o.id}`);
    const late = await upload(c, '/seal/impression', { id: biz1 }, { bytes: impressionPng(), name: 'x.png' },
        { field: 'impression' });
    assert.equal(late.status, 409);
    assert.equal(psql(`SELECT md5(image_png) FROM seal_items WHERE id = ${biz1}`), before, 'nothing written');

    /* the order's 采集表: a PDF */
    const pdf = await fetch(`${HALL}/seal/collect-form?id=${o.id}`, { headers: { Cookie: c.cookieHeader() } });
    assert.equal(pdf.status, 200);
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
    assert.equal((await fetch(`${HALL}/seal/collect-form?id=${o.id}`,
        { headers: { Cookie: other.cookieHeader() } })).status, 404);
});

/* ---- the flow: 立即购买 → agreements → 流程指引 → 录入信息 with 签章信息 ------------------ */

const CHOICES = {
    app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
    org_count: '1', org_years: '2', org_style: 'auto',
    biz_count: '2', biz_years: '3', biz_1_name: '合同专用章', biz_1_style: 'auto',
    biz_2_name: '财务专用章', biz_2_style: 'cutout',
    person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
    person_1_style: 'auto', person_1_mobile: '13500135000',
};

async function toApply(c) {
    const start = await c.get('/seal?project=hall');
    assert.equal(start.status, 200);
    assert.match(start.text, /电子认证服务协议/);
    const a = await c.post('/seal/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    assert.match(a.body.redirect, /\/seal\/guide\?project=hall/);
    const g = await c.get(a.body.redirect);
    assert.match(g.text, /已知悉/);
    const page = await c.get('/seal/apply?project=hall');
    assert.equal(page.status, 200);
    assert.match(page.text, /签章信息/);
    return page.text.match(/name="submit_key" value="([^"]+)"/)[1];
}

function sealCount(order) {
    return psql(`SELECT count(*) FROM seal_items WHERE order_id = ${order}`);
}

test('apply__one_org_two_business_one_person__order_and_seals_priced_as_the_sum', async () => {
    const c = await applicant();
    const key = await toApply(c);
    const form = { ...orgForm(), ...CHOICES, project: 'hall', submit_key: key };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.match(r.body.redirect, /\/seal\/print\?id=/);
    const rows = psql(`SELECT kind || ':' || position || ':' || years || ':' || style || ':' ||
        coalesce(seal_name, '-') || ':' || price_fen || ':' || (image_png IS NOT NULL) || ':' ||
        (holder_enc IS NOT NULL) FROM seal_items WHERE order_id = ${id}
        ORDER BY kind, position`).split('\n');
    assert.deepEqual(rows, [
        'org:0:2:auto:-:100000:true:false',
        'org_business:1:3:auto:合同专用章:120000:true:false',
        'org_business:2:3:cutout:财务专用章:120000:false:false',
        'org_person:1:1:auto:-:20000:true:true',
    ]);
    /* the price: the sum of the seals (500×2 + 400×3 ×2 + 200×1) */
    assert.equal(psql(`SELECT cert_fen || ':' || business_type || ':' || seal FROM orders WHERE id = ${id}`),
        '360000:seal:true');
    /* the ID number is not stored in clear */
    assert.equal(psql(`SELECT count(*) FROM seal_items WHERE order_id = ${id}
        AND position(convert_to('44011320141005001X', 'UTF8') IN holder_enc) > 0`), '0');
    /* the print page links the 证书附页, which shows the pictures and the masked ID */
    const pr = await c.get(`/seal/print?id=${id}`);
    assert.equal(pr.status, 200);
    assert.match(pr.text, /打印证书附页/);
    const att = await c.get(`/seal/attachment?id=${id}`);
    assert.match(att.text, /4401\*+001X/);
    assert.doesNotMatch(att.text, /44011320141005001X/);
    /* the same form again: the same order, no second set of seals */
    const again = await c.post('/seal/apply', form);
    assert.equal(again.status, 200);
    assert.equal(sealCount(id), '4');
});

/* seed 001, 上传资料: 若需申请机构个人证书请优先点击“添加机构个人身份证扫描件”。若无需申请机构个人证书则可不上传 */
test('upload__each_person_seal_holder_id_scan_asked_first_by_name__missing_named__none_without_person_seals', async () => {
    const SCAN = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
    const c = await applicant();
    const key = await toApply(c);
    /* all drawn: a 抠图 seal would hold 下一步 for its impression (seal_pages.test.js) */
    const form = { ...orgForm(), ...CHOICES, project: 'hall', submit_key: key, biz_2_style: 'auto', person_count: '2',
        person_1_mobile: freshPhone('135'), person_2_name: '赵六', person_2_ric: '11010519491231002X',
        person_2_years: '1', person_2_style: 'auto', person_2_mobile: freshPhone('135') };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal((await c.post('/seal/printed', { id })).status, 200);
    /* each holder's own phone verified (the PIN goes there: custody.test.js) */
    await verifyHolder(c, id, 1, form.person_1_mobile);
    await verifyHolder(c, id, 2, form.person_2_mobile);

    const page = await c.get(`/seal/upload?id=${id}`);
    assert.equal(page.status, 200);
    const kinds = [...page.text.matchAll(/<tr data-kind="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(kinds, ['holder_id_1', 'holder_id_2', 'application', 'license', 'agent_id', 'seal_form',
        'cert_attachment']);
    assert.match(page.text, /id="material-holder_id_1">\* 机构个人身份证扫描件（王五）</);
    assert.match(page.text, /id="material-holder_id_2">\* 机构个人身份证扫描件（赵六）</);

    const upload = (kind) => c.postMultipart('/seal/upload', { id, kind }, { file: { name: `${kind}.jpg`, data: SCAN } });
    for (const kind of ['application', 'license', 'agent_id', 'seal_form', 'cert_attachment'])
        assert.equal((await upload(kind)).status, 200, kind);
    const step = psql(`SELECT step FROM orders WHERE id = ${id}`);
    let u = await c.post('/seal/uploaded', { id });
    assert.equal(u.status, 400);
    assert.deepEqual(u.body.errors.map((e) => [e.field, e.message]),
        [['holder_id_1', '请上传机构个人身份证扫描件（王五）'], ['holder_id_2', '请上传机构个人身份证扫描件（赵六）']]);
    assert.equal(psql(`SELECT step FROM orders WHERE id = ${id}`), step, 'nothing moved');

    /* only the holders the order names: no third, no spelling of the first twice */
    for (const kind of ['holder_id_3', 'holder_id_01', 'holder_id_0', 'holder_id', 'applicant_id']) {
        const x = await upload(kind);
        assert.equal(x.status, 400, kind);
        assert.equal(x.body.field, 'kind', kind);
    }
    const one = await upload('holder_id_1');
    assert.equal(one.status, 200, one.text);
    assert.match(one.body.message, /机构个人身份证扫描件（王五）/);
    /* a second scan of the first holder replaces that holder's only */
    assert.equal((await upload('holder_id_1')).status, 200);
    assert.equal((await upload('holder_id_2')).status, 200);
    assert.equal(psql(`SELECT string_agg(kind || ':' || (replaced_at IS NULL), ',' ORDER BY id) FROM order_files
        WHERE order_id = ${id} AND kind LIKE 'holder_id_%'`), 'holder_id_1:false,holder_id_1:true,holder_id_2:true');
    u = await c.post('/seal/uploaded', { id });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.redirect, `/seal/identity?id=${id}`);

    /* an edit: 王五's row deleted, 赵六 becomes the first row and keeps the
     * scan he uploaded; 王五's is retired */
    const current = () => psql(`SELECT string_agg(kind || ':' || id, ',' ORDER BY kind) FROM order_files
        WHERE order_id = ${id} AND kind LIKE 'holder_id_%' AND replaced_at IS NULL`);
    const zhaoScan = psql(`SELECT id FROM order_files WHERE order_id = ${id}
        AND kind = 'holder_id_2' AND replaced_at IS NULL`);
    assert.match(zhaoScan, /^\d+$/);
    const edit = { ...form, id, person_count: '1', person_1_name: '赵六', person_1_ric: '11010519491231002X',
        person_1_mobile: form.person_2_mobile };
    delete edit.submit_key;
    for (const k of ['person_2_name', 'person_2_ric', 'person_2_years', 'person_2_style', 'person_2_mobile'])
        delete edit[k];
    let ed = await c.post('/seal/apply', edit);
    assert.equal(ed.status, 200, ed.text);
    assert.equal(current(), `holder_id_1:${zhaoScan}`);
    /* 王五's scan: retired, its file deleted after the commit */
    const wangScans = psql(`SELECT stored_name || '|' || (removed_at IS NOT NULL) FROM order_files
        WHERE order_id = ${id} AND kind = 'holder_id_1' AND replaced_at IS NOT NULL ORDER BY id`).split('\n');
    assert.equal(wangScans.length, 2, 'the first scan replaced by upload, the second retired by the edit');
    for (const row of wangScans) {
        const [name, removed] = row.split('|');
        assert.equal(removed, 'true', row);
        assert.equal(await goneSoon(name), true, name);
    }
    assert.ok(objectExists(psql(`SELECT stored_name FROM order_files
        WHERE id = ${zhaoScan}`)), '赵六\'s scan kept');
    let again = await c.get(`/seal/upload?id=${id}`);
    assert.match(again.text, /id="material-holder_id_1">\* 机构个人身份证扫描件（赵六）</);
    assert.doesNotMatch(again.text, /王五|holder_id_2/);
    assert.equal((await c.post('/seal/uploaded', { id })).status, 200);

    /* another person in that row: the scan is asked again, naming them */
    const sun = freshPhone('135');
    ed = await c.post('/seal/apply', { ...edit, person_1_name: '孙七', person_1_ric: '44011320141005001X',
        person_1_mobile: sun });
    assert.equal(ed.status, 200, ed.text);
    assert.equal(current(), '', 'the first row\'s scan was 赵六\'s: retired');
    /* a phone the order never verified is asked for again, naming its holder */
    u = await c.post('/seal/uploaded', { id });
    assert.equal(u.status, 400);
    assert.ok(u.body.errors.some((e) => e.message === '请在证书附页页面验证机构个人章（孙七）持有人本人的手机号'), u.text);
    await verifyHolder(c, id, 1, sun);
    u = await c.post('/seal/uploaded', { id });
    assert.equal(u.status, 400);
    assert.deepEqual(u.body.errors.map((e) => [e.field, e.message]), [['holder_id_1', '请上传机构个人身份证扫描件（孙七）']]);
    assert.equal((await upload('holder_id_1')).status, 200);
    assert.equal((await c.post('/seal/uploaded', { id })).status, 200);

    /* the reviewer sees which holder a scan is for */
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    const rv = await require('./lib/pki').reviewer();
    const d = await rv.getJSON(`/admin/order?id=${id}`);
    assert.equal(d.status, 200);
    assert.deepEqual(d.body.files.filter((f) => !f.replaced).map((f) => f.label).filter((l) => /机构个人/.test(l)),
        ['机构个人身份证扫描件（第1枚机构个人章）']);

    /* without a 机构个人章 nothing of the kind is asked */
    const c2 = await applicant();
    const key2 = await toApply(c2);
    const form2 = { ...orgForm(), ...CHOICES, project: 'hall', submit_key: key2, person_count: '0' };
    delete form2.years;
    const r2 = await c2.post('/seal/apply', form2);
    assert.equal(r2.status, 200, r2.text);
    const id2 = Number(r2.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal((await c2.post('/seal/printed', { id: id2 })).status, 200);
    const page2 = await c2.get(`/seal/upload?id=${id2}`);
    assert.doesNotMatch(page2.text, /holder_id|机构个人身份证/);
    const x = await c2.postMultipart('/seal/upload', { id: id2, kind: 'holder_id_1' }, { file: { name: 'a.jpg', data: SCAN } });
    assert.equal(x.status, 400);
    assert.equal(psql(`SELECT count(*) FROM order_files WHERE order_id = ${id2}`), '0');
});

/*
 * The materials asked for follow the form (a holder's scan is asked by the
 * row of the holder), so a file chosen on an upload page is taken only if
 * the form has not been saved again since that page was shown: another tab
 * may have put another person in that row.  Parallel edits and uploads
 * leave each holder's row with that holder's scan and no other.
 */
test('upload__file_chosen_before_another_tab_edits_the_holders__409_nothing_written__parallel_edits_and_uploads_keep_each_scan_with_its_holder', async () => {
    const scan = (who) => Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(1500, 7),
        Buffer.from(`HOLDER:${who}:`), Buffer.from(String(Math.random()))]);
    const WANG = { name: '王五', ric: '44011320141005001X', mobile: '13500135001', tag: 'wang' };
    const ZHAO = { name: '赵六', ric: '11010519491231002X', mobile: '13500135002', tag: 'zhao' };
    const c = await applicant();
    const key = await toApply(c);
    const base = { ...orgForm(), ...CHOICES, project: 'hall', person_count: '2' };
    delete base.years;
    const rows = (a, b) => ({ person_1_name: a.name, person_1_ric: a.ric, person_1_years: '1', person_1_style: 'auto',
        person_1_mobile: a.mobile, person_2_name: b.name, person_2_ric: b.ric, person_2_years: '1',
        person_2_style: 'auto', person_2_mobile: b.mobile });
    const r = await c.post('/seal/apply', { ...base, ...rows(WANG, ZHAO), submit_key: key });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal((await c.post('/seal/printed', { id })).status, 200);
    const pageRev = async () => {
        const page = await c.get(`/seal/upload?id=${id}`);
        assert.equal(page.status, 200);
        const revs = new Set([...page.text.matchAll(/name="rev" value="(\d+)"/g)].map((m) => m[1]));
        assert.equal(revs.size, 1, 'every upload form of the page carries the form\'s revision');
        return { rev: [...revs][0], text: page.text };
    };
    const edit = (a, b) => c.post('/seal/apply', { ...base, ...rows(a, b), id });
    const upload = (kind, rev, who) => c.postMultipart('/seal/upload', { id, kind, rev },
        { file: { name: `${kind}.jpg`, data: scan(who.tag) } });
    const files = () => psql(`SELECT count(*) FROM order_files WHERE order_id = ${id}`);

    /* tab A shows 王五 in the first row; tab B swaps the holders */
    const a = await pageRev();
    assert.match(a.text, /id="material-holder_id_1">\* 机构个人身份证扫描件（王五）</);
    assert.equal((await edit(ZHAO, WANG)).status, 200);
    const before = files();
    const stale = await upload('holder_id_1', a.rev, WANG);
    assert.equal(stale.status, 409, stale.text);
    assert.equal(stale.body.field, 'file');
    assert.equal(stale.body.message, '业务单信息刚刚修改过，需要的资料可能已变化，请刷新页面后重新上传');
    assert.equal(files(), before, 'nothing written');
    /* reloaded, it names 赵六 in that row and takes his scan */
    const b = await pageRev();
    assert.match(b.text, /id="material-holder_id_1">\* 机构个人身份证扫描件（赵六）</);
    assert.equal((await upload('holder_id_1', b.rev, ZHAO)).status, 200);
    /* a revision that is not a number: 400 naming it, nothing written */
    const bad = await c.postMultipart('/seal/upload', { id, kind: 'holder_id_2', rev: 'x' },
        { file: { name: 'a.jpg', data: scan('wang') } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'rev');

    /* in parallel: one tab swaps the holders four times while others upload
     * scans chosen on the page they showed before */
    let order = [ZHAO, WANG];
    const shown = await pageRev();
    const swaps = (async () => {
        for (let i = 0; i < 4; i++) {
            order = [order[1], order[0]];
            const e = await edit(order[0], order[1]);
            assert.equal(e.status, 200, e.text);
        }
    })();
    const ups = [];
    for (let i = 0; i < 12; i++) {
        const n = 1 + (i % 2);
        ups.push(upload(`holder_id_${n}`, shown.rev, n === 1 ? ZHAO : WANG));
    }
    const answers = await Promise.all([swaps, ...ups]);
    for (const u of answers.slice(1))
        assert.ok(u.status === 200 || u.status === 409, `${u.status} ${u.text}`);
    const current = psql(`SELECT kind || ' ' || id FROM order_files WHERE order_id = ${id}
        AND kind LIKE 'holder_id_%' AND replaced_at IS NULL ORDER BY kind, id`).split('\n').filter(Boolean);
    const kinds = current.map((l) => l.split(' ')[0]);
    assert.equal(new Set(kinds).size, kinds.length, `one current scan per holder: ${current}`);
    /* after four swaps: 赵六 first, 王五 second; each row's scan is its holder's */
    const last = await pageRev();
    assert.match(last.text, /id="material-holder_id_1">\* 机构个人身份证扫描件（赵六）</);
    for (const l of current) {
        const [kind, fid] = l.split(' ');
        const who = kind === 'holder_id_1' ? 'zhao' : 'wang';
        const f = await c.get(`/seal/file?id=${fid}`);
        assert.equal(f.status, 200);
        assert.ok(f.text.includes(`HOLDER:${who}:`), `${kind} holds ${who}'s scan`);
    }

    /* a row the edit removed: the page is out of date (409), not the kind (400) */
    const one = { ...base, ...rows(ZHAO, WANG), person_count: '1', id };
    for (const k of ['person_2_name', 'person_2_ric', 'person_2_years', 'person_2_style', 'person_2_mobile'])
        delete one[k];
    assert.equal((await c.post('/seal/apply', one)).status, 200);
    const gone = await upload('holder_id_2', last.rev, WANG);
    assert.equal(gone.status, 409, gone.text);
    assert.equal(gone.body.field, 'file');
    const now = await pageRev();
    const none = await upload('holder_id_2', now.rev, WANG);
    assert.equal(none.status, 400, none.text);
    assert.equal(none.body.field, 'kind');
});

test('apply__two_org_seals_or_nine_business__400_naming_the_field_nothing_written', async () => {
    const c = await applicant();
    const key = await toApply(c);
    const before = psql('SELECT count(*) FROM orders');
    for (const [bad, field] of [[{ org_count: '2' }, 'org_count'], [{ biz_count: '9' }, 'biz_count']]) {
        const r = await c.post('/seal/apply', { ...orgForm(), ...CHOICES, ...bad, project: 'hall', submit_key: key });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.field, field);
        assert.match(r.body.message, /最多可办理/);
    }
    assert.equal(psql('SELECT count(*) FROM orders'), before);
});

test('apply__bad_value_per_group__400_naming_each_field_all_at_once_nothing_written', async () => {
    const c = await applicant();
    const key = await toApply(c);
    const before = psql('SELECT count(*) FROM orders') + '/' + psql('SELECT count(*) FROM seal_items');
    const cases = [
        [{ org_years: '7' }, 'org_years'],
        [{ biz_1_name: '' }, 'biz_1_name'],
        [{ biz_2_style: 'paint' }, 'biz_2_style'],
        [{ person_1_ric: '44011320141005001A' }, 'person_1_ric'],
        [{ person_1_name: '<b>' }, 'person_1_name'],
        [{ person_1_mobile: '12345' }, 'person_1_mobile'],
        [{ person_1_mobile: '' }, 'person_1_mobile'],
        [{ org_name: '' }, 'org_name'],
        [{ legal_ric: '123' }, 'legal_ric'],
        [{ agent_mobile: '12345' }, 'agent_mobile'],
        [{ bank_account: 'abc' }, 'bank_account'],
        [{ mail_address: '' }, 'mail_address'],
        [{ invoice: 'maybe' }, 'invoice'],
    ];
    for (const [bad, field] of cases) {
        const r = await c.post('/seal/apply', { ...orgForm(), ...CHOICES, ...bad, project: 'hall', submit_key: key });
        assert.equal(r.status, 400, `${field}: ${r.text}`);
        assert.ok(r.body.errors.some((x) => x.field === field), `${field} named: ${r.text}`);
    }
    /* several at once: all named */
    const all = await c.post('/seal/apply', { ...orgForm(), ...CHOICES, org_years: '7', person_1_ric: 'x',
        legal_ric: '1', project: 'hall', submit_key: key });
    assert.equal(all.status, 400);
    const named = all.body.errors.map((x) => x.field);
    for (const f of ['org_years', 'person_1_ric', 'legal_ric'])
        assert.ok(named.includes(f), `${f} in ${named}`);
    assert.equal(psql('SELECT count(*) FROM orders') + '/' + psql('SELECT count(*) FROM seal_items'), before);
});

test('apply__person_rows_as_many_as_needed__added_on_the_page__51_refused_in_chinese', async () => {
    const c = await applicant();
    const key = await toApply(c);
    /* a new order: no fixed rows, the 添加 button and the row template */
    const page = await c.get('/seal/apply?project=hall');
    assert.doesNotMatch(page.text, /<fieldset class="row seal-row" data-person="\d+"/);
    assert.match(page.text, /<button type="button" id="person-add"[^>]*>添加机构个人章<\/button>/);
    assert.match(page.text, /<template id="person-row-tpl">[\s\S]*name="person___N___ric"/);
    /* valid ID numbers (GB 11643 check digit), one per row */
    const ric = (i) => {
        const b = `1101011990030${String(100 + i).padStart(3, '0')}1`;
        const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const sum = [...b].reduce((a, d, k) => a + Number(d) * w[k], 0);
        return b + '10X98765432'[sum % 11];
    };
    const persons = (n) => {
        const f = { person_count: String(n) };
        for (let i = 1; i <= n; i++) {
            f[`person_${i}_name`] = `王${'一二三四五六七八九十'[i % 10]}`;
            f[`person_${i}_ric`] = ric(i);
            f[`person_${i}_years`] = '1';
            f[`person_${i}_style`] = 'auto';
            f[`person_${i}_mobile`] = `1350000${String(i).padStart(4, '0')}`;
        }
        return f;
    };
    const base = { ...orgForm(), ...CHOICES, project: 'hall', submit_key: key };
    delete base.years;
    for (const k of Object.keys(base))
        if (k.startsWith('person_'))
            delete base[k];
    const before = psql('SELECT count(*) FROM seal_items');
    const over = await c.post('/seal/apply', { ...base, ...persons(51) });
    assert.equal(over.status, 400, over.text);
    assert.ok((over.body.errors || [over.body]).some((e) => e.field === 'person_count'
        && /最多添加 50 枚/.test(e.message)), over.text);
    assert.equal(psql('SELECT count(*) FROM seal_items'), before, 'nothing written');
    /* the most the page offers: 50 rows, every one of them stored */
    const ok = await c.post('/seal/apply', { ...base, ...persons(50) });
    assert.equal(ok.status, 200, ok.text);
    const id = Number(ok.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal(psql(`SELECT count(*) FROM seal_items WHERE order_id = ${id} AND kind = 'org_person'`), '50');
    /* editing: the fifty rows come back, each with its 删除 */
    const edit = await c.get(`/seal/apply?id=${id}`);
    assert.equal((edit.text.match(/<fieldset class="row seal-row" data-person="\d+"/g) || []).length, 50);
    assert.equal((edit.text.match(/aria-label="删除第\d+位机构个人章"/g) || []).length, 50, 'one 删除 a row');
    assert.match(edit.text, /id="person_count" value="50"/);
});

