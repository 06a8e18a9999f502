'use strict';
/*
 * The carrier a parcel goes with is the one the partner's page promises
 * (seed 000 揭阳: 顺丰/EMS到付; seed 002 湖南: 顺丰到付; seed 001: 寄付 with
 * 京东快递), and the waybill, the SMS and the order page name the carrier
 * the courier booked.  顺丰速运 is booked through SF's open platform
 * (EXP_RECE_CREATE_ORDER, msgDigest-signed) and its route push marks the
 * parcel 已签收; 京东快递 and EMS go through the sandbox's own JSON.  A
 * 到付 parcel says 到付 in its SMS and on the order page (邮费到付, not
 * 邮费0.00元).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SANDBOX, applicant, freshPhone } = require('./lib/client');
const { psql, orgForm } = require('./lib/payflow');
const { operator, acceptedByTransfer, smsTo } = require('./lib/pki');

/* issued, then 邮寄 by the operator: what the courier booked */
async function ship(op, o) {
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const s = await op.post('/admin/pki/ship', { id: o.id });
    assert.equal(s.status, 200, s.text);
    const [status, waybill, carrier] =
        psql(`SELECT status || '|' || waybill_no || '|' || carrier FROM orders WHERE id = ${o.id}`).split('|');
    assert.equal(status, 'shipped');
    const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    const wb = (await (await fetch(`${SANDBOX}/sandbox/courier/waybills?order_no=${no}`)).json()).waybills;
    assert.equal(wb.length, 1);
    assert.equal(wb[0].waybill_no, waybill);
    assert.equal(wb[0].carrier, carrier, 'the order names the carrier the courier booked');
    const sms = await smsTo(o.form.agent_mobile, /快递单号/);
    const page = (await o.c.get(`/center/order?id=${o.id}`)).text;
    const shown = page.match(/<dd id="waybill-no">([^<]*)<\/dd>/);
    const dd = (id) => (page.match(new RegExp(`<dd id="${id}">([^<]*)</dd>`)) || [])[1];
    return { carrier, waybill, payment: wb[0].payment, sms, shown: shown && shown[1],
        amount: dd('amount'), way: dd('shipping-way') };
}

test('carriers__hunan_collect_goes_with_sf_prepaid_with_jd', async () => {
    const op = await operator();
    /* a Shenzhen address, where 京东快递 would reach: Hunan still promises 顺丰到付 */
    const hunan = await acceptedByTransfer({
        project: 'hunan', form: orgForm({ agent_mobile: freshPhone('137'), shipping: 'collect' }),
    });
    const h = await ship(op, hunan);
    assert.equal(h.carrier, '顺丰速运');
    assert.match(h.waybill, /^SF\d{13}$/);
    assert.equal(h.payment, '到付');
    /* 到付 said in the SMS and on the order page, never 邮费0.00元 */
    assert.ok(h.sms.includes(`通过顺丰速运到付寄出（邮费由收件人签收时支付），快递单号：${h.waybill}`), h.sms);
    assert.equal(h.shown, `顺丰速运 ${h.waybill}`);
    /* every part of the fee (湖南: 证书费 + 介质费 + 签章费), then 邮费到付 */
    assert.match(h.amount, /^\d+\.\d\d元（证书费\d+\.\d\d元，介质费\d+\.\d\d元，签章费\d+\.\d\d元，邮费到付）$/);
    assert.equal(h.way, '顺丰速运到付（邮费由收件人签收时支付）');

    /* the generic hall's 寄付 (seed 001: 寄付默认是京东快递) */
    const hall = await acceptedByTransfer({
        project: 'hall', form: orgForm({ agent_mobile: freshPhone('137'), shipping: 'prepaid' }),
    });
    assert.equal(psql(`SELECT shipping_fen FROM orders WHERE id = ${hall.id}`), '1300');
    const j = await ship(op, hall);
    assert.equal(j.carrier, '京东快递');
    assert.match(j.waybill, /^JDVA\d{11}$/);
    assert.equal(j.payment, '寄付');
    assert.ok(j.sms.includes(`通过京东快递寄出，快递单号：${j.waybill}`), j.sms);
    assert.doesNotMatch(j.sms, /到付/);
    assert.equal(j.shown, `京东快递 ${j.waybill}`);
    assert.match(j.amount, /，邮费13\.00元）$/);
    assert.equal(j.way, '京东快递寄付');
});

