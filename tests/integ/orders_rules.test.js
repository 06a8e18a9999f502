'use strict';
/*
 * The rules of an orders row (sql/096: one CHECK, orders_row_check, calling
 * orders_row_ok, in place of the eleven CHECKs of sql/004, 010, 014 and
 * 058): every rule still refuses a row that breaks it, on INSERT and on
 * UPDATE, and NULL still passes where the column may be NULL.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { psql } = require('./lib/payflow');

const SKIP = process.env.HALL_PSQL ? false : 'needs script/test';

/* each case: an UPDATE's SET of a valid draft; refused, or kept (then undone) */
const REFUSED = {
    business_type: "business_type = 'other'",
    cert_type: "cert_type = 'company'",
    years_0: 'years = 0',
    years_6: 'years = 6',
    cert_fen: 'cert_fen = -1',
    shipping_fen: 'shipping_fen = -1',
    subject: "subject = repeat('单', 101)",
    gift_empty: "gift = ''",
    gift_long: "gift = repeat('礼', 101)",
    reissue_of_on_new: "reissue_of = '712C1B5A584A1BBE'",
    submit_key: "submit_key = 'short'",
    submit_key_chars: "submit_key = 'abcdefghijklmnop!'",
    submit_key_65: "submit_key = repeat('k', 65)",
    submit_key_15: "submit_key = repeat('k', 15)",
    submit_key_wide: "submit_key = repeat('ｋ', 20)",
    waybill_no: "waybill_no = 'SF1'",
    waybill_no_33: "waybill_no = repeat('9', 33)",
    waybill_no_dash: "waybill_no = 'SF-12345678'",
    carrier: "carrier = repeat('c', 41)",
};
const KEPT = {
    subject_100: "subject = repeat('单', 100)",
    gift: "gift = '品牌充电宝10000毫安'",
    submit_key: "submit_key = 'abcdefghijklmnop_-0123'",
    submit_key_16: "submit_key = repeat('k', 16)",
    submit_key_64: "submit_key = repeat('k', 64)",
    waybill_no: "waybill_no = 'SF1234567890'",
    waybill_no_4: "waybill_no = 'SF12'",
    waybill_no_32: "waybill_no = repeat('9', 32)",
    carrier: "carrier = '顺丰速运'",
    years_5: 'years = 5',
    nulls: 'gift = NULL, submit_key = NULL, waybill_no = NULL, carrier = NULL, reissue_of = NULL',
};

function trySets(sets) {
    const cases = Object.entries(sets).map(([k, v]) => `(${lit(k)}, ${lit(v)})`).join(', ');
    /* one draft of a throw-away applicant; each case in a subtransaction;
     * everything removed at the end */
    const out = psql(`CREATE TEMP TABLE rules_out (k text, res text);
DO $$
DECLARE u bigint; o bigint; c record; m text;
BEGIN
    INSERT INTO users (phone_enc, phone_idx)
    VALUES ('\\x00', decode(md5('rules' || clock_timestamp()::text), 'hex')) RETURNING id INTO u;
    INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
                        years, subject, cert_fen)
    SELECT 'RULES' || u, u, p.partner_code, 'new', p.id, p.cert_type, 1, '规则测试', 60000
      FROM products p WHERE p.business_type = 'new' AND p.cert_type = 'org' LIMIT 1
    RETURNING id INTO o;
    INSERT INTO rules_out VALUES ('insert', 'kept');
    FOR c IN SELECT * FROM (VALUES ${cases}) AS t(k, s) LOOP
        BEGIN
            EXECUTE format('UPDATE orders SET %s WHERE id = %s', c.s, o);
            RAISE EXCEPTION 'kept: undone' USING ERRCODE = 'P0001';
        EXCEPTION
            WHEN check_violation THEN
                GET STACKED DIAGNOSTICS m = CONSTRAINT_NAME;
                INSERT INTO rules_out VALUES (c.k, 'refused by ' || m);
            WHEN raise_exception THEN
                INSERT INTO rules_out VALUES (c.k, 'kept');
        END;
    END LOOP;
    DELETE FROM orders WHERE id = o;
    DELETE FROM order_counts WHERE user_id = u;
    DELETE FROM users WHERE id = u;
END $$;
SELECT string_agg(k || '=' || res, ';' ORDER BY k) FROM rules_out;`);
    return Object.fromEntries(out.split(';').map((s) => s.split('=')));
}

function lit(s) {
    return `'${s.replace(/'/g, "''")}'`;
}

test('orders_rules__each_broken_rule__refused_by_orders_row_check', { skip: SKIP }, () => {
    const got = trySets(REFUSED);
    assert.equal(got.insert, 'kept');
    for (const k of Object.keys(REFUSED))
        assert.equal(got[k], 'refused by orders_row_check', k);
});

test('orders_rules__values_within_rules_and_nulls__kept', { skip: SKIP }, () => {
    const got = trySets(KEPT);
    for (const k of Object.keys(KEPT))
        assert.equal(got[k], 'kept', k);
});

test('orders_rules__insert_breaking_a_rule__refused', { skip: SKIP }, () => {
    assert.throws(() => psql(`INSERT INTO orders (order_no, user_id, partner_code, business_type,
        product_id, cert_type, years, subject, cert_fen)
        SELECT 'RULESX', -1, p.partner_code, 'new', p.id, p.cert_type, 9, 'x', 1
          FROM products p WHERE p.business_type = 'new' LIMIT 1`), /orders_row_check/);
});
