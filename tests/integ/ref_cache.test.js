'use strict';
/*
 * The workers' copy of the reference rows (core/store/db.c, hall_db_ref; sql/032):
 * a change of a partner, a product or a bank branch, made by anyone, shows
 * in the very next answer of every worker that reads its session first,
 * never the copy from before it.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const { psql, orgForm } = require('./lib/payflow');

/* enough requests that every worker of the module answers some */
const ROUNDS = 16;

const ORG_FORM = { project: 'jieyang', ...orgForm() };

async function agreed() {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    const r = await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    assert.equal(r.status, 200, r.text);
    return c;
}

async function prices(c) {
    const seen = new Set();
    for (let i = 0; i < ROUNDS; i++) {
        const page = await c.get('/new/apply?project=jieyang');
        assert.equal(page.status, 200);
        const m = page.text.match(/([\d.]+)元\/1年/);
        assert.ok(m, 'the page shows the price of one year');
        seen.add(m[1]);
    }
    return [...seen];
}

const ORG_PRODUCT = "partner_code = 'jieyang' AND business_type = 'new' AND cert_type = 'org'";

test('ref_cache__price_change__every_worker_shows_the_new_price_at_once', async () => {
    const c = await agreed();
    const before = psql(`SELECT price_per_year_fen FROM products WHERE ${ORG_PRODUCT}`);
    assert.deepEqual(await prices(c), ['600.00'], 'every worker has read the price');
    try {
        psql(`UPDATE products SET price_per_year_fen = 65000 WHERE ${ORG_PRODUCT}`);
        assert.deepEqual(await prices(c), ['650.00'], 'no worker answers from before the change');
        const r = await c.post('/new/apply', ORG_FORM);
        assert.equal(r.status, 200, r.text);
        const id = r.body.redirect.match(/id=(\d+)/)[1];
        assert.equal(psql(`SELECT amount_fen FROM orders WHERE id = ${id}`), '65000');
    } finally {
        psql(`UPDATE products SET price_per_year_fen = ${before} WHERE ${ORG_PRODUCT}`);
    }
    assert.deepEqual(await prices(c), ['600.00']);
});

test('ref_cache__rolled_back_change__nothing_dropped_nothing_shown', async () => {
    const c = await agreed();
    assert.deepEqual(await prices(c), ['600.00']);
    psql(`BEGIN; UPDATE products SET price_per_year_fen = 1 WHERE ${ORG_PRODUCT}; ROLLBACK`);
    assert.deepEqual(await prices(c), ['600.00']);
});

test('ref_cache__partner_switched_off__refused_by_every_worker_at_once', async () => {
    const c = await agreed();
    await prices(c);
    try {
        psql("UPDATE partners SET active = false WHERE code = 'jieyang'");
        for (let i = 0; i < ROUNDS; i++) {
            const r = await c.getJSON('/new/apply?project=jieyang');
            assert.equal(r.status, 404);
            assert.equal(r.body.field, 'project');
            assert.equal(r.body.message, '项目不存在');
        }
    } finally {
        psql("UPDATE partners SET active = true WHERE code = 'jieyang'");
    }
    assert.deepEqual(await prices(c), ['600.00']);
});

test('ref_cache__bank_branch_closed__the_form_is_refused_naming_it', async () => {
    const c = await agreed();
    for (let i = 0; i < ROUNDS / 2; i++) {
        const r = await c.post('/new/apply', ORG_FORM);
        assert.equal(r.status, 200, r.text);
    }
    try {
        psql('UPDATE bank_branches SET active = false WHERE id = 19');
        /* the page's submit of a new order checks the form before its one
         * round trip (sql/107): it sees the change once the notice is on its
         * connection, which the listening backend forwards a moment after
         * the commit (core/store/db.c); a request that reads its session
         * first waits for it.  Such requests through every worker first. */
        await prices(c);
        for (let i = 0; i < ROUNDS / 2; i++) {
            const r = await c.post('/new/apply', ORG_FORM);
            assert.equal(r.status, 400, r.text);
            assert.ok(JSON.stringify(r.body).includes('bank_branch_id'), r.text);
        }
    } finally {
        psql('UPDATE bank_branches SET active = true WHERE id = 19');
    }
});