test('carriers__jieyang_collect_offers_sf_and_ems_hunan_only_sf', async () => {
    const c = await applicant();
    for (const project of ['jieyang', 'hunan'])
        assert.equal((await c.post('/new/agree', { project, agree1: 'on', agree2: 'on' })).status, 200);
    const jy = (await c.get('/new/apply?project=jieyang')).text;
    assert.match(jy, /数字证书通过快递方式邮寄，<span id="collect-carriers">顺丰\/EMS到付<\/span>/);
    assert.match(jy, /<input type="radio" name="carrier" value="SF" checked>顺丰速运/);
    assert.match(jy, /<input type="radio" name="carrier" value="EMS">EMS/);
    const hn = (await c.get('/new/apply?project=hunan')).text;
    assert.match(hn, /<span id="collect-carriers">顺丰到付<\/span>/);
    assert.doesNotMatch(hn, /name="carrier"/);

    /* Hunan's page promises no EMS: refused, naming the field, nothing saved */
    const before = psql('SELECT count(*) FROM orders');
    const r = await c.post('/new/apply', { project: 'hunan', ...orgForm({ carrier: 'EMS' }) });
    assert.equal(r.status, 400, r.text);
    const err = r.body.errors ? r.body.errors.find((x) => x.field === 'carrier') : r.body;
    assert.equal(err.field, 'carrier', r.text);
    assert.match(err.message, /到付快递.*顺丰到付/);
    assert.equal(psql('SELECT count(*) FROM orders'), before);

    /* a Jieyang applicant who chose EMS gets EMS, on the print page, the
     * waybill, the SMS and the order page */
    const op = await operator();
    const o = await acceptedByTransfer({
        project: 'jieyang', form: orgForm({ agent_mobile: freshPhone('137'), carrier: 'EMS' }),
    });
    assert.match((await o.c.get(`/new/print?id=${o.id}`)).text, /EMS到付/);
    const e = await ship(op, o);
    assert.equal(e.carrier, 'EMS');
    assert.equal(e.payment, '到付');
    assert.ok(e.sms.includes(`通过EMS到付寄出（邮费由收件人签收时支付），快递单号：${e.waybill}`), e.sms);
    assert.equal(e.way, 'EMS到付（邮费由收件人签收时支付）');
    assert.equal(e.shown, `EMS ${e.waybill}`);
});

test('carriers__jieyang_collect_booked_with_sf_open_platform_route_push_marks_it_delivered', async () => {
    const op = await operator();
    const o = await acceptedByTransfer({
        project: 'jieyang', form: orgForm({ agent_mobile: freshPhone('137'), carrier: 'SF' }),
    });
    const s = await ship(op, o);
    assert.equal(s.carrier, '顺丰速运');
    assert.match(s.waybill, /^SF\d{13}$/);
    /* booked through SF's EXP_RECE_CREATE_ORDER with the hall's account: 到付
     * is payMethod 2 (收方付), no monthly card charged */
    const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    const [wb] = (await (await fetch(`${SANDBOX}/sandbox/courier/waybills?order_no=${no}`)).json()).waybills;
    assert.equal(wb.account, 'HALLSFSANDBOX');
    assert.equal(wb.payment, '到付');
    assert.equal(wb.monthly_card, null);
    assert.equal(wb.status, 'BOOKED');
    /* the SMS left as its template with parameters (到付's) */
    const [m] = (await (await fetch(`${SANDBOX}/sandbox/sms?phone=${o.form.agent_mobile}`)).json()).messages
        .filter((x) => x.template_code === 'SMS_480300023');
    assert.deepEqual(m.template_param, { carrier: '顺丰速运', waybill_no: s.waybill });

    /* SF's route push with a wrong msgDigest: refused, nothing moves */
    const forged = await (await fetch(`${SANDBOX}/sandbox/courier/${s.waybill}/deliver?bad_digest=1`, { method: 'POST' })).json();
    assert.equal(forged.http_status, 401);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'shipped');

    /* the parcel is signed for: SF pushes route 80, the order is 已签收 */
    const d = await (await fetch(`${SANDBOX}/sandbox/courier/${s.waybill}/deliver`, { method: 'POST' })).json();
    assert.equal(d.acked, true, JSON.stringify(d));
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'delivered');
    assert.match((await o.c.get(`/center/order?id=${o.id}`)).text, /已签收/);
});

