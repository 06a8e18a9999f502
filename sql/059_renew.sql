-- 059_renew.sql: 证书更新 (modules/renew, issue 24).
--
-- The window of a renewal is the product's: from renew_before_days before
-- the certificate's end (seeds 001/002, agreement clause 4: 「须在证书期满前
-- 一个月内向SZCA申请证书续期、更新」: 30) until renew_after_days after it
-- (30: a holder who missed the date by a few weeks renews rather than
-- applying anew; later it is 证书新办).  Other products ignore them.
--
-- Products: the hall and Hunan (seed 002's menu: CA证书更新) renew the
-- types they sell new, at the price of a new certificate of the same years
-- (a new key pair on a new medium; prices chosen, docs/partners.md);
-- issued automatically after the review, like 介质遗失补办 (sql/022).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE products
    ADD COLUMN renew_before_days smallint NOT NULL DEFAULT 30
        CHECK (renew_before_days BETWEEN 1 AND 366),
    ADD COLUMN renew_after_days smallint NOT NULL DEFAULT 30
        CHECK (renew_after_days BETWEEN 0 AND 366);

INSERT INTO products (partner_code, business_type, cert_type, name, price_per_year_fen,
                      fixed_fee_fen, seal_fee_per_year_fen, breakdown, min_years, max_years,
                      max_count, pin_by_memo, sort_order, auto_issue)
SELECT n.partner_code, 'renew', n.cert_type, n.name || '更新', n.price_per_year_fen, 0, 0,
       n.breakdown, 1, n.max_years, NULL, false, n.sort_order, true
  FROM products n
 WHERE n.business_type = 'new' AND n.active AND n.partner_code IN ('hall', 'hunan')
   AND NOT EXISTS (SELECT 1 FROM products r
                    WHERE r.partner_code = n.partner_code AND r.business_type = 'renew'
                      AND r.cert_type = n.cert_type);
