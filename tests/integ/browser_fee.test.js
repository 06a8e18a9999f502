'use strict';
/*
 * No 介质费 where no medium is made (issue 64 §2, §3, §5): replacing a
 * certificate made in the browser (sql/170, core/flow/replace.c
 * hall_replace_cert_product) makes no USB key and mails none, so the page
 * shows, and the order charges, the browser twin of the product (补办费
 * 0.00 + 介质费 0.00, 解锁费 0.00), in the hall's channel and a partner's
 * (sql/174); a USB key's 证书解锁 is the 证书助手's on the same medium, no
 * medium made either (sql/173), nor by its 证书更新 (在线更新 on the same
 * medium: the 证书费 a year, sql/176); a USB-key certificate's 补办 (a new
 * medium) still shows and charges its 介质费 100.00.  The 《浏览器生成密钥须知》 a
 * browser applicant accepts is 2026.2 (sql/175): a lost file is 补办, a
 * forgotten PIN 解锁, each in the browser, no 介质费.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { freshPhone, applicant } = require('./lib/client');
const { smsMessages, codeOf, waitForSms } = require('./lib/hall');
const { freshAccount } = require('./lib/payflow');
const { operator, acceptedByTransfer, tmpdir, openssl, psql, orgForm } = require('./lib/pki');

/* a 机构证书 of the hall made in the holder's browser (openssl stands in
 * for the page: the request only reaches the hall) */
async function browserMade(dir) {
    const phone = freshPhone('137');
    const f = orgForm({ agent_mobile: phone, key_origin: 'browser' });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    const o = await acceptedByTransfer({ project: 'hall', form: f });
    const tag = crypto.randomBytes(6).toString('hex');
    const key = path.join(dir, `${tag}.key`), der = path.join(dir, `${tag}.der`);
    let r = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    assert.equal(r.status, 0, r.stderr);
    r = openssl(['req', '-new', '-key', key, '-subj', '/CN=x', '-outform', 'DER', '-out', der]);
    assert.equal(r.status, 0, r.stderr);
    const made = await o.c.post('/pki/csr', { id: o.id, csr: fs.readFileSync(der).toString('base64') });
    assert.equal(made.status, 200, made.text);
    assert.equal(psql(`SELECT key_origin FROM certificates WHERE serial = '${made.body.serial}'`), 'browser');
    return { ...o, serial: made.body.serial, phone };
}

/* a 机构证书 of the hall made on a USB key at the operator's 制作证书 */
async function usbKeyMade(op) {
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const r = await op.post('/admin/pki/issue', { id: o.id });
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.equal(psql(`SELECT key_origin FROM certificates WHERE serial = '${serial}'`), 'medium');
    return { ...o, serial, phone };
}

/* the replacing order's amounts and its product's key origin */
const charged = (id) => psql(`SELECT o.cert_fen || '|' || o.amount_fen || '|' || p.key_origin
    FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = ${id}`);

/* 介质遗失补办 by its pages: 录入信息 shows the fee, the submit makes the
 * order; its id and the page */
