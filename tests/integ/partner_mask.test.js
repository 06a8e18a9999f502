'use strict';
/*
 * A reviewer's reason quoting an ID number, a bank card or a phone leaves
 * for a partner masked however the numbers are written (issue 72 §1;
 * core/biz/partner_mask.c): digits joined by runs of spaces, . / _ , and
 * NBSP, zero-width spaces, full-width digits and separators, Arabic-Indic
 * and Chinese numerals.  A generated table of disguises goes through the
 * three outlets: the webhook order.rejected, the API's reject_reason and
 * the audit row of the rejection.  (tests/unit/test_partner.c holds the
 * masker itself to the whole table.)
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { SANDBOX, HALL } = require('./lib/client');
const { psql, orgForm, inReview, staffLogin } = require('./lib/payflow');
const { tmpdir, fetchPki } = require('./lib/pki');
const { SKIP, waitFor } = require('./lib/hall');
const { setPartnerSecret, addPartnerKey } = require('./lib/secrets');

const SECRET = 'test-only-jieyang-hook-secret-0123456789';

async function sb(p, body) {
    const r = await fetch(SANDBOX + p, body === undefined ? {} : {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return r.json();
}

/* the digits of a number in another script */
const FORMS = {
    ascii: (d) => d,
    fullwidth: (d) => String.fromCodePoint(0xFF10 + Number(d)),
    arabic: (d) => String.fromCodePoint(0x0660 + Number(d)),
    chinese: (d) => '〇一二三四五六七八九'[Number(d)],
    mixed: (d, i) => [FORMS.ascii, FORMS.fullwidth, FORMS.arabic, FORMS.chinese][i % 4](d),
};
/* what stands between the groups of 4 (or between every digit: ZW) */
const SEPS = {
    two_spaces: '  ', dot: '.', slash: '/', underscore: '_', comma: ',', nbsp: '\u00a0',
    fullwidth_dot: '．', fullwidth_slash: '／', ideographic_space: '\u3000', fullwidth_comma: '，',
};
const NUMBERS = { ric: '440305199001011234', card: '6222020200112233', mobile: '13900001111' };

/* number written in form, its groups of 4 joined by sep; zw: a zero-width
 * space after every digit too */
function disguise(number, form, sep, zw) {
    const ds = [...number].map((d, i) => FORMS[form](d, i) + (zw && i < number.length - 1 ? '\u200b' : ''));
    const groups = [];
    for (let i = 0; i < ds.length; i += 4)
        groups.push(ds.slice(i, i + 4).join(''));
    return groups.join(sep);
}

/* the table: every number in every form, each separator, with and without ZW */
function table() {
    const rows = [];
    let k = 0;
    for (const [what, n] of Object.entries(NUMBERS))
        for (const form of Object.keys(FORMS))
            for (const sep of Object.values(SEPS)) {
                /* a third of the combinations each, so that every form meets
                 * every separator across the three numbers */
                if (k++ % 3 === 0)
                    rows.push({ what, n, text: disguise(n, form, sep, k % 2 === 0) });
            }
    return rows;
}

/* the rows packed into reasons of at most 200 characters (the form's limit) */
function reasons(rows) {
    const out = [];
    let cur = '', part = [];
    for (const r of rows) {
        const piece = `号${r.text}；`;
        if ([...cur + piece].length > 190) {
            out.push({ text: `${cur}请核对`, rows: part });
            cur = '';
            part = [];
        }
        cur += piece;
        part.push(r);
    }
    if (cur)
        out.push({ text: `${cur}请核对`, rows: part });
    return out;
}

/* no digit of any of the forms, and as many stars as the numbers had digits */
function assertMasked(text, rows, where) {
    assert.ok(!/[0-9０-９٠-٩〇一二三四五六七八九]/.test(text), `${where}: a digit left in ${text}`);
    const stars = (text.match(/\*/g) || []).length;
    assert.equal(stars, rows.reduce((t, r) => t + r.n.length, 0), `${where}: ${text}`);
    for (const r of rows)
        assert.ok(!text.includes(r.text), `${where}: ${r.text} verbatim`);
}

before(async () => {
    if (SKIP)
        return;
    setPartnerSecret('jieyang', 'hook', SECRET);
    psql(`UPDATE partners SET hook_url = '${SANDBOX}/partner/hook/jieyang',
        hook_events = '{order.submitted,order.rejected,order.approved,order.paid,cert.issued,order.shipped,cert.revoked,seal.made}'
        WHERE code = 'jieyang'`);
    const dir = tmpdir();
    await fetchPki(dir);
    await sb('/sandbox/partner/config', { partner: 'jieyang', secret: SECRET, ca_file: `${dir}/root.crt`, clear: true });
    await sb('/sandbox/faults', { service: 'partner', mode: 'ok' });
});

test('partner_mask__disguised_numbers_in_a_reason__masked_in_webhook_api_and_audit', { skip: SKIP }, async () => {
    const rows = table();
    assert.ok(rows.length >= 50, `${rows.length} disguises`);
    const key = { id: `pmask-${crypto.randomBytes(4).toString('hex')}`, secret: crypto.randomBytes(24).toString('hex') };
    addPartnerKey('jieyang', key.id, key.secret, '1 hour');
    const rv = await staffLogin('reviewer', 'Reviewer2026demo');
    for (const reason of reasons(rows)) {
        const o = await inReview(orgForm());
        const r = await rv.post('/admin/order/reject', { id: o.id, reason: reason.text });
        assert.equal(r.status, 200, `${reason.text}: ${r.text}`);
        /* the audit row of the rejection */
        const audit = psql(`SELECT detail->>'reason' FROM audit_log WHERE entity = 'order' AND entity_id = '${o.id}'
            AND detail ? 'reason' ORDER BY id DESC LIMIT 1`);
        assertMasked(audit, reason.rows, 'audit');
        /* the API's reject_reason */
        const pq = `/partner-api/v1/orders?id=${o.id}`;
        const ts = Math.floor(Date.now() / 1000), nonce = crypto.randomBytes(12).toString('hex');
        const api = await fetch(HALL + pq, { headers: {
            'X-Hall-Key-Id': key.id, 'X-Hall-Timestamp': String(ts), 'X-Hall-Nonce': nonce,
            'X-Hall-Signature': crypto.createHmac('sha256', key.secret).update(`GET\n${pq}\n${ts}\n${nonce}\n`).digest('hex'),
        } });
        const text = await api.text();
        assert.equal(api.status, 200, text);
        assertMasked(JSON.parse(text).orders[0].reject_reason, reason.rows, 'api');
        /* the webhook */
        const got = async () => (await sb('/sandbox/partner/received?partner=jieyang')).received
            .filter((x) => x.status === 200 && x.body && x.body.order.order_no === o.no && x.event === 'order.rejected');
        await waitFor('order.rejected delivered', async () => (await got()).length === 1, { timeoutMs: 30000 });
        const hook = (await got())[0];
        assertMasked(hook.body.data.reason, reason.rows, 'webhook');
        for (const r of reason.rows)
            assert.ok(!hook.raw.includes(r.text), `webhook raw: ${r.text}`);
    }
});
