'use strict';
/*
 * Issue 51 §3, "Every seal that is paid for is made": a 证书新办 whose price
 * includes the 电子签章 — 建筑工务署's 是否办理电子签章 = 是 (100 元/年), 湖南's
 * 350 元 with 签章费 50 — walked from the partner's link to a stamped PDF:
 * the link, the form with the seal, the uploads with the 电子签章采集表, the
 * identity check, payment, the micro-deposit's PIN, review, the operator's
 * 制作证书, which makes the 机构章 from the 采集表's red impression as a
 * 电子签章申请's 机构章 is made (core/biz/sealprod.c); the order page and
 * 我的证书 name the seal, 我的电子印章 offers 在线盖章 with it (the page
 * loading the holder's .seseal), the holder downloads its .seseal and the
 * certificate's medium, `hall-stamp sign` stamps a PDF and /sign/verify
 * says 有效.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Client, HALL, applicant, freshPhone } = require('./lib/client');
const {
    psql, orgForm, personForm, sealStep, waitStatus, payOnline, confirmTrade, lastTransfer, memoCode,
} = require('./lib/payflow');
const { operator, smsTo, fetchPki } = require('./lib/pki');
const { softhsmModule, mediaEnv, mediumOf } = require('./lib/station');
const { staffLogin } = require('./lib/staff');
const { makePdf, verifyPdf, stampWith, tmpdir } = require('./lib/stamp');

const HUNAN_SECRET = 'dev-only-hunan-link-secret-change-me';
const SCAN = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
const SCAN_PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const ID_BACK = Buffer.concat([SCAN, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]);

/* the 电子签章采集表 as scanned: a 24-bit BMP (accepted by the upload's
 * content check) of paper with two black lines of print and, in its box,
 * the unit's red impression — a ring with a star-like dot */
function sealFormScan() {
    const w = 320, h = 260, stride = Math.ceil((w * 3) / 4) * 4;
    const pixels = Buffer.alloc(stride * h);
    for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
            const d = Math.hypot(x - 200, y - 150);
            let rgb = [246, 245, 240];
            if ((y > 20 && y < 27 && x > 12 && x < 160) || (y > 40 && y < 47 && x > 12 && x < 120))
                rgb = [20, 20, 20];
            if ((d > 72 && d < 82) || d < 14)
                rgb = [205, 30, 38];
            const o = (h - 1 - y) * stride + x * 3; /* bottom-up, BGR */
            pixels[o] = rgb[2];
            pixels[o + 1] = rgb[1];
            pixels[o + 2] = rgb[0];
        }
    }
    const head = Buffer.alloc(54);
    head.write('BM', 0, 'latin1');
    head.writeUInt32LE(54 + pixels.length, 2);
    head.writeUInt32LE(54, 10);
    head.writeUInt32LE(40, 14);
    head.writeInt32LE(w, 18);
    head.writeInt32LE(h, 22);
    head.writeUInt16LE(1, 26);
    head.writeUInt16LE(24, 28);
    head.writeUInt32LE(pixels.length, 34);
    return Buffer.concat([head, pixels]);
}

/* the partner's side of a signed link (docs/partners.md) */
const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
function signedQuery(params) {
    const p = { ts: String(Math.floor(Date.now() / 1000)), nonce: crypto.randomBytes(8).toString('hex'), ...params };
    const canon = Object.keys(p).sort().map((k) => `${pct(k)}=${pct(p[k])}`).join('&');
    p.sign = crypto.createHmac('sha256', HUNAN_SECRET).update(canon).digest('hex');
    return new URLSearchParams(p).toString();
}

/* the form saved, printed, the four materials uploaded (the 采集表 among
 * them), the agent's OCR and liveness on a phone: the order, unpaid */
