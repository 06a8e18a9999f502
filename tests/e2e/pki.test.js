'use strict';
/*
 * Production and delivery in headless Chromium through nginx: an order paid
 * online (memo PIN) and one paid by corporate transfer (PIN by SMS) are
 * approved by the reviewer, produced (制作证书) and mailed (邮寄) by the
 * operator in the console onto a USB key of the station (介质 USB Key: the
 * page names the medium for the order's envelope, and so does the 邮寄
 * queue), signed for at the courier (已签收); the applicant sees the
 * tracking number and the medium's serial in the personal center, nothing
 * to download; the USB key opens with the PIN the applicant got and the
 * certificate on it verifies against /pki/ (tests/integ/lib/station.js); revoking it in the console makes `openssl ocsp` say revoked
 * and the CRL list it.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, SANDBOX, freshPhone } = require('../integ/lib/client');
const { launchChromium, signIn } = require('./lib/browser');
const {
    reviewer, acceptedByTransfer, acceptedOnline, smsTo, tmpdir, openssl, fetchPki, ocspQuery, psql,
    orgForm,
} = require('../integ/lib/pki');
const { staffSignInPage } = require('./lib/staff');
const { mediumOf, openMedium } = require('../integ/lib/station');

async function staffPage(browser, login, password) {
    const ctx = await browser.newContext({ acceptDownloads: true });
    const page = await ctx.newPage();
    page.on('dialog', (d) => d.accept());
    await staffSignInPage(page, login, password);
    assert.equal(page.url(), `${HALL}/admin`);
    return page;
}

async function applicantPage(browser, c) {
    const ctx = await browser.newContext({ acceptDownloads: true });
    await signIn(ctx, c);
    return ctx.newPage();
}

/* 制作证书 then 邮寄 in the operator's console, then the courier delivers */
/* the queue narrowed to one 申请单号 through its filter: a full queue lists
 * only its first 200, and the suite's own orders fill it */
async function findInQueue(op, queue, id) {
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    const status = queue === 'production' ? 'accepted' : 'issued';
    /* the hall's to make: a key born in the browser is its holder's (sql/151) */
    const waiting = () => Number(psql(`SELECT count(*) FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.status = '${status}' AND p.key_origin = 'hall'`));
    const before = waiting();
    await op.goto(`${HALL}/admin/pki/${queue}`);
    const after = waiting();
    /* the whole queue counted, not the page (the outbox may make one meanwhile) */
    const total = Number(await op.textContent('#queue-total'));
    assert.ok(total >= Math.min(before, after) && total <= Math.max(before, after), `${total} of ${before}..${after}`);
    await op.fill('#channel-filter input[name="order"]', orderNo);
    await Promise.all([op.waitForNavigation(), op.click('#channel-filter button[type="submit"]')]);
    assert.equal(await op.locator(`#${queue}-queue tbody tr`).count(), 1);
}

async function produceAndShip(op, id) {
    await findInQueue(op, 'production', id);
    /* 介质: a blank USB key of the station, the only medium offered */
    assert.equal(await op.textContent(`#production-queue tr[data-id="${id}"] .medium`),
        '写入USB Key（密钥在介质内生成）');
    await Promise.all([
        op.waitForResponse((r) => r.url().endsWith('/admin/pki/issue') && r.status() === 200),
        op.click(`#production-queue tr[data-id="${id}"] button.issue`),
    ]);
    /* the page reloads itself (the answer's redirect): the order has left the queue */
    await op.waitForSelector(`#production-queue tr[data-id="${id}"]`, { state: 'detached' });
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'issued');
    const medium = mediumOf(id);
    /* which medium goes into which envelope: the notice, then the 邮寄 queue */
    assert.equal(await op.textContent('#made-medium'), medium);
    assert.match(await op.textContent('#made'), new RegExp(`请将该介质装入申请单号 ${psql(`SELECT order_no FROM orders WHERE id = ${id}`)} 的信封`));
    await findInQueue(op, 'shipping', id);
    assert.match(await op.textContent(`#shipping-queue tr[data-id="${id}"]`), new RegExp(`装入USB Key ${medium}`));
    await Promise.all([
        op.waitForResponse((r) => r.url().endsWith('/admin/pki/ship') && r.status() === 200),
        op.click(`#shipping-queue tr[data-id="${id}"] button.ship`),
    ]);
    await op.waitForSelector(`#shipping-queue tr[data-id="${id}"]`, { state: 'detached' });
    const waybill = psql(`SELECT waybill_no FROM orders WHERE id = ${id}`);
    const d = await (await fetch(`${SANDBOX}/sandbox/courier/${waybill}/deliver`, { method: 'POST' })).json();
    assert.ok(d.acked, JSON.stringify(d));
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'delivered');
    return { waybill, medium };
}

