'use strict';
/*
 * Fixtures of the 签署 tests (integ/contract, e2e/contract): a company of
 * its own 统一社会信用代码 with a seal whose key was made as its agent's
 * browser makes it.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant, freshPhone } = require('./client');
const { tmpdir, psql } = require('./pki');
const { orgForm } = require('./payflow');
const { toApply } = require('./seal');
const { holderKey } = require('./holder');

const ORG = '深圳测试科技有限公司';
const PIN = 'Sm2Seal2026';

/* a valid 统一社会信用代码 (GB 32100: weights 3^i mod 31), new each call */
function uscc() {
    const alpha = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    const body = '91440300' + String(crypto.randomInt(1e8, 1e9));
    const sum = [...body].reduce((s, ch, i) => s + alpha.indexOf(ch) * w[i], 0);
    return body + alpha[(31 - (sum % 31)) % 31];
}

/*
 * A company of its own 统一社会信用代码 with a 机构章 whose key was made in
 * its agent's browser (SM2; the PKCS#12 saved there under PIN), as
 * lib/stamp.js producedSeal makes one: { c (the agent, logged in with the
 * mobile the initiator names), uscc, seal, p12 }.
 */
async function company() {
    const c = await applicant();
    const key = await toApply(c);
    const code = uscc();
    const form = {
        ...orgForm({ agent_mobile: freshPhone('139'), org_id: code, invoice_taxid: code }),
        project: 'hall', submit_key: key,
        app_name: '赵敏', app_ric: '11010519491231002X', app_mobile: '13700137000', app_email: 'zhaomin@example.com',
        org_count: '1', org_years: '1', org_style: 'auto', biz_count: '0', person_count: '0', ca: 'sm2',
    };
    delete form.years;
    const r = await c.post('/seal/apply', form);
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${id}`);
    const item = psql(`SELECT id FROM seal_items WHERE order_id = ${id} AND kind = 'org'`);
    const dir = tmpdir();
    const h = await holderKey(c, id, { pin: PIN, dir });
    const res = await fetch(`${HALL}/seal/seseal?id=${item}`, { headers: { Cookie: c.cookieHeader() } });
    assert.equal(res.status, 200);
    const seal = path.join(dir, 'seal.seseal');
    fs.writeFileSync(seal, Buffer.from(await res.arrayBuffer()));
    return { c, uscc: code, seal, p12: h.p12, serial: h.serial };
}

module.exports = { ORG, PIN, uscc, company };