async function throughIdentity(c, base, form, sealForm = sealFormScan()) {
    const r = await c.post(`${base}/new/apply`, form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    assert.equal((await c.post(`${base}/new/printed`, { id })).status, 200);
    const up = await c.get(`${base}/new/upload?id=${id}`);
    assert.equal(up.status, 200);
    /* by the partner's guide's name: seed 003's 《数字证书印模采集表》 at 建筑工务署 */
    assert.match(up.text, base === '/szjsgws' ? /id="material-seal_form">\* 数字证书印模采集表</
        : /id="material-seal_form">\* 电子签章采集表</, 'the upload page asks for the 采集表');
    const files = form.cert_type === 'person'
        ? { application: SCAN, applicant_id: SCAN, seal_form: sealForm }
        : { application: SCAN, license: SCAN_PDF, agent_id: SCAN, seal_form: sealForm };
    for (const [kind, data] of Object.entries(files)) {
        const u = await c.postMultipart(`${base}/new/upload`, { id, kind },
            { file: { name: `${kind}.${data === SCAN_PDF ? 'pdf' : kind === 'seal_form' ? 'bmp' : 'jpg'}`, data } });
        assert.equal(u.status, 200, `${kind}: ${u.text}`);
    }
    assert.equal((await c.post(`${base}/new/uploaded`, { id })).status, 200);
    const page = await c.get(`${base}/new/identity?id=${id}`);
    assert.equal(page.status, 200);
    const href = page.text.match(/href="([^"]*\/new\/m\/verify\?t=[^"]+)"/)[1].replace(/&amp;/g, '&');
    const t = new URL(href, HALL).searchParams.get('t');
    const phone = new Client();
    assert.equal((await phone.get(`/new/m/verify?t=${t}`)).status, 200);
    let p = await phone.postMultipart('/new/m/ocr', { t }, {
        front: { name: 'f.jpg', data: Buffer.concat([SCAN, Buffer.from(form.cert_type === 'person'
            ? `SANDBOX-ID:${form.app_name}|${form.app_ric.toUpperCase()}\n`
            : `SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
        back: { name: 'b.jpg', data: ID_BACK } });
    assert.equal(p.status, 200, p.text);
    p = await phone.postMultipart('/new/m/liveness', { t }, { media: { name: 'v.mp4', data: SCAN } });
    assert.equal(p.status, 200, p.text);
    await waitStatus(id, 'unpaid');
    return id;
}

/* paid online, the memo's PIN typed (金融认证), approved; beforeIssue(op)
 * the operator's step, then 制作证书: the PIN */
async function paidReviewedIssued(c, base, id, account, beforeIssue = null) {
    await c.get(`${base}/pay?id=${id}`);
    await confirmTrade(await payOnline(c, id, 'wechat', base));
    await waitStatus(id, 'finauth_ok');
    const memo = (await lastTransfer(account)).memo;
    assert.match(memo, /PIN/, 'the product sends the PIN in the memo');
    const pin = memoCode({ memo });
    await c.get(`${base}/finauth?id=${id}`);
    const f = await c.post(`${base}/finauth/code`, { id, code: pin });
    assert.equal(f.status, 200, f.text);
    await waitStatus(id, 'review');
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    await rv.get(`/admin/order?id=${id}`);
    const a = await rv.post('/admin/order/approve', { id });
    assert.equal(a.status, 200, a.text);
    const op = await operator();
    if (beforeIssue)
        await beforeIssue(op);
    const issued = await op.post('/admin/pki/issue', { id });
    assert.equal(issued.status, 200, issued.text);
    return pin;
}

/* what the customer and the verifier see of the bundle's seal, and a PDF
 * stamped with it by hall-stamp */
async function sealUsable(c, base, id, pin, { org, sealFen, kind: want = 'org' }) {
    /* one 机构章, cut out of the 采集表's red impression, priced as its part */
    const row = psql(`SELECT i.id || '|' || i.kind || '|' || i.style || '|' || i.price_fen || '|'
        || s.es_id || '|' || s.cert_serial || '|' || s.state FROM seal_items i
        JOIN seseals s ON s.item_id = i.id WHERE i.order_id = ${id}`);
    assert.notEqual(row, '', 'the paid seal is made with the certificate');
    const [item, kind, style, fen, esId, serial, state] = row.split('|');
    assert.deepEqual([kind, style, fen, state], [want, 'cutout', String(sealFen), 'valid']);
    const label = want === 'person' ? '个人印章' : '机构章';
    assert.equal(serial, psql(`SELECT serial FROM certificates WHERE order_id = ${id}
        AND seal_item_id IS NULL AND state = 'issued'`), 'the 机构章 lists the order\'s certificate');

    /* the order page names the seal and its state, and leads to 我的电子印章 */
    const order = await c.get(`${base}/center/order?id=${id}`);
    assert.equal(order.status, 200);
    assert.match(order.text, new RegExp(`<span id="bundle-seal-state">${label} 有效（至\\d{4}-\\d{2}-\\d{2}）</span>`));
    assert.match(order.text, new RegExp(`href="${base}/seal/seals\\?id=${id}"`));
    const list = await c.get(`${base}/seal/seals?id=${id}`);
    assert.equal(list.status, 200, list.text);
    assert.ok(list.text.includes(esId), '我的电子印章 lists the seal');
    assert.match(list.text, /有效/);
    /* 在线盖章 with it: its link on 我的电子印章, the page that loads the
     * holder's own .seseal (static/stamp/page.js: /seal/seseal?id=) */
    assert.match(list.text, new RegExp(`<a class="stamp-link" href="[^"]*/seal/stamp\\?id=${item}">在线盖章（`),
        '我的电子印章 offers 在线盖章 with the bundle\'s seal');
    const stampPage = await c.get(`${base}/seal/stamp?id=${item}`);
    assert.equal(stampPage.status, 200);
    assert.match(stampPage.text, new RegExp(`data-seal-item="${item}"`), '在线盖章 opens with the seal chosen');
    /* 我的证书: the certificate with the seal it signs */
    const certs = await c.get(`${base}/center/certs`);
    assert.equal(certs.status, 200);
    const at = certs.text.indexOf(serial);
    assert.ok(at > 0, '我的证书 lists the certificate');
    assert.match(certs.text.slice(at), new RegExp(`<li><a class="seal-link" href="${base}/seal/seals\\?id=${id}">`
        + `${label} [^<]*</a>（有效）</li>`), '我的证书 links its seal');

    /* the holder's .seseal; the certificate's key is on the order's USB
     * key (production_medium = pkcs11): no file of it, hall-stamp signs
     * with the key on the medium */
    const dir = tmpdir();
    const get = async (u) => {
        const res = await fetch(HALL + u, { headers: { Cookie: c.cookieHeader() } });
        assert.equal(res.status, 200, u);
        return Buffer.from(await res.arrayBuffer());
    };
    const usb = mediumOf(id);
    const none = await fetch(`${HALL}${base}/seal/medium?id=${item}`,
        { headers: { Cookie: c.cookieHeader(), Accept: 'application/json' } });
    assert.equal(none.status, 410);
    assert.match((await none.json()).message, new RegExp(`USB Key（介质 ${usb}）中生成，不能导出`));
    await fetchPki(dir);
    const who = { seal: path.join(dir, 'seal.seseal'), env: mediaEnv(),
        signer: ['--pkcs11-module', softhsmModule(), '--token', usb, '--key-label', 'hall',
            '--chain', path.join(dir, 'ecc.crt')] };
    fs.writeFileSync(who.seal, await get(`${base}/seal/seseal?id=${item}`));
    /* the SESeal names the unit */
    assert.ok(fs.readFileSync(who.seal).includes(Buffer.from(org)), 'the seal carries the subject\'s name');

    const stamped = stampWith(makePdf({ text: 'bundle contract' }), who, pin, { x: 120, y: 200 });
    const r = await verifyPdf(stamped);
    assert.equal(r.status, 200, r.text);
    const s = r.body.result.stamps[0];
    assert.equal(s.state, '有效', JSON.stringify(s));
    assert.equal(s.seal.es_id, esId);
    assert.equal(s.signer.serial, serial);
    assert.equal(s.seal_state.now, '有效');
    /* the stamp shows the cut-out: the picture the seal carries */
    assert.match(r.body.result.pictures[s.seal.picture_index], /^data:image\/png;base64,/);
}

test('seal_bundle__szjsgws_是否办理电子签章_是__link_to_stamped_pdf', async () => {
    const base = '/szjsgws';
    const c = await applicant();
    /* the partner's link */
    const entry = await c.get('/szjsgws/getLogin?projectId=0535cc2aee346b5dc3f9e5b852f00369');
    assert.equal(entry.status, 200);
    assert.equal((await c.get(`${base}/new?project=szjsgws`)).status, 200);
    const a = await c.post(`${base}/new/agree`, { project: 'szjsgws', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    /* 是否办理电子签章 = 是, its own step before 录入信息 (seed 003) */
    assert.equal(a.body.redirect, `${base}/new/seal?project=szjsgws`);
    assert.match((await c.get(a.body.redirect)).text, /<option value="yes" selected>是<\/option>/);
    await sealStep(c, 'yes');
    const page = await c.get(`${base}/new/apply?project=szjsgws`);
    assert.match(page.text, /电子签章办理：是/);
    const form = orgForm({ project: 'szjsgws', years: '1', agent_mobile: freshPhone('137') });
    const id = await throughIdentity(c, base, form);
    /* (480 + 100) × 1: the seal's 100 元 paid */
    assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '58000');
    const before = await c.get(`${base}/center/order?id=${id}`);
    assert.match(before.text, /<span id="bundle-seal-state">待制作/, 'the order shows its seal to come');
    /* the operator's step on 电子印章管理: the picture drawn, seen, then cut
     * out of the 采集表 after all; production makes the seal with it */
    const no = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    const pin = await paidReviewedIssued(c, base, id, form.bank_account, async (op) => {
        let console = await op.get(`/admin/seal?order=${no}`);
        assert.equal(console.status, 200);
        assert.match(console.text, /<p id="bundle-state">待制作/);
        assert.match(console.text, /根据电子签章采集表抠图/);
        let r = await op.post('/admin/seal/bundle', { order: no, style: 'auto' });
        assert.equal(r.status, 200, r.text);
        const drawn = psql(`SELECT id || '|' || style FROM seal_items WHERE order_id = ${id}`).split('|');
        assert.equal(drawn[1], 'auto');
        const img = await fetch(`${HALL}/admin/seal/image?id=${drawn[0]}`, { headers: { Cookie: op.cookieHeader() } });
        assert.equal(img.status, 200);
        assert.equal(img.headers.get('content-type'), 'image/png');
        r = await op.post('/admin/seal/bundle', { order: no, style: 'cutout' });
        assert.equal(r.status, 200, r.text);
        console = await op.get(`/admin/seal?order=${no}`);
        assert.match(console.text, /印章图片已根据电子签章采集表抠图/);
        assert.ok(console.text.includes(`/admin/seal/image?id=${drawn[0]}`), 'the operator sees the picture');
        r = await op.post('/admin/seal/bundle', { order: no, style: 'round' });
        assert.equal(r.status, 400, r.text);
    });
    await sealUsable(c, base, id, pin, { org: form.org_name, sealFen: 10000 });
    /* once made, the picture cannot change */
    const op = await operator();
    const late = await op.post('/admin/seal/bundle', { order: no, style: 'auto' });
    assert.equal(late.status, 409, late.text);
});

test('seal_bundle__hunan_签章费__signed_link_to_stamped_pdf', async () => {
    const base = '/hunan';
    const c = await applicant();
    const org = '湖南签章测试有限公司';
    /* the platform's signed link, the agreements with its ticket, the form pre-filled */
    const r = await c.get(`/hunan/new/entry?${signedQuery({ cert_type: 'org', org_name: org,
        org_id: '91110000600037341L' })}`);
    assert.equal(r.status, 303);
    const loc = r.headers.get('location');
    const link = loc.match(/link=([^&]+)/)[1];
    assert.equal((await c.get(loc)).status, 200);
    const a = await c.post(`${base}/new/agree`, { project: 'hunan', agree1: 'on', agree2: 'on', link });
    assert.equal(a.status, 200, a.text);
    const page = await c.get(a.body.redirect);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`value="${org}"`), 'the link\'s data pre-filled');
    const form = orgForm({
        project: 'hunan', link, years: '1', org_name: org, bank_account_name: org, invoice_title: org,
        agent_mobile: freshPhone('137'),
    });
    const id = await throughIdentity(c, base, form);
    /* 350 元 = 证书费200 + 介质费100 + 签章费50 */
    assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '35000');
    const pin = await paidReviewedIssued(c, base, id, form.bank_account);
    await sealUsable(c, base, id, pin, { org, sealFen: 5000 });
});

test('seal_bundle__refund_before_production__seal_part_refunded_none_made', async () => {
    const base = '/szjsgws';
    const c = await applicant();
    assert.equal((await c.get(`${base}/new?project=szjsgws`)).status, 200);
    const a = await c.post(`${base}/new/agree`, { project: 'szjsgws', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    await sealStep(c, 'yes');
    const form = orgForm({ project: 'szjsgws', years: '3', agent_mobile: freshPhone('137') });
    const id = await throughIdentity(c, base, form);
    /* (480 + 100) × 3: 1,740 元, the seal's 300 among them */
    assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '174000');
    await c.get(`${base}/pay?id=${id}`);
    await confirmTrade(await payOnline(c, id, 'wechat', base));
    await waitStatus(id, 'finauth_ok');
    await c.get(`${base}/center/order?id=${id}`);
    const r = await c.post(`${base}/center/refund`, { id, reason: '项目取消，不再需要证书和签章' });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT amount_fen FROM refunds WHERE order_id = ${id} AND kind = 'request'`), '174000',
        'the whole payment, the seal\'s part with it');
    psql(`UPDATE orders SET status = 'refunded' WHERE id = ${id}`);
    const page = await c.get(`${base}/center/order?id=${id}`);
    assert.match(page.text, /<span id="bundle-seal-state">不再制作/);
    const op = await operator();
    assert.equal((await op.post('/admin/pki/issue', { id })).status, 409);
    assert.equal(psql(`SELECT count(*) FROM seal_items WHERE order_id = ${id}`), '0');
});

test('seal_bundle__hunan_个人证书_签章费__signed_link_to_stamped_pdf_with_the_persons_seal', async () => {
    const base = '/hunan';
    const c = await applicant();
    const mobile = freshPhone('136');
    const person = { cert_type: 'person', name: '王五', ric: '44011320141005001X', mobile };
    const r = await c.get(`/hunan/new/entry?${signedQuery(person)}`);
    assert.equal(r.status, 303);
    const loc = r.headers.get('location');
    const link = loc.match(/link=([^&]+)/)[1];
    assert.equal((await c.get(loc)).status, 200);
    const a = await c.post(`${base}/new/agree`, { project: 'hunan', agree1: 'on', agree2: 'on', link });
    assert.equal(a.status, 200, a.text);
    assert.equal((await c.get(a.body.redirect)).status, 200);
    const form = personForm({ project: 'hunan', link, years: '1', app_mobile: mobile, mail_mobile: mobile });
    const id = await throughIdentity(c, base, form);
    assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '35000');
    /* a person pays and goes to review (no 金融认证); the PIN comes by SMS */
    await c.get(`${base}/pay?id=${id}`);
    await confirmTrade(await payOnline(c, id, 'wechat', base));
    await waitStatus(id, 'review');
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    await rv.get(`/admin/order?id=${id}`);
    assert.equal((await rv.post('/admin/order/approve', { id })).status, 200);
    const op = await operator();
    const issued = await op.post('/admin/pki/issue', { id });
    assert.equal(issued.status, 200, issued.text);
    const pin = (await smsTo(mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    await sealUsable(c, base, id, pin, { org: '王五', sealFen: 5000, kind: 'person' });
});

test('seal_bundle__采集表_as_pdf__operator_told_why_no_cutout__production_draws_the_seal', async () => {
    const base = '/hunan';
    const c = await applicant();
    assert.equal((await c.get(`${base}/new?project=hunan`)).status, 200);
    const a = await c.post(`${base}/new/agree`, { project: 'hunan', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const org = '湖南盖章图样有限公司';
    const form = orgForm({
        project: 'hunan', years: '2', org_name: org, bank_account_name: org, invoice_title: org,
        agent_mobile: freshPhone('137'),
    });
    const id = await throughIdentity(c, base, form, SCAN_PDF);
    const no = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    const pin = await paidReviewedIssued(c, base, id, form.bank_account, async (op) => {
        /* a PDF cannot be cut out: the operator is told why, nothing written */
        const r = await op.post('/admin/seal/bundle', { order: no, style: 'cutout' });
        assert.equal(r.status, 409, r.text);
        assert.equal(r.body.field, 'style');
        assert.match(r.body.message, /无法根据电子签章采集表抠图：电子签章采集表是PDF文件，无法抠图。可选择工具自动生成/);
        assert.equal(psql(`SELECT count(*) FROM seal_items WHERE order_id = ${id}`), '0');
    });
    /* production drew it from the unit's name: 签章费 50 × 2 years */
    assert.equal(psql(`SELECT style || '|' || price_fen FROM seal_items WHERE order_id = ${id}`), 'auto|10000');
    const item = psql(`SELECT id FROM seal_items WHERE order_id = ${id}`);
    const res = await fetch(`${HALL}/seal/seseal?id=${item}`, { headers: { Cookie: c.cookieHeader() } });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).includes(Buffer.from(org)));
    assert.match(pin, /^\d{6,8}$/);
});