/* the applicant's view: tracking number, 已签收, the USB key's serial and
 * nothing to download (the key is in the USB key) */
async function applicantChecks(browser, o, { waybill, medium }) {
    const page = await applicantPage(browser, o.c);
    await page.goto(`${HALL}/center/order?id=${o.id}`);
    assert.match(await page.textContent('#waybill-no'), new RegExp(waybill));
    assert.equal(await page.textContent('#status'), '已签收');
    assert.match(await page.textContent('#medium-serial'), new RegExp(`已写入USB Key，介质序列号 ${medium}`));
    assert.equal(await page.locator('#medium').count(), 0, 'no file to download');
    await page.context().close();
    return medium;
}

/* the USB key opened with pin, as its holder does; the certificate on it
 * verified against /pki/; its serial */
function openAndVerify(dir, medium, pin) {
    const m = openMedium(medium, pin, dir);
    assert.equal(m.status, 0, m.out);
    const leaf = m.certPem;
    const v = openssl(['verify', '-CAfile', path.join(dir, 'root.crt'), '-untrusted', path.join(dir, 'ecc.crt'), leaf]);
    assert.equal(v.status, 0, v.stderr + v.stdout);
    return openssl(['x509', '-in', leaf, '-noout', '-serial']).stdout.trim().replace('serial=', '');
}

test('production_journey__online_and_transfer__onto_usb_keys_mailed_delivered_the_key_opens_verifies_revoked', async () => {
    const browser = await launchChromium();
    try {
        const dir = tmpdir();
        await fetchPki(dir);
        const rvc = await reviewer();
        const online = await acceptedOnline(rvc);

        /* the transfer order: approved by the reviewer in the browser */
        const transfer = await acceptedByTransfer({ form: orgForm({ agent_mobile: freshPhone('137') }) });
        psql(`UPDATE orders SET status = 'review' WHERE id = ${transfer.id}`);
        const rv = await staffPage(browser, 'reviewer', 'Reviewer2026demo');
        await rv.goto(`${HALL}/admin/order?id=${transfer.id}`);
        await Promise.all([
            rv.waitForResponse((r) => r.url().endsWith('/admin/order/approve') && r.status() === 200),
            rv.click('#approve'),
        ]);
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${transfer.id}`), 'accepted');

        const op = await staffPage(browser, 'operator', 'Operator2026demo');
        const errors = [];
        op.on('pageerror', (e) => errors.push(String(e)));

        const w1 = await produceAndShip(op, online.id);
        const p1 = await applicantChecks(browser, online, w1);
        openAndVerify(dir, p1, online.pin);

        const w2 = await produceAndShip(op, transfer.id);
        const pin = (await smsTo(transfer.form.agent_mobile, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
        assert.match(await smsTo(transfer.form.agent_mobile, /快递单号/), new RegExp(w2.waybill));
        const p2 = await applicantChecks(browser, transfer, w2);
        const serial = openAndVerify(dir, p2, pin);
        assert.match(ocspQuery(dir, 'ecc', serial).line, /: good$/);

        /* 吊销 in the console, with a reason */
        await op.goto(`${HALL}/admin/pki/certs?serial=${serial}`);
        await op.selectOption('#revoke-form select[name="reason"]', 'keyCompromise');
        await Promise.all([
            op.waitForResponse((r) => r.url().endsWith('/admin/pki/revoke') && r.status() === 200),
            op.click('#revoke'),
        ]);
        /* four eyes: still good until a second operator approves */
        assert.match(ocspQuery(dir, 'ecc', serial).line, /: good$/);
        const op2 = await staffPage(browser, 'operator2', 'Operator2026demo2');
        await op2.goto(`${HALL}/admin/approvals`);
        await Promise.all([
            op2.waitForResponse((r) => r.url().endsWith('/admin/pki/revoke/approve') && r.status() === 200),
            op2.locator('#approvals-pending tr[data-kind="revoke"]', { hasText: serial })
                .locator('.approval-approve button').click(),
        ]);
        const q = ocspQuery(dir, 'ecc', serial);
        assert.ok(q.verified, q.out);
        assert.match(q.line, /: revoked$/);
        await fetchPki(dir);
        const crl = openssl(['crl', '-inform', 'DER', '-in', path.join(dir, 'ecc.crl'), '-noout', '-text']);
        assert.ok(crl.stdout.includes(`Serial Number: ${serial}`), 'the CRL lists it');
        assert.deepEqual(errors, [], 'no page errors in the console');
        fs.rmSync(dir, { recursive: true, force: true });
    } finally {
        await browser.close();
    }
});
