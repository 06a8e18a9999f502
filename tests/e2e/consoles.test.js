'use strict';
/*
 * Accessibility of the newer consoles (issue 12): axe-core (lib/a11y.js) on
 * every page of them, in the states a user meets, in headless Chromium
 * through nginx:
 *   - the operator's PKI console: 制作证书 queue, after 制作证书, 邮寄 queue,
 *     after 邮寄, 证书管理 (empty, a certificate, a field error, revoked), the
 *     order page's 办理记录 (timeline) after production and delivery; the
 *     public 证书状态查询 (/pki/lookup: empty, found, revoked, not found, a
 *     malformed serial);
 *   - the applicant's 业务单详情 with its 电子发票 (重新获取, then the
 *     once-a-minute message) and 申请退费 (a field error, then requested);
 *   - finance's 对公转账到账确认, 退费处理 (an online and a transfer request,
 *     field errors, decided)
 *     and 失败的外部调用 (a dead job, sent again);
 *   - the report console (/report/: tables and bar charts, every group of
 *     业务单统计, an empty range, an unknown report).
 * Each page visited is checked (a11y.assertAllChecked).
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { HALL, SANDBOX, Client, freshPhone, applicant } = require('../integ/lib/client');
const {
    psql, orgForm, personForm, unpaidOrder, payOnline, confirmTrade, waitFor, waitStatus, sandbox,
    upload, PNG, staffLogin, inReview, approve,
} = require('../integ/lib/payflow');
const { acceptedByTransfer } = require('../integ/lib/pki');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');
const { staffSignInPage } = require('./lib/staff');

const SKIP = !process.env.HALL_URL;
/* what the outbox does (invoice, refund, SMS) may take long on a loaded machine */
const LONG = 90000;
let browser;

before(async () => {
    if (!SKIP)
        browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

/* a page that records what goes wrong: script errors, 5xx, unexpected 404s */
async function newPage(problems) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    a11y.track(page);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
        if (r.status() >= 500)
            problems.push(`${r.status()} ${r.url()}`);
    });
    /* the console asks before sending a decision */
    page.on('dialog', (d) => d.accept());
    return page;
}

async function staffPage(login, password, problems) {
    const page = await newPage(problems);
    await staffSignInPage(page, login, password, { check: (name) => a11y.check(page, name) });
    assert.equal(page.url(), `${HALL}/admin`);
    await a11y.check(page, `staff console (${login})`);
    return page;
}

async function applicantPage(c, problems) {
    const page = await newPage(problems);
    await signIn(page.context(), c);
    return page;
}

/* submit a data-ajax form and wait for the page its answer loads */
async function submitAndReload(page, button) {
    await Promise.all([page.waitForEvent('load'), page.click(button)]);
}

