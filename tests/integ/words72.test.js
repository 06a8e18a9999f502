'use strict';
/*
 * Words that promised what does not happen (issue 72 §4), read in the pages
 * through nginx:
 *   - a browser-made certificate's 补办, 变更 and 解锁 forms no longer say
 *     证书PIN码将以转账交易附言方式发送至对公账户 (the holder sets the PIN);
 *     a USB key's 变更 by the 证书助手 says the key's PIN stays;
 *   - the order page's key step no longer says 代替打款附言或短信通知的PIN码.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP } = require('./lib/hall');
const { freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, psql, orgForm } = require('./lib/pki');
const { freshAccount } = require('./lib/payflow');
const { holderKey } = require('./lib/holder');

const hint = (html) => (html.match(/id="bank-memo-hint">([^<]*)</) || [])[1];

test('browser_key_replacing_forms__no_pin_by_memo_or_sms__the_holder_sets_it', { skip: SKIP }, async () => {
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: freshAccount(), ca: 'sm2' }) });
    /* the key step before: the PIN is the holder's, nothing replaces a memo */
    const step = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(step.text, /id="keygen-note">[^<]*证书PIN码由您在此自己设定，网上营业厅不知道、也不通过转账交易附言或短信发送PIN码/);
    assert.doesNotMatch(step.text, /代替打款附言/);
    const serial = (await holderKey(o.c, o.id)).serial;
    for (const flow of ['reissue', 'change', 'unlock']) {
        assert.equal((await o.c.post(`/${flow}/agree`, { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200, flow);
        const page = await o.c.get(`/${flow}/apply?project=hall&serial=${serial}`);
        assert.equal(page.status, 200, `${flow}: ${page.text}`);
        assert.equal(hint(page.text), '证书的密钥在您的浏览器中生成，证书PIN码由您生成密钥时自行设定，不以转账交易附言或短信发送。',
            flow);
        assert.doesNotMatch(page.text, /PIN码将以转账交易附言方式|PIN码将通过短信方式/, flow);
    }
});

test('usb_key_change_form__the_keys_pin_stays__no_pin_sent', { skip: SKIP }, async () => {
    const op = await operator();
    const o = await acceptedByTransfer({ project: 'hall' });
    assert.equal((await op.post('/admin/pki/issue', { id: o.id })).status, 200);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    assert.equal((await o.c.post('/change/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await o.c.get(`/change/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    assert.equal(hint(page.text), '由证书助手在原USB Key上办理：USB Key的PIN码不变，不以转账交易附言或短信发送PIN码。');
});