async function reissue(o, project = 'hall', extra = {}) {
    const a = await o.c.post('/reissue/agree', { project, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const page = await o.c.get(`/reissue/apply?project=${project}&serial=${o.serial}`);
    assert.equal(page.status, 200, page.text);
    const form = orgForm({ agent_mobile: o.phone, bank_account: freshAccount() });
    delete form.cert_type;
    delete form.years;
    const r = await o.c.post('/reissue/apply', { project, serial: o.serial, ...form, ...extra,
        submit_key: page.text.match(/name="submit_key" value="([^"]+)"/)[1] });
    assert.equal(r.status, 200, r.text);
    return { id: Number(r.body.redirect.match(/id=(\d+)/)[1]), page: page.text };
}

/* 证书解锁 by its pages: the fee on 确认信息, the SMS code, the order */
async function unlock(o, extra = {}) {
    const a = await o.c.post('/unlock/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const page = await o.c.get(`/unlock/apply?project=hall&serial=${o.serial}`);
    assert.equal(page.status, 200, page.text);
    const before = (await smsMessages(o.phone)).length;
    const s = await o.c.post('/unlock/sms', { project: 'hall', serial: o.serial });
    assert.equal(s.status, 200, s.text);
    const code = codeOf(await waitForSms(o.phone, before));
    const form = orgForm({ agent_mobile: o.phone });
    for (const k of ['cert_type', 'years', 'bank_account_name', 'bank_branch_id', 'bank_account'])
        delete form[k];
    const r = await o.c.post('/unlock/apply', { project: 'hall', serial: o.serial, ...form, ...extra,
        sms_code: code,
        submit_key: page.text.match(/name="submit_key" value="([^"]+)"/)[1] });
    assert.equal(r.status, 200, r.text);
    return { id: Number(r.body.redirect.match(/id=(\d+)/)[1]), page: page.text };
}

test('browser_fee__reissue_and_unlock_of_a_browser_made_certificate__no_medium_fee_shown_or_charged', async () => {
    const dir = tmpdir();
    const op = await operator();

    /* 补办 of a file made in the browser: nothing to make or mail */
    const a = await browserMade(dir);
    const ra = await reissue(a);
    assert.match(ra.page, /补办费用：<span id="price-reissue">0\.00元<\/span>，介质费用：<span id="price-medium">0\.00元<\/span>，合计 <strong id="price-total" data-fen="0">0\.00元/);
    assert.equal(charged(ra.id), '0|0|browser', 'the 补办 charges no 介质费');

    /* 解锁 of one: a new key in the browser, no medium either */
    const b = await browserMade(dir);
    const ub = await unlock(b);
    assert.ok(ub.page.includes('解锁费用：0.00元（不制作、不寄送新介质，不收介质费），合计 0.00元'),
        'the 解锁 page shows no 介质费');
    assert.equal(charged(ub.id), '0|0|browser', 'the 解锁 charges no 介质费');

    /* a USB key's 补办 is a new medium: its 介质费 stays */
    const c = await usbKeyMade(op);
    const rc = await reissue(c);
    assert.match(rc.page, /介质费用：<span id="price-medium">100\.00元<\/span>，合计 <strong id="price-total" data-fen="10000">100\.00元/);
    assert.equal(charged(rc.id), '10000|10000|hall', 'the USB key\'s 补办 charges its 介质费');
});

test('browser_fee__unlock_of_a_usb_key__by_the_assistant__no_medium_fee_shown_or_charged', async () => {
    /* the 证书助手 resets the PIN on the same medium: nothing made, nothing
     * mailed, so no 介质费 on the page or in the amount */
    const op = await operator();
    const k = await usbKeyMade(op);
    const u = await unlock(k);
    assert.ok(u.page.includes('解锁费用：0.00元（不制作、不寄送新介质，不收介质费），合计 0.00元'),
        'the USB key\'s 解锁 page shows no 介质费');
    assert.doesNotMatch(u.page, /介质费用：100\.00元/);
    assert.equal(charged(u.id), '0|0|hall', 'the USB key\'s 解锁 charges no 介质费');
});

test('browser_fee__reissue_in_a_partner_channel__browser_made_none__usb_key_keeps_its_medium_fee', async () => {
    /* 揭阳's 介质遗失补办 of a file made in the browser: its browser twin */
    const a = await browserMade(tmpdir());
    const ra = await reissue(a, 'jieyang');
    assert.match(ra.page, /补办费用：<span id="price-reissue">0\.00元<\/span>，介质费用：<span id="price-medium">0\.00元<\/span>，合计 <strong id="price-total" data-fen="0">0\.00元/);
    assert.equal(charged(ra.id), '0|0|browser', 'the partner\'s 补办 of a browser file charges no 介质费');
    /* every channel's replacement products with a 介质费 have their twin */
    assert.equal(psql(`SELECT count(*) FROM products p WHERE p.active AND p.key_origin = 'hall'
        AND p.business_type IN ('reissue', 'renew', 'unlock') AND p.breakdown ? '介质费'
        AND NOT EXISTS (SELECT 1 FROM products b WHERE b.partner_code = p.partner_code
            AND b.business_type = p.business_type AND b.cert_type = p.cert_type
            AND b.key_origin = 'browser' AND b.active AND NOT b.breakdown ? '介质费')`), '0');
    /* a USB key's 补办 in that channel is a new medium: 介质费 100.00 */
    const op = await operator();
    const k = await usbKeyMade(op);
    const rk = await reissue(k, 'jieyang');
    assert.match(rk.page, /介质费用：<span id="price-medium">100\.00元<\/span>，合计 <strong id="price-total" data-fen="10000">100\.00元/);
    assert.equal(charged(rk.id), '10000|10000|hall');
});

test('browser_fee__browser_key_agreement_2026_2__lost_file_reissue_forgotten_pin_unlock_in_the_browser', async () => {
    const c = await applicant();
    const page = await c.get('/new?project=hall');
    assert.equal(page.status, 200, page.text);
    const m = page.text.match(/<details class="agreement" id="agreement-browser_key">([\s\S]*?)<\/details>/);
    assert.ok(m, 'the hall\'s 证书新办 asks for 《浏览器生成密钥须知》');
    const text = m[1];
    assert.match(text, /版本2026\.2/);
    assert.match(text, /私钥只在您的浏览器中生成[\s\S]*从不发送给我们[\s\S]*从不持有/);
    assert.match(text, /证书文件丢失或损坏：请办理“介质遗失补办”[\s\S]*浏览器生成新的密钥[\s\S]*不收取介质费/);
    assert.match(text, /忘记PIN码：证书文件无法解锁[\s\S]*请办理“证书解锁”[\s\S]*浏览器生成新的密钥/);
    assert.match(text, /USB Key[\s\S]*密钥对在USB Key内部生成[\s\S]*证书助手在原USB Key上重设PIN码，原密钥和证书保持不变/);
    assert.doesNotMatch(text, /请申请撤销该证书，再重新申请新办/, 'not 2026.1\'s revoke and apply again');
    /* accepting records the version shown */
    const r = await c.post('/new/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(r.status, 200, r.text);
    assert.match(psql(`SELECT string_agg(agreement_code || ':' || agreement_version, ',') FROM agreement_acceptances
        WHERE user_id = (SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1)`), /browser_key:2026\.2/);
});

/* 证书更新 by its pages, the certificate brought into the window: the
 * years with their prices on 确认信息, the order */
async function renew(o, years = '2', extra = {}) {
    psql(`UPDATE certificates SET not_after = date_trunc('second', now() + interval '10 days'),
        not_before = date_trunc('second', now() + interval '10 days') - interval '1 year'
        WHERE serial = '${o.serial}'`);
    const a = await o.c.post('/renew/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const page = await o.c.get(`/renew/apply?project=hall&serial=${o.serial}`);
    assert.equal(page.status, 200, page.text);
    const form = orgForm({ agent_mobile: o.phone });
    for (const k of ['cert_type', 'bank_account_name', 'bank_branch_id', 'bank_account'])
        delete form[k];
    const r = await o.c.post('/renew/apply', { project: 'hall', serial: o.serial, ...form, ...extra, years,
        submit_key: page.text.match(/name="submit_key" value="([^"]+)"/)[1] });
    assert.equal(r.status, 200, r.text);
    return { id: Number(r.body.redirect.match(/id=(\d+)/)[1]), page: page.text };
}

test('browser_fee__renew_of_a_usb_key__online_on_the_same_medium__no_medium_fee_shown_or_charged', async () => {
    /* the 证书助手 makes the new key on the same USB key and writes the
     * new certificate there: no medium made or mailed, so each year is the
     * 证书费 380.00 alone, not 480.00 with a 介质费 */
    const op = await operator();
    const k = await usbKeyMade(op);
    const u = await renew(k, '2');
    assert.match((await k.c.get('/renew/notice')).text, /<li>在线支付证书更新费用（[^<]*不收介质费）/,
        '操作提示 says the fee has no 介质费');
    assert.match(u.page, /name="years" value="1"[^>]*>1年（380\.00元）/, 'one year without 介质费');
    assert.match(u.page, /name="years" value="2"[^>]*>2年（760\.00元）/, 'two years without 介质费');
    assert.match(u.page, /id="replace-price">证书费用：380\.00元\/年（不制作、不寄送新介质，不收介质费）</);
    assert.doesNotMatch(u.page, /480\.00元|960\.00元/);
    const [cert, amount, origin] = charged(u.id).split('|');
    assert.deepEqual([cert, origin], ['76000', 'hall'], 'the USB key\'s 更新 charges no 介质费');
    /* the order page's 金额 names no 介质费 either */
    const view = await k.c.get(`/center/order?id=${u.id}`);
    assert.equal(view.status, 200, view.text);
    const dd = view.text.match(/<dd id="amount">([^<]*)<\/dd>/)[1];
    assert.ok(dd.startsWith(`${(Number(amount) / 100).toFixed(2)}元（证书费760.00元，`), dd);
    assert.doesNotMatch(dd, /介质费/);
});

/* the order's 证书费, 邮寄费 and amount */
const billed = (id) => psql(`SELECT cert_fen || '|' || shipping_fen || '|' || amount_fen FROM orders WHERE id = ${id}`);

/* the 确认信息 page of a replacement that mails nothing: 无需寄送 and why,
 * no 邮寄信息 and no 邮寄方式 (no 寄付 to choose) */
function asksNoShipping(page, why, what) {
    assert.match(page, new RegExp(`<p class="hint" id="no-mail">无需寄送：[^<]*${why}[^<]*</p>`), what);
    assert.doesNotMatch(page, /id="mail-fields"|name="shipping"|name="mail_address"|快递寄付/, what);
}

test('browser_fee__nothing_mailed__usb_key_unlock_renew_browser_reissue__no_address_no_shipping_fee', async () => {
    /* the form posts 寄付 (京东 13.00 to 南山区) each time: an order that
     * mails nothing ignores it, a USB key's 补办 (a new medium) charges it */
    const prepaid = { shipping: 'prepaid' };
    const op = await operator();

    /* 解锁 of a USB key: the 证书助手 on the same medium */
    const k = await usbKeyMade(op);
    const u = await unlock(k, prepaid);
    asksNoShipping(u.page, '证书助手在原USB Key上办理', 'the USB key\'s 解锁');
    assert.equal(billed(u.id), '0|0|0', 'the USB key\'s 解锁 charges no shipping');
    const printed = await k.c.get(`/unlock/print?id=${u.id}`);
    assert.equal(printed.status, 200, printed.text);
    assert.match(printed.text, /id="print-shipping-fee">无需寄送</);
    assert.match(printed.text, /不邮寄（由证书助手在原USB Key上办理/);
    assert.doesNotMatch(printed.text, /id="print-mail_/, 'no delivery address kept');

    /* 更新 of a USB key: 在线更新 on the same medium */
    const r = await usbKeyMade(op);
    const rn = await renew(r, '1', prepaid);
    asksNoShipping(rn.page, '证书助手在原USB Key上办理', 'the USB key\'s 更新');
    assert.equal(billed(rn.id), '38000|0|38000', 'the USB key\'s 更新 charges no shipping');

    /* 补办 of a file made in the browser: a new key in the browser */
    const b = await browserMade(tmpdir());
    const rb = await reissue(b, 'hall', prepaid);
    asksNoShipping(rb.page, '浏览器中生成', 'the browser file\'s 补办');
    assert.equal(billed(rb.id), '0|0|0', 'the browser file\'s 补办 charges no shipping');

    /* 补办 of a USB key: a new medium is mailed, 寄付 offered and charged */
    const c = await usbKeyMade(op);
    const rc = await reissue(c, 'hall', prepaid);
    assert.match(rc.page, /id="mail-fields"/);
    assert.match(rc.page, /name="shipping" value="prepaid"/, 'the USB key\'s 补办 offers 寄付');
    assert.doesNotMatch(rc.page, /id="no-mail"/);
    assert.equal(billed(rc.id), '10000|1300|11300', 'the USB key\'s 补办 charges 介质费 and 寄付');
});
