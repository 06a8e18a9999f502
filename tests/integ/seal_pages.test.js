'use strict';
/*
 * The 电子签章 pages as a browser uses them (issue 22 §7): the public
 * 电子印章验证 form posted with the fields the page itself carries (no
 * X-CSRF-Token header, as a plain form submit sends none).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, applicant } = require('./lib/client');

/* the hidden inputs of the form id on a page, as a browser would send them */
function hiddenFields(html, id) {
    const form = html.match(new RegExp(`<form[^>]*id="${id}"[\\s\\S]*?</form>`));
    assert.ok(form, `form #${id} on the page`);
    const out = {};
    for (const m of form[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
        out[m[1]] = m[2];
    return out;
}

test('verify_page__form_posted_as_the_page_sends_it__answered_not_403__anonymous_and_signed_in', async () => {
    for (const c of [new Client(), await applicant()]) {
        const page = await c.get('/seal/verify');
        assert.equal(page.status, 200);
        const fields = hiddenFields(page.text, 'verify-form');
        const r = await c.postMultipart('/seal/verify', fields,
            { seseal: { name: 'x.seseal', data: Buffer.from('not a seal at all') } }, { csrf: false });
        /* the file is checked (400 naming it), not refused as an expired page */
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.field, 'seseal');
        assert.match(r.body.message, /SESeal/);
    }
});
