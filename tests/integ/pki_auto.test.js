'use strict';
/*
 * No automatic production (issue 64 §4; sql/162): hall-outbox's pki tick
 * made an accepted order of an `auto_issue` product (the 补办, 更新, 变更
 * and 解锁 ones) with no operator -- a key made by the hall, kept as a
 * PKCS#12.  The mark is gone and the tick makes nothing: the replacement
 * of a certificate made in the browser is issued at once on its holder's
 * request (tests/integ/lib/holder.js, as the order page posts it), with no
 * operator and no key in the hall; any other waits in the 制作证书 queue
 * for the production station.  No p12_enc for any of them, and the custody
 * scan finds no key.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, psql, orgForm } = require('./lib/pki');
const { holderKey, replacingOrder } = require('./lib/holder');
const { scan } = require('./lib/custody');

/* the hall's 机构证书 with its key made in the browser: nothing mailed */
function browserForm() {
    const f = orgForm({ agent_mobile: freshPhone('137'), key_origin: 'browser' });
    for (const k of Object.keys(f))
        if (/^mail_/.test(k) || k === 'shipping')
            delete f[k];
    return f;
}

const certs = (id) => psql(`SELECT count(*) FROM certificates WHERE order_id = ${id}`);

test('pki_auto__no_certificate_made_without_operator_or_holder__holder_s_request_at_once__no_p12_enc', async () => {
    assert.equal(psql(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'products'
        AND column_name = 'auto_issue'`), '0', 'no product is marked for automatic production');

    /* two certificates of one holder: one made in the browser, one the
     * hall made before (its key handed over: no p12_enc left) */
    const o = await acceptedByTransfer({ project: 'hall', form: browserForm() });
    const browserMade = await holderKey(o.c, o.id);
    const o2 = await acceptedByTransfer({ project: 'hall', form: browserForm() });
    const hallMade = (await holderKey(o2.c, o2.id)).serial;
    psql(`UPDATE certificates SET key_origin = 'hall' WHERE serial = '${hallMade}'`);

    /* 补办 of each, 成功受理 as staff's approval leaves it */
    const ofBrowser = replacingOrder(o.id, browserMade.serial, 'reissue');
    const ofHall = replacingOrder(o2.id, hallMade, 'reissue');
    /* the tick (every 5 s) makes neither */
    await new Promise((ok) => setTimeout(ok, 6000));
    assert.equal(certs(ofBrowser), '0', 'the tick made nothing for the browser-made one');
    assert.equal(certs(ofHall), '0', 'the tick made nothing for the hall-made one');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE actor = 'pki:auto' AND at > now() - interval '1 minute'`),
        '0');

    /* the hall-made one's waits for the production station: in the
     * 制作证书 queue, still 成功受理 */
    const op = await operator();
    const queue = await op.get(`/admin/pki/production?order=${psql(`SELECT order_no FROM orders WHERE id = ${ofHall}`)}`);
    assert.equal(queue.status, 200);
    assert.match(queue.text, new RegExp(`<tr data-id="${ofHall}">`), 'in the 制作证书 queue');
    assert.doesNotMatch(queue.text, /自动制作/);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${ofHall}`), 'accepted');

    /* the browser-made one's: its holder's request, issued at once */
    const page = await o.c.get(`/center/order?id=${ofBrowser}`);
    assert.match(page.text, /id="keygen-go">生成密钥并下载证书</);
    const made = await holderKey(o.c, ofBrowser);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${ofBrowser}`), 'delivered');

    const all = [browserMade.serial, hallMade, made.serial];
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE serial IN ('${all.join("','")}')
        AND p12_enc IS NULL`), '3');
    const found = scan({ serials: all, scalars: [browserMade.scalar, made.scalar] });
    assert.deepEqual(found.breaches, [], `the custody scan (${found.scanned.files} sources)`);
});
