'use strict';
/*
 * Issue 63 §1, "A paid seal that its buyer cannot reach": a 证书新办 of
 * 建筑工务署 (是否办理电子签章 = 是, 100 元/年) or 湖南 (签章费 50) carries a
 * 机构章, but those partners sell no 电子签章申请, and every /<partner>/seal/
 * page answered 404 该项目暂不办理电子签章申请业务 — the order page's only
 * link to the seal among them.  For each partner whose orders can carry a
 * seal (read from the products), through nginx under the partner's own
 * path: the order page's link, 我的电子印章 and every link on it (在线盖章,
 * the .seseal, the medium, 电子印章验证, 使用指引), 在线盖章's own links,
 * 我的证书's link to the seal, and 签名验证 of a PDF stamped with that seal
 * (a PDF of more than the server's 3 MiB body limit reaching the module,
 * as at /sign/verify) — each link staying under the partner's path; before
 * that, the upload page's 模板下载 of the 电子签章采集表 the order asks for.
 * The 电子签章申请's own pages still answer 404 there.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('./lib/client');
const { psql } = require('./lib/payflow');
const { sealCarryingPartners, bundledSealDraft, bundledSealOrder } = require('./lib/seal');
const { makePdf, stampWith, tmpdir } = require('./lib/stamp');

const partners = sealCarryingPartners();

test('seal_partner_paths__the_partners_whose_orders_carry_a_seal__szjsgws_and_hunan_among_them', () => {
    const codes = partners.map((p) => p.code);
    assert.ok(codes.includes('szjsgws') && codes.includes('hunan'), codes.join(','));
});

/* every href of a page, &amp; undone */
const hrefs = (html) => [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));

/* the links of a page's own card (the layout's header and footer aside)
 * that lead into the hall: each under the partner's path, except the CA's
 * public files (/pki/) and the static assets */
function ownLinksUnder(html, base, what) {
    const card = html.slice(html.indexOf('<main'), html.lastIndexOf('</main>'));
    const inner = hrefs(card).filter((h) => h.startsWith('/') && !h.startsWith('/static/')
        && !h.startsWith('/pki/'));
    assert.ok(inner.length > 0, `${what}: links`);
    for (const h of inner)
        assert.ok(h.startsWith(`${base}/`), `${what}: ${h} leaves ${base}/`);
    return inner;
}

async function bytes(c, u) {
    const r = await fetch(HALL + u, { headers: { Cookie: c.cookieHeader() } });
    return { status: r.status, type: r.headers.get('content-type') || '', body: Buffer.from(await r.arrayBuffer()) };
}