test('carriers__parallel_ship_clicks__one_sf_parcel_booked_and_kept', async () => {
    const op = await operator();
    const o = await acceptedByTransfer({
        project: 'jieyang', form: orgForm({ agent_mobile: freshPhone('137'), carrier: 'SF' }),
    });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const r = await Promise.all([1, 2, 3].map(() => op.post('/admin/pki/ship', { id: o.id })));
    assert.deepEqual(r.map((x) => x.status).sort(), [200, 409, 409], r.map((x) => x.text).join('\n'));
    const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    const wb = (await (await fetch(`${SANDBOX}/sandbox/courier/waybills?order_no=${no}`)).json()).waybills;
    /* SF refuses the repeated orderId; the hall finds the one booked before */
    assert.equal(wb.length, 1);
    assert.equal(wb[0].waybill_no, psql(`SELECT waybill_no FROM orders WHERE id = ${o.id}`));
    assert.equal(wb[0].status, 'BOOKED', 'the losers did not cancel the parcel the winner shipped');
});

test('carriers__order_moved_while_sf_booked__parcel_cancelled_at_sf', async () => {
    const op = await operator();
    const o = await acceptedByTransfer({
        project: 'jieyang', form: orgForm({ agent_mobile: freshPhone('137'), carrier: 'SF' }),
    });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    /* SF books at once and answers late; meanwhile the order leaves 已制作 */
    await fetch(`${SANDBOX}/sandbox/faults`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ service: 'courier', mode: 'delay', delay_ms: 1500, count: 1 }),
    });
    const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    const waybills = async () => (await (await fetch(`${SANDBOX}/sandbox/courier/waybills?order_no=${no}`)).json()).waybills;
    const shipping = op.post('/admin/pki/ship', { id: o.id });
    for (let i = 0; i < 100 && (await waybills()).length === 0; i++)
        await new Promise((ok) => setTimeout(ok, 20));
    psql(`UPDATE orders SET status = 'refund_requested' WHERE id = ${o.id}`);
    const r = await shipping;
    assert.equal(r.status, 409, r.text);
    const [wb] = await waybills();
    assert.equal(wb.status, 'CANCELLED', 'EXP_RECE_UPDATE_ORDER dealType 2');
    assert.equal(psql(`SELECT coalesce(waybill_no, '') FROM orders WHERE id = ${o.id}`), '');
});

test('carriers__sf_hanging__邮寄_holds_at_most_the_provider_cap_of_workers', async () => {
    const op = await operator();
    const orders = [];
    for (let i = 0; i < 3; i++) {
        const o = await acceptedByTransfer({
            project: 'jieyang', form: orgForm({ agent_mobile: freshPhone('137'), carrier: 'SF' }),
        });
        assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
        orders.push(o);
    }
    const fault = (mode) => fetch(`${SANDBOX}/sandbox/faults`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ service: 'courier', mode }),
    });
    await fault('timeout');
    try {
        /* 4 workers, 2 of them at most waiting on providers: the third 邮寄 is told at once */
        const t0 = Date.now();
        const r = await Promise.all(orders.map((o, i) => new Promise((ok) => setTimeout(ok, i * 100))
            .then(() => op.post('/admin/pki/ship', { id: o.id })).then((x) => ({ ...x, ms: Date.now() - t0 }))));
        const busy = r.filter((x) => x.status === 503 && /快递服务繁忙/.test(x.text));
        assert.equal(busy.length, 1, r.map((x) => `${x.status} ${x.text}`).join('\n'));
        assert.ok(busy[0].ms < 5000, `told at once: ${busy[0].ms} ms`);
        assert.equal(r.filter((x) => x.status === 503 && /快递下单失败/.test(x.text)).length, 2);
    } finally {
        await fault('ok');
    }
    for (const o of orders)
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'issued', 'nothing shipped');
});
