'use strict';
/*
 * Issue 8: one catalogue.  The database's checks of business types and
 * certificate types allow exactly the codes of core/flow/catalog.def, so a
 * business type or certificate type added there (or to a migration) without
 * the other fails here; docs/catalog.md is checked by the unit suite.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

const def = fs.readFileSync(path.join(__dirname, '..', '..', 'core', 'flow', 'catalog.def'), 'utf8');
const codes = (macro) => [...def.matchAll(new RegExp(`^${macro}\\((\\w+),`, 'gm'))].map((m) => m[1]).sort();

/* the quoted values of a CHECK (... IN (...)) on table.column */
function checked(table, column) {
    const defs = psql(`SELECT pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = '${table}'::regclass AND contype = 'c'`).split('\n');
    /* the column's own check first: another may name some of its codes
     * (products_browser_new, sql/160), and the catalogue's order of rows
     * is no order */
    const d = defs.find((x) => x.startsWith(`CHECK ((${column} = ANY`))
        || defs.find((x) => x.includes(`(${column} = ANY`) || x.includes(`${column} = ANY`));
    assert.ok(d, `${table}.${column} has a check: ${defs.join(' / ')}`);
    return [...d.matchAll(/'(\w+)'::text/g)].map((m) => m[1]).sort();
}

/* an orders row's rules are one CHECK calling orders_row_ok (sql/096): the
 * business types it allows, read from its source and asked of it */
function ordersBusinessTypes() {
    const src = psql(`SELECT pg_get_functiondef('orders_row_ok'::regproc)`);
    const m = src.match(/p_business IN \(([^)]*)\)/);
    assert.ok(m, `orders_row_ok checks p_business: ${src}`);
    const list = [...m[1].matchAll(/'(\w+)'/g)].map((x) => x[1]).sort();
    const ok = (code) => psql(`SELECT orders_row_ok('${code}', NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL)`);
    for (const code of list)
        assert.equal(ok(code), 't', `orders_row_ok allows ${code}`);
    assert.equal(ok('nope'), 'f', 'orders_row_ok refuses a code of no catalogue');
    return list;
}

test('catalog__business_types__the_database_checks_the_same_codes', () => {
    const b = codes('HALL_BUSINESS');
    assert.deepEqual(b, ['change', 'finauth', 'new', 'reissue', 'renew', 'seal', 'unlock']);
    assert.deepEqual(ordersBusinessTypes(), b);
    assert.deepEqual(checked('products', 'business_type'), b);
});

test('catalog__cert_types__the_database_checks_the_same_codes', () => {
    assert.deepEqual(checked('products', 'cert_type'), codes('HALL_CERT_TYPE'));
});