for (const { code } of partners) {
    test(`seal_partner_paths__${code}__order_page_to_seal_downloads_stamp_and_verify_under_/${code}/`, async () => {
        const base = `/${code}`;
        /* a PKCS#12 of before issue 64: its handover (a new order's keys are on a USB key) */
        const o = await bundledSealOrder(code, { file: true });
        const { c, id, item, esId } = o;

        /* the order page's link, under the partner's path */
        const order = await c.get(`${base}/center/order?id=${id}`);
        assert.equal(order.status, 200);
        const link = order.text.match(/<a id="seals" href="([^"]+)">查看电子印章，下载印章文件，在线盖章<\/a>/);
        assert.ok(link, 'the order page links its seal');
        assert.equal(link[1].replace(/&amp;/g, '&'), `${base}/seal/seals?id=${id}`);

        /* 我的电子印章 there, with its links */
        const list = await c.get(link[1].replace(/&amp;/g, '&'));
        assert.equal(list.status, 200, list.text.slice(0, 300));
        assert.ok(list.text.includes(esId), '我的电子印章 lists the seal');
        assert.doesNotMatch(list.text, /暂不办理/);
        const own = ownLinksUnder(list.text, base, '我的电子印章');
        for (const want of [`${base}/seal/stamp?id=${item}`, `${base}/seal/seseal?id=${item}`,
            `${base}/seal/medium?id=${item}`, `${base}/seal/verify`, `${base}/seal/usage`])
            assert.ok(own.includes(want), `我的电子印章 links ${want}`);

        /* the downloads: the seal as stored, the medium once */
        const seal = await bytes(c, `${base}/seal/seseal?id=${item}`);
        assert.equal(seal.status, 200);
        assert.ok(seal.body.equals(Buffer.from(psql(`SELECT encode(der, 'hex') FROM seseals
            WHERE es_id = '${esId}'`), 'hex')), 'the .seseal as the hall made it');
        const medium = await bytes(c, `${base}/seal/medium?id=${item}`);
        assert.equal(medium.status, 200);
        assert.equal(medium.body[0], 0x30, 'a PKCS#12 (DER)');

        /* the medium delivered: 我的电子印章 says where to go instead, only
         * to the flows the partner sells (建筑工务署 sells no 证书解锁) */
        const after = await c.get(`${base}/seal/seals?id=${id}`);
        assert.match(after.text, /印章证书介质已交付/);
        const next = ownLinksUnder(after.text, base, '我的电子印章, the medium delivered')
            .filter((h) => /\/(reissue|unlock)\/serial\?/.test(h));
        for (const flow of ['reissue', 'unlock']) {
            const sold = psql(`SELECT count(*) FROM products WHERE partner_code = '${code}'
                AND business_type = '${flow}' AND active`) !== '0';
            assert.equal(next.some((h) => h.startsWith(`${base}/${flow}/serial?`)), sold, `${flow}: offered iff sold`);
        }
        for (const u of next) {
            const r = await c.get(u);
            assert.equal(r.status, 200, `${u}: ${r.text.slice(0, 200)}`);
        }

        /* 在线盖章 with the seal chosen, its links under the partner's path */
        const stamp = await c.get(`${base}/seal/stamp?id=${item}`);
        assert.equal(stamp.status, 200);
        assert.match(stamp.text, new RegExp(`data-seal-item="${item}"[^>]* data-base="${base}"`));
        const stampLinks = ownLinksUnder(stamp.text, base, '在线盖章');
        assert.ok(stampLinks.includes(`${base}/sign/verify`), '在线盖章 links 签名验证 under the partner');
        /* every page those two pages lead to answers there */
        for (const u of new Set([...own, ...stampLinks].filter((h) => !/\/seal\/(seseal|medium)\?/.test(h)))) {
            const r = await c.get(u);
            assert.equal(r.status, 200, `${u}: ${r.text.slice(0, 200)}`);
        }

        /* 我的证书 links the seal too */
        const certs = await c.get(`${base}/center/certs`);
        assert.equal(certs.status, 200);
        assert.match(certs.text, new RegExp(`<li><a class="seal-link" href="${base}/seal/seals\\?id=${id}">`
            + `(机构章|个人印章) [^<]*</a>（有效）</li>`), '我的证书 links its seal');

        /* 签名验证 under the partner's path: a PDF stamped with the seal */
        const dir = tmpdir();
        const who = { seal: path.join(dir, 'seal.seseal'), p12: path.join(dir, 'medium.p12') };
        fs.writeFileSync(who.seal, seal.body);
        fs.writeFileSync(who.p12, medium.body);
        const stamped = stampWith(makePdf({ text: `${code} contract` }), who, o.pin, { x: 120, y: 200 });
        const fd = new FormData();
        fd.append('file', new Blob([stamped], { type: 'application/pdf' }), 'contract.pdf');
        let r = await fetch(`${HALL}${base}/sign/verify`, { method: 'POST', body: fd,
            headers: { Accept: 'application/json' } });
        const v = await r.json();
        assert.equal(r.status, 200, JSON.stringify(v));
        assert.equal(v.result.stamps[0].state, '有效', JSON.stringify(v.result.stamps[0]));
        assert.equal(v.result.stamps[0].seal.es_id, esId);
        /* the page's limit (20 MiB), not the server's 3 MiB: the module answers */
        const big = new FormData();
        big.append('file', new Blob([Buffer.alloc(4 * 1024 * 1024, 0x20)], { type: 'application/pdf' }), 'big.pdf');
        r = await fetch(`${HALL}${base}/sign/verify`, { method: 'POST', body: big,
            headers: { Accept: 'application/json' } });
        assert.notEqual(r.status, 413, 'a 4 MiB PDF reaches 签名验证 under the partner\'s path');
        assert.equal((await r.json()).field, 'file');
    });

    test(`seal_partner_paths__${code}__upload_page_collect_form_template__a_pdf_under_/${code}/`, async () => {
        const base = `/${code}`;
        const { c, id } = await bundledSealDraft(code);
        assert.equal((await c.post(`${base}/new/printed`, { id })).status, 200);
        const up = await c.get(`${base}/new/upload?id=${id}`);
        assert.equal(up.status, 200);
        const link = up.text.match(/href="([^"]*\/seal\/collect-form[^"]*)"/);
        assert.ok(link, 'the upload page links the 采集表\'s template');
        const u = link[1].replace(/&amp;/g, '&');
        assert.equal(u, `${base}/seal/collect-form?id=${id}`);
        const r = await bytes(c, u);
        assert.equal(r.status, 200, r.body.toString().slice(0, 300));
        assert.match(r.type, /^application\/pdf/);
        assert.equal(r.body.subarray(0, 5).toString('latin1'), '%PDF-');
    });

    test(`seal_partner_paths__${code}__the_seal_application_pages_still_refused_unless_sold`, async () => {
        const sells = psql(`SELECT count(*) FROM products WHERE partner_code = '${code}'
            AND business_type = 'seal' AND active`) !== '0';
        for (const p of ['/seal/product', '/seal/apply', '/seal/guide', '/seal?project=' + code]) {
            const r = await fetch(`${HALL}/${code}${p}`, { redirect: 'manual' });
            if (sells) {
                assert.notEqual(r.status, 404, p);
            } else {
                assert.equal(r.status, 404, p);
                assert.match(await r.text(), /该项目暂不办理电子签章申请业务/, p);
            }
        }
    });
}