test('operator console, order timeline and serial lookup: every page passes axe', { skip: SKIP }, async () => {
    const problems = [];
    const o = await acceptedByTransfer({ form: orgForm({ agent_mobile: freshPhone('137') }) });
    const op = await staffPage('operator', 'Operator2026demo', problems);
    try {
        /* narrowed to the order: the suite's own orders fill the first 200 */
        const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
        await op.goto(`${HALL}/admin/pki/production?order=${orderNo}`);
        await op.locator(`#production-queue tr[data-id="${o.id}"]`).waitFor();
        await a11y.check(op, '制作证书 queue');
        await Promise.all([
            op.waitForResponse((r) => r.url().endsWith('/admin/pki/issue') && r.status() === 200),
            op.click(`#production-queue tr[data-id="${o.id}"] button.issue`),
        ]);
        await op.waitForSelector(`#production-queue tr[data-id="${o.id}"]`, { state: 'detached' });
        await a11y.check(op, '制作证书 queue, after 制作证书');

        await op.goto(`${HALL}/admin/pki/shipping?order=${orderNo}`);
        await op.locator(`#shipping-queue tr[data-id="${o.id}"]`).waitFor();
        await a11y.check(op, '邮寄 queue');
        await Promise.all([
            op.waitForResponse((r) => r.url().endsWith('/admin/pki/ship') && r.status() === 200),
            op.click(`#shipping-queue tr[data-id="${o.id}"] button.ship`),
        ]);
        await op.waitForSelector(`#shipping-queue tr[data-id="${o.id}"]`, { state: 'detached' });
        await a11y.check(op, '邮寄 queue, after 邮寄');
        const [serial, waybill] = psql(`SELECT serial || '|' || waybill_no FROM certificates c
            JOIN orders o ON o.id = c.order_id WHERE o.id = ${o.id}`).split('|');
        const d = await (await fetch(`${SANDBOX}/sandbox/courier/${waybill}/deliver`, { method: 'POST' })).json();
        assert.ok(d.acked, JSON.stringify(d));

        /* the order's timeline: accepted, issued, shipped, delivered */
        await op.goto(`${HALL}/admin/order?id=${o.id}`);
        await op.locator('#history tbody tr').nth(2).waitFor();
        await a11y.check(op, 'order page with its 办理记录 (operator)');

        await op.goto(`${HALL}/admin/pki/certs`);
        await a11y.check(op, '证书管理, empty');
        await op.fill('#cert-search input[name="serial"]', serial);
        /* the whole serial visible in the box, not cut */
        const box = await op.$eval('#cert-search input[name="serial"]', (e) => [e.scrollWidth, e.clientWidth]);
        assert.ok(box[0] <= box[1], `the serial box shows ${box[1]} of ${box[0]} px`);
        await Promise.all([op.waitForURL(/serial=/), op.click('#cert-search button[type="submit"]')]);
        assert.equal(await op.textContent('#cert-serial'), serial);
        /* the reasons in Chinese alone */
        const reasons = await op.$$eval('#revoke-form select[name="reason"] option', (os) => os.map((x) => x.textContent));
        assert.ok(reasons.length > 3 && reasons.every((t) => !/[A-Za-z]/.test(t)), reasons.join(','));
        await a11y.check(op, '证书管理, a certificate');
        /* no reason chosen: the server names the field */
        await op.evaluate(() => {
            const s = document.querySelector('#revoke-form select[name="reason"]');
            s.add(new Option('', ''), 0);
            s.value = '';
        });
        await op.click('#revoke');
        await op.locator('#revoke-form .err[data-for="reason"]', { hasText: '吊销原因' }).waitFor();
        await a11y.check(op, '证书管理, a field error');
        await op.selectOption('#revoke-form select[name="reason"]', 'superseded');
        /* four eyes: the request waits on 待批准 for a second operator */
        await Promise.all([
            op.waitForURL(`${HALL}/admin/approvals`),
            op.click('#revoke'),
        ]);
        await a11y.check(op, '待批准, the own request');
        const op2 = await staffPage('operator2', 'Operator2026demo2', problems);
        await op2.goto(`${HALL}/admin/approvals`);
        const row = op2.locator('#approvals-pending tr[data-kind="revoke"]', { hasText: serial });
        await Promise.all([
            op2.waitForResponse((r) => r.url().endsWith('/admin/pki/revoke/approve') && r.status() === 200),
            row.locator('.approval-approve button').click(),
        ]);
        await op.goto(`${HALL}/admin/pki/certs?serial=${serial}`);
        assert.equal(await op.locator('#revoke-form').count(), 0);
        assert.equal(await op.textContent('#cert-state'), '已吊销');
        await a11y.check(op, '证书管理, revoked');
        await op.goto(`${HALL}/admin/pki/certs?serial=nothex`);
        await a11y.check(op, '证书管理, a malformed serial');
        a11y.assertAllChecked(op);

        /* anyone: 证书状态查询 */
        const pub = await newPage(problems);
        await pub.goto(`${HALL}/pki/lookup`);
        await a11y.check(pub, '证书状态查询');
        await pub.fill('#serial', serial);
        await Promise.all([pub.waitForURL(/serial=/), pub.click('#lookup-form button[type="submit"]')]);
        assert.equal(await pub.getAttribute('#lookup-status', 'data-status'), 'revoked');
        await a11y.check(pub, '证书状态查询, revoked');
        await pub.goto(`${HALL}/pki/lookup?serial=0000000000000001`);
        await a11y.check(pub, '证书状态查询, not found');
        await pub.goto(`${HALL}/pki/lookup?serial=${encodeURIComponent('12-34')}`);
        await a11y.check(pub, '证书状态查询, malformed');
        a11y.assertAllChecked(pub);
        await pub.context().close();

        /* the applicant's 业务单详情 with the same timeline */
        const ap = await applicantPage(o.c, problems);
        await ap.goto(`${HALL}/center/order?id=${o.id}`);
        await ap.locator('#history li').nth(2).waitFor();
        await a11y.check(ap, '业务单详情, delivered and revoked');
        a11y.assertAllChecked(ap);
        await ap.context().close();
        assert.deepEqual(problems, []);
    } finally {
        await op.context().close();
    }
});

