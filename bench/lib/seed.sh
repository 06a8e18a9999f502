# shellcheck shell=bash
# bench/lib/seed.sh: seed_orders, the year of orders bench/reports and
# bench/volume both time: BENCH_USERS applicants (the first of them, the
# "heavy" one, with one order in 1,000 of all, the others sharing the rest)
# and BENCH_ORDERS orders created over the last 365 days in every state
# (issued, shipped and delivered included), a paid payment for each paid
# order, refunds (orders in 'refunded'), micro-deposits for a share of them
# and a certificate for every issued order.  Sourced; needs psql_hall
# (script/lib/common.sh) and a migrated, started hall.

seed_orders() {
psql_hall <<SQL
INSERT INTO users (phone_enc, phone_idx)
SELECT '\\x00', decode(md5('bench-' || g), 'hex') FROM generate_series(1, $BENCH_USERS) g;

-- the roll-up's markers are not needed for a bulk load: the roll-up is
-- rebuilt from scratch below (sql/024_report_rollup.sql)
ALTER TABLE orders DISABLE TRIGGER report_mark_orders;
ALTER TABLE payments DISABLE TRIGGER report_mark_payments;
ALTER TABLE finauth_attempts DISABLE TRIGGER report_mark_finauth;
ALTER TABLE certificates DISABLE TRIGGER report_mark_certs;

-- the trigger's work done in bulk: reached from the status, the decision
-- and issue times set here
ALTER TABLE orders DISABLE TRIGGER orders_reached;
SELECT setseed(0.2026);
WITH p AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(partner_code ORDER BY id) AS codes,
           array_agg(business_type ORDER BY id) AS biz, array_agg(cert_type ORDER BY id) AS certs
      FROM products),
u AS (SELECT min(id) AS first FROM users WHERE phone_enc = '\\x00'),
g AS (
    SELECT i, 1 + (i % cardinality(p.ids)) AS k, floor(random() * 100)::int AS s,
           now() - random() * interval '365 days' AS created, p.*, u.first
      FROM generate_series(1, $BENCH_ORDERS) i, p, u),
r AS (
    SELECT g.*, CASE
        WHEN s < 10 THEN 'draft' WHEN s < 15 THEN 'unpaid' WHEN s < 17 THEN 'cancelled'
        WHEN s < 20 THEN 'finauth_ok' WHEN s < 22 THEN 'finauth_failed' WHEN s < 28 THEN 'review'
        WHEN s < 32 THEN 'rejected' WHEN s < 34 THEN 'refunded' WHEN s < 60 THEN 'accepted'
        WHEN s < 80 THEN 'issued' WHEN s < 85 THEN 'shipped' ELSE 'delivered' END AS status
      FROM g)
INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type, years,
                    status, step, subject, cert_fen, shipping_fen, submitted_at, review_due,
                    decided_at, issued_reached_at, reached, created_at, updated_at)
SELECT 'B' || i, first + CASE WHEN i % 1000 = 0 THEN 0 ELSE 1 + i % ($BENCH_USERS - 1) END, codes[k], biz[k], ids[k], certs[k], 1 + i % 3,
       status, 'pay', '基准测试单位' || (i % 5000), 35000 + (i % 4) * 10000,
       CASE WHEN i % 5 = 0 THEN 1300 ELSE 0 END,
       CASE WHEN s >= 22 THEN created + interval '1 day' END,
       CASE WHEN s >= 22 THEN (created + interval '1 day')::date + 3 END,
       -- decided and issued a few days after, but never in the future
       CASE WHEN s >= 28 AND status <> 'refunded'
            THEN least(created + interval '1 day' + random() * interval '6 days', now()) END,
       CASE WHEN s >= 60 THEN least(created + interval '8 days', now()) END,
       order_reached_bits(status), created,
       CASE WHEN status = 'refunded' THEN created + interval '3 days' ELSE created END
  FROM r
 -- in time order, as a live table grows: the rows of the last days are
 -- together at its end (the reports read them live)
 ORDER BY r.created;
ALTER TABLE orders ENABLE TRIGGER orders_reached;

INSERT INTO payments (order_id, attempt, method, amount_fen, status, out_trade_no, paid_at, created_at)
SELECT id, 1, 'wechat', amount_fen, 'paid', 'B' || id || '-1', created_at + interval '1 hour', created_at
  FROM orders WHERE reached & 2 <> 0 ORDER BY created_at;

INSERT INTO finauth_attempts (order_id, memo_kind, code_hash, result, tries, created_at)
SELECT id, 'code', decode(repeat('00', 32), 'hex'),
       (ARRAY['sent', 'failed', 'verified', 'verified', 'verified', 'locked'])[1 + id % 6], id % 3,
       created_at + interval '2 hours'
  FROM orders WHERE reached & 2 <> 0 AND id % 10 < 7 ORDER BY created_at;

-- a certificate for every order that reached 'issued' (validity = the
-- years paid), 2 % of them revoked
INSERT INTO certificates (serial, order_id, ca, state, subject_cn, not_before, not_after, der,
                          issued_at, revoked_at, revoke_reason)
SELECT upper(lpad(to_hex(id), 16, '0')), id, 'ecc', CASE WHEN id % 50 = 0 THEN 'revoked' ELSE 'issued' END,
       subject, issued_reached_at, issued_reached_at + make_interval(years => years), '\\x00',
       issued_reached_at, CASE WHEN id % 50 = 0 THEN issued_reached_at + interval '30 days' END,
       CASE WHEN id % 50 = 0 THEN 4 END
  FROM orders WHERE issued_reached_at IS NOT NULL AND order_no LIKE 'B%' ORDER BY issued_reached_at;

ALTER TABLE orders ENABLE TRIGGER report_mark_orders;
ALTER TABLE payments ENABLE TRIGGER report_mark_payments;
ALTER TABLE finauth_attempts ENABLE TRIGGER report_mark_finauth;
ALTER TABLE certificates ENABLE TRIGGER report_mark_certs;
-- whatever hall-outbox rolled up while the rows went in unmarked: rebuilt
UPDATE report_rollup_state SET upto = '-infinity';
DELETE FROM report_dirty;

VACUUM ANALYZE orders;
VACUUM ANALYZE payments;
VACUUM ANALYZE finauth_attempts;
VACUUM ANALYZE certificates;
SQL
}
