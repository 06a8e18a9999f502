'use strict';
/*
 * Automatic production (products.auto_issue, SPEC step 11): hall-outbox's
 * pki tick issues an accepted order of a product marked for it, with no
 * operator; an accepted order of an unmarked product waits for 制作证书.
 * The marked product is a copy of the 揭阳 organisation product made here
 * (inactive: no applicant sees it), so no other test's orders are touched.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { acceptedByTransfer, smsTo, psql } = require('./lib/pki');

let autoProduct;

function markedProduct(productId) {
    if (autoProduct === undefined) {
        /* (partner, business, cert type) is unique: the copy takes a free
         * pair; issuance reads the order's own type, the product's CA */
        const cols = psql(`SELECT string_agg('s.' || quote_ident(column_name), ', ' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_name = 'products'
            AND column_name NOT IN ('id', 'auto_issue', 'active', 'business_type', 'cert_type')`);
        autoProduct = psql(`INSERT INTO products (${cols.replace(/s\./g, '')}, business_type, cert_type,
                auto_issue, active)
            SELECT ${cols}, f.b, f.c, true, false FROM products s,
                LATERAL (SELECT b, c FROM unnest(ARRAY['new', 'reissue', 'seal', 'finauth']) b,
                         unnest(ARRAY['org', 'org_person', 'person', 'org_business']) c
                  WHERE (c <> 'org_business' OR b = 'seal')
                    AND NOT EXISTS (SELECT 1 FROM products p WHERE p.partner_code = s.partner_code
                        AND p.business_type = b AND p.cert_type = c) LIMIT 1) f
             WHERE s.id = ${productId} RETURNING id`);
        assert.match(autoProduct, /^\d+$/, 'a free product slot for the copy');
    }
    return autoProduct;
}

/* an accepted order (the transfer path), of the marked product when auto */
async function accepted(auto) {
    const o = await acceptedByTransfer();
    if (auto) {
        const pid = psql(`SELECT product_id FROM orders WHERE id = ${o.id}`);
        psql(`UPDATE orders SET product_id = ${markedProduct(pid)} WHERE id = ${o.id}`);
    }
    return o;
}

async function waitIssued(id) {
    for (let i = 0; i < 600; i++) {
        if (psql(`SELECT status FROM orders WHERE id = ${id}`) === 'issued')
            return;
        await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.fail(`order ${id} was not issued by the worker`);
}

after(() => {
    /* leave nothing of this product for the worker to make later */
    if (autoProduct !== undefined)
        psql(`UPDATE products SET auto_issue = false WHERE id = ${autoProduct}`);
});

test('auto_issue__accepted_order_of_marked_product_issued_by_worker__unmarked_waits', async () => {
    const manual = await accepted(false);
    const first = await accepted(true);
    await waitIssued(first.id);
    const cert = psql(`SELECT state || '|' || ca FROM certificates WHERE order_id = ${first.id}`);
    assert.match(cert, /^issued\|(ecc|sm2)$/);
    /* nobody pressed 制作证书: the timeline names the worker */
    assert.equal(psql(`SELECT actor FROM audit_log WHERE entity = 'order' AND entity_id = '${first.id}'
        AND to_state = 'issued'`), 'pki:auto');
    /* the agent gets the PIN by SMS as after an operator's 制作证书 */
    await smsTo(first.form.agent_mobile, /PIN|密码/);

    /* a second marked order made after the unmarked one: once the worker
     * has made it, its tick has seen the unmarked order and left it alone */
    const second = await accepted(true);
    await waitIssued(second.id);
    assert.equal(psql(`SELECT status FROM orders WHERE id = ${manual.id}`), 'accepted');
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${manual.id}`), '0');
});