test('invoice resend and refund: applicant and finance pages pass axe; outbox admin too', { skip: SKIP }, async () => {
    const problems = [];
    /* an organisation's order paid online and approved: invoiced (审核通过后),
     * still refundable until its certificate is made */
    const o = await inReview(orgForm({ agent_mobile: freshPhone('135') }));
    const { c } = o;
    await approve(o.id);
    await waitFor(`the invoice of order ${o.id}`, () =>
        psql(`SELECT count(*) FROM invoices WHERE order_id = ${o.id}`) === '1', LONG);

    const ap = await applicantPage(c, problems);
    const fin = await staffPage('finance', 'Finance2026demo', problems);
    try {
        const url = `${HALL}/center/order?id=${o.id}`;
        await ap.goto(url);
        await ap.locator('#invoice-resend').waitFor();
        await a11y.check(ap, '业务单详情 with 电子发票 and 申请退费');
        await submitAndReload(ap, '#invoice-resend button[type="submit"]');
        await a11y.check(ap, '业务单详情, invoice sent again');
        await ap.click('#invoice-resend button[type="submit"]');
        await ap.locator('#invoice-resend .err', { hasText: '1分钟' }).waitFor();
        await a11y.check(ap, '业务单详情, invoice resend refused (once a minute)');
        await ap.click('#refund button[type="submit"]');
        await ap.locator('#refund .err[data-for="reason"]', { hasText: '退费原因' }).waitFor();
        await a11y.check(ap, '业务单详情, 申请退费 without a reason');
        await ap.fill('#refund input[name="reason"]', '项目取消');
        await submitAndReload(ap, '#refund button[type="submit"]');
        await waitStatus(o.id, 'refund_requested');
        await a11y.check(ap, '业务单详情, refund requested');
        a11y.assertAllChecked(ap);

        await fin.goto(`${HALL}/admin/finance`);
        await a11y.check(fin, '对公转账到账确认');
        const rid = psql(`SELECT id FROM refunds WHERE order_id = ${o.id} ORDER BY id DESC LIMIT 1`);
        /* and a request for money paid by corporate transfer (refunded by hand, with a note) */
        const t = await applicant();
        const to = await unpaidOrder(t, { project: 'hunan', base: '/hunan', form: personForm() });
        const up = await upload(t, '/hunan/pay/transfer', { id: to.id }, { bytes: PNG, name: 'v.png', type: 'image/png' });
        assert.equal(up.status, 200, up.text);
        assert.equal((await (await staffLogin('finance', 'Finance2026demo')).post('/admin/transfer/confirm',
            { id: to.id })).status, 200);
        await t.get(`/hunan/center/order?id=${to.id}`);
        assert.equal((await t.post('/hunan/center/refund', { id: to.id, reason: '重复申请' })).status, 200);
        const trid = psql(`SELECT id FROM refunds WHERE order_id = ${to.id} ORDER BY id DESC LIMIT 1`);

        await fin.goto(`${HALL}/admin/refunds`);
        const row = fin.locator(`#refund-queue tr[data-id="${rid}"]`);
        await row.waitFor();
        const trow = fin.locator(`#refund-queue tr[data-id="${trid}"]`);
        await trow.locator('input[name="note"]').waitFor();
        await a11y.check(fin, '退费处理, requests (online, transfer)');
        await trow.locator('form.refund-approve button[type="submit"]').click();
        await trow.locator('form.refund-approve .err[data-for="note"]', { hasText: '退款说明' }).waitFor();
        await a11y.check(fin, '退费处理, transfer approved without a note');
        await row.locator('form.refund-refuse button[type="submit"]').click();
        await row.locator('form.refund-refuse .err[data-for="reason"]', { hasText: '原因' }).waitFor();
        await a11y.check(fin, '退费处理, refusal without a reason');
        await Promise.all([fin.waitForEvent('load'),
            row.locator('form.refund-approve button[type="submit"]').click()]);
        await waitStatus(o.id, 'refunded', LONG);
        await fin.reload();
        await fin.locator(`#refund-finished tr[data-id="${rid}"]`).waitFor();
        await a11y.check(fin, '退费处理, decided');

        /* a dead SMS job: the gateway fails until its job is given up */
        const phone = freshPhone('134');
        await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'sms', mode: 'fail', count: 1000 } });
        let job;
        try {
            const reg = new Client();
            await reg.get('/register');
            assert.equal((await reg.post('/sms/send', { phone, purpose: 'register' })).status, 200);
            job = await waitFor('the failing SMS job', () => psql(`SELECT id FROM outbox WHERE kind = 'sms'
                AND attempts >= 1 AND last_error IS NOT NULL AND status = 'pending'
                AND created_at > now() - interval '1 minute' ORDER BY id DESC LIMIT 1`) || null, LONG);
            psql(`UPDATE outbox SET status = 'dead', attempts = 12 WHERE id = ${job}`);
        } finally {
            await sandbox('/sandbox/faults', { method: 'POST', body: { service: 'sms', mode: 'ok' } });
        }
        await fin.goto(`${HALL}/admin/outbox`);
        await fin.locator(`#outbox-dead tr[data-id="${job}"]`).waitFor();
        await a11y.check(fin, '失败的外部调用, a dead job');
        await Promise.all([fin.waitForEvent('load'),
            fin.click(`#outbox-dead tr[data-id="${job}"] button[type="submit"]`)]);
        await waitFor('the retried SMS', () => psql(`SELECT status FROM outbox WHERE id = ${job}`) === 'done', LONG);
        await fin.reload();
        assert.equal(await fin.locator(`#outbox-dead tr[data-id="${job}"]`).count(), 0);
        await a11y.check(fin, '失败的外部调用, sent again');
        a11y.assertAllChecked(fin);
        assert.deepEqual(problems, []);
    } finally {
        await ap.context().close();
        await fin.context().close();
    }
});

