'use strict';
/*
 * A 到付 order's postage is paid to the carrier by the receiver, so nothing
 * of it is on the bill: the reviewer's order line (应付金额) and the printed
 * application form say 到付 where they said 邮费 0.00 / 邮寄费用 0.00元
 * (issue 40 §5, a Hunan 到付 order); a 寄付 order keeps its fee.  The
 * applicant's order page and the SMS are carriers.test.js's.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { freshPhone } = require('./lib/client');
const { orgForm } = require('./lib/payflow');
const { acceptedByTransfer, reviewer } = require('./lib/pki');

const SKIP = !process.env.HALL_URL;
const text = (html) => html.replace(/<[^>]*>/g, '').trim();

test('collect_order__reviewer_line_and_printed_form__say_daofu_not_zero_postage', { skip: SKIP }, async () => {
    const rv = await reviewer();
    const hunan = await acceptedByTransfer({
        project: 'hunan', form: orgForm({ agent_mobile: freshPhone('137'), shipping: 'collect' }),
    });
    const page = await rv.get(`/admin/order?id=${hunan.id}`);
    assert.equal(page.status, 200, page.text);
    const line = text(page.text.match(/<td id="order-amount">([\s\S]*?)<\/td>/)[1]);
    assert.match(line, /^\d+\.\d\d元（证书 \d+\.\d\d，邮费到付）$/, line);

    const print = await hunan.c.get(`/hunan/new/print?id=${hunan.id}`);
    assert.equal(print.status, 200, print.text);
    const fee = text(print.text.match(/<td colspan="3" id="print-shipping-fee">([\s\S]*?)<\/td>/)[1]);
    assert.equal(fee, '到付（邮费由收件人签收时支付）');
    assert.doesNotMatch(print.text, /(?<![\d.])0\.00元/, 'no 0.00元 anywhere on the form');

    /* 寄付 (the generic hall, seed 001): the fee is on the bill and says so */
    const hall = await acceptedByTransfer({
        project: 'hall', form: orgForm({ agent_mobile: freshPhone('137'), shipping: 'prepaid' }),
    });
    const p2 = await rv.get(`/admin/order?id=${hall.id}`);
    assert.match(text(p2.text.match(/<td id="order-amount">([\s\S]*?)<\/td>/)[1]), /，邮费 13\.00）$/);
    const pr2 = await hall.c.get(`/new/print?id=${hall.id}`);
    assert.equal(pr2.status, 200, pr2.text);
    assert.equal(text(pr2.text.match(/<td colspan="3" id="print-shipping-fee">([\s\S]*?)<\/td>/)[1]), '13.00元');
});
