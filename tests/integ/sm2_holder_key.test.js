'use strict';
/*
 * The hall makes no SM2 subscriber key (issue 64 §2, §4; sql/161,
 * functions/order_key_origin.sql, core/biz/produce.c): no medium signs with
 * SM2 and the hall makes no file, so every SM2 certificate product is sold
 * made in the holder's browser (no 介质费, no PIN in the memo), an order of
 * the hall's SM2 product accepted before it was withdrawn is the holder's
 * to make too, and so are the 补办, 更新, 变更 and 解锁 of an SM2
 * certificate the hall made before (its key custody aside).  Neither the
 * operator's 制作证书, `hall-pkitool issue` nor hall-outbox's tick makes
 * one; the holder's request (tests/integ/lib/holder.js, as the order page
 * posts it) is issued with no p12_enc, and the custody scan finds no key.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, pkitool, psql, orgForm } = require('./lib/pki');
const { holderKey, replacingOrder } = require('./lib/holder');
const { scan } = require('./lib/custody');

const row = (sql) => psql(sql).split('|');

/* neither staff nor the CLI nor the tick makes order id: the holder's */
async function nobodyButTheHolder(op, id) {
    const r = await op.post('/admin/pki/issue', { id });
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.message, /SM2证书的密钥由申请人在浏览器中生成/);
    const cli = pkitool(['issue', String(id)]);
    assert.notEqual(cli.status, 0, cli.stdout);
    assert.equal(psql(`SELECT order_key_origin(${id})`), 'browser');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id}`), '0', 'nothing made');
}

test('sm2_holder_key__sm2_products_browser_made__no_hall_key_for_any_sm2_flow__custody_scan_clean', async () => {
    /* the catalogue: every SM2 certificate product on sale is browser-made,
     * without 介质费, no PIN by memo; the seals' certificates aside */
    assert.equal(psql(`SELECT count(*) FROM products WHERE ca = 'sm2' AND active AND key_origin <> 'browser'
        AND business_type <> 'seal' AND cert_type <> 'org_business'`), '0');
    assert.deepEqual(row(`SELECT name, price_per_year_fen, breakdown::text, pin_by_memo FROM products
        WHERE ca = 'sm2' AND active AND business_type = 'new' AND partner_code = 'hall'`),
    ['机构证书（国密SM2，浏览器生成密钥）', '38000', '{"证书费": 38000}', 'f']);
    const op = await operator();
    /* an order of the hall's SM2 USB-key product accepted before sql/161 */
    const o = await acceptedByTransfer({ project: 'hall',
        form: orgForm({ agent_mobile: freshPhone('137'), bank_account: '4000021009100123456', ca: 'sm2' }) });
    psql(`UPDATE orders SET product_id = (SELECT id FROM products WHERE partner_code = 'hall' AND ca = 'sm2'
        AND business_type = 'new' AND cert_type = 'org' AND key_origin = 'hall') WHERE id = ${o.id}`);
    await nobodyButTheHolder(op, o.id);
    /* hall-outbox's tick (every 5 s) leaves it too */
    await new Promise((ok) => setTimeout(ok, 6000));
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id}`), '0', 'the tick made nothing');
    const page = await o.c.get(`/center/order?id=${o.id}`);
    assert.match(page.text, /id="keygen-go">生成密钥并下载证书</);
    const first = await holderKey(o.c, o.id);
    assert.equal(first.algorithm, 'sm2');

    /* an SM2 certificate the hall made before (its key held until handed
     * over): its replacements are the holder's all the same */
    psql(`UPDATE certificates SET key_origin = 'hall' WHERE serial = '${first.serial}'`);
    const made = [first];
    let serial = first.serial;
    for (const business of ['renew', 'change', 'unlock', 'reissue']) {
        const id = replacingOrder(o.id, serial, business);
        await nobodyButTheHolder(op, id);
        const c = await holderKey(o.c, id);
        assert.equal(c.algorithm, 'sm2', business);
        made.push(c);
        serial = c.serial;
    }
    for (const c of made)
        assert.deepEqual(row(`SELECT ca, (p12_enc IS NULL)::text, (pop_checked_at IS NOT NULL)::text
            FROM certificates WHERE serial = '${c.serial}'`), ['sm2', 'true', 'true'], c.serial);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id} AND p12_enc IS NOT NULL`), '0');

    const found = scan({ serials: made.map((c) => c.serial), scalars: made.map((c) => c.scalar) });
    assert.deepEqual(found.breaches, [], `the custody scan (${found.scanned.files} sources)`);
});