test('report console: tables and bar charts pass axe, in every group chosen', { skip: SKIP }, async () => {
    const problems = [];
    const rp = await staffPage('report', 'Report2026demo', problems);
    try {
        await rp.goto(`${HALL}/report/`);
        await rp.locator('#table-orders').waitFor();
        await a11y.check(rp, '统计报表');
        /* every other group of the first report, by its own form */
        const groups = await rp.locator('select[name="group_orders"] option').evaluateAll(
            (os) => os.map((x) => x.value));
        assert.ok(groups.length > 1, 'the orders report has groups');
        for (const g of groups.slice(1)) {
            await rp.selectOption('select[name="group_orders"]', g);
            await Promise.all([rp.waitForURL(new RegExp(`group_orders=${g}`)),
                rp.locator('#report-orders + form button[type="submit"]').click()]);
            await a11y.check(rp, `统计报表, orders by ${g}`);
        }
        /* a range with no data */
        await rp.fill('#report-range input[name="from"]', '2001-01-01');
        await rp.fill('#report-range input[name="to"]', '2001-01-31');
        await Promise.all([rp.waitForURL(/from=2001-01-01/), rp.click('#report-range button[type="submit"]')]);
        await a11y.check(rp, '统计报表, an empty range');
        /* a report that does not exist: the console's error page */
        await rp.goto(`${HALL}/report/nosuch`);
        await a11y.check(rp, '统计报表, unknown report');
        a11y.assertAllChecked(rp);
        assert.deepEqual(problems, []);
    } finally {
        await rp.context().close();
    }
});
