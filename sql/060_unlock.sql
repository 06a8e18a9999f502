-- 060_unlock.sql: 证书解锁 (modules/unlock, issue 24).
--
-- A forgotten or locked PIN: the hall keeps no copy of the key to re-wrap
-- (电子签名法 第十三条), so 解锁 issues a new medium: a new key pair, the same
-- subject, the old certificate's remaining validity, the old one revoked as
-- superseded when the new one is stored (core/biz/produce.c).
--
-- Products: the hall and Hunan (seed 002's menu: CA证书解锁) for the types
-- they sell new: 解锁费 0 + 介质费 100 (chosen, as 介质遗失补办's), no year
-- choice; issued automatically after the review.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO products (partner_code, business_type, cert_type, name, price_per_year_fen,
                      fixed_fee_fen, seal_fee_per_year_fen, breakdown, min_years, max_years,
                      max_count, pin_by_memo, sort_order, auto_issue)
SELECT n.partner_code, 'unlock', n.cert_type, n.name || '解锁', 0, 10000, 0,
       '{"解锁费": 0, "介质费": 10000}', 1, 1, NULL, false, n.sort_order, true
  FROM products n
 WHERE n.business_type = 'new' AND n.active AND n.partner_code IN ('hall', 'hunan')
   AND NOT EXISTS (SELECT 1 FROM products r
                    WHERE r.partner_code = n.partner_code AND r.business_type = 'unlock'
                      AND r.cert_type = n.cert_type);

-- 解锁's SMS code goes to the phone the certificate's order names (the one
-- its PIN went to): purpose 'unlock'.  The list becomes a pattern so that
-- a flow's purpose is its own name without widening a list again.
ALTER TABLE sms_codes DROP CONSTRAINT sms_codes_purpose_check;
ALTER TABLE sms_codes ADD CONSTRAINT sms_codes_purpose_check
    CHECK (purpose ~ '^[a-z_]{2,32}$');
