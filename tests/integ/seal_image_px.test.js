'use strict';
/*
 * 证书附页 shows each seal's picture in a 120×120 box: it asks for the
 * picture at that size (and twice it for denser screens, srcset), not the
 * 400×400 drawing (Lighthouse: properly size images).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { HALL, applicant } = require('./lib/client');
const { psql } = require('./lib/pki');
const { unpaidOrder } = require('./lib/payflow');

const SKIP = !process.env.HALL_URL;

/* width and height from a PNG's IHDR */
const sizeOf = (b) => {
    assert.equal(b.subarray(1, 4).toString(), 'PNG');
    return [b.readUInt32BE(16), b.readUInt32BE(20)];
};

async function get(c, p, accept = 'image/png,application/json') {
    const r = await fetch(`${HALL}${p}`, { headers: { Cookie: c.cookieHeader(), Accept: accept } });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

test('seal pictures come at the size of their box', { skip: SKIP }, async () => {
    const c = await applicant();
    const o = await unpaidOrder(c);
    psql(`UPDATE orders SET business_type = 'seal', status = 'draft' WHERE id = ${o.id}`);
    const pic = await get(c, `/seal/preview?${new URLSearchParams({ kind: 'org', org: o.form.org_name })}`);
    assert.equal(pic.status, 200);
    assert.deepEqual(sizeOf(pic.body), [400, 400]);
    const id = psql(`INSERT INTO seal_items (order_id, kind, position, product_id, years, style, price_fen, image_png)
        SELECT ${o.id}, 'org', 0, id, 1, 'auto', 40000, decode('${pic.body.toString('hex')}', 'hex')
        FROM products WHERE partner_code = 'hall' AND business_type = 'seal' AND cert_type = 'org'
        AND ca = 'ecc' RETURNING id`).split('\n')[0];

    const page = (await c.get(`/seal/attachment?id=${o.id}`)).text;
    const img = page.match(/<img class="seal-img" src="([^"]+)" srcset="([^"]+)"[^>]*width="120" height="120">/);
    assert.ok(img, 'the picture with its sizes');
    const src = img[1].replace(/&amp;/g, '&');
    assert.equal(src, `/seal/image?id=${id}&px=120`);
    const set = img[2].replace(/&amp;/g, '&').split(', ').map((x) => x.split(' '));
    assert.deepEqual(set.map((x) => x[1]), ['1x', '2x', '3x']);

    const small = await get(c, src);
    assert.equal(small.status, 200);
    assert.deepEqual(sizeOf(small.body), [120, 120]);
    assert.ok(small.body.length < pic.body.length / 3, `${small.body.length} of ${pic.body.length} bytes`);
    assert.deepEqual(sizeOf((await get(c, set[1][0])).body), [240, 240]);
    assert.deepEqual(sizeOf((await get(c, set[2][0])).body), [400, 400]);
    /* out of range: refused, naming the parameter */
    const bad = await get(c, `/seal/image?id=${id}&px=4000`, 'application/json');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).field, 'px');
    /* someone else's: still not found */
    const other = await applicant();
    assert.equal((await get(other, src)).status, 404);
});
