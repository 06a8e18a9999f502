-- 043_partner_reissue.sql: 介质遗失补办 in every seeded partner's channel.
--
-- Seed 004: the applicant logs in at "各前置对应网址" (each partner's front)
-- and enters 介质遗失补办; its order shows 补办费用 0.00元 plus the medium
-- fee (介质费用).  Each seeded partner gets a reissue product for each
-- certificate type it sells new, priced as the generic hall's (补办费 0 +
-- 介质费 100; Hunan's 介质费 is 100 in its own split, seed 002), issued
-- again automatically like the hall's (sql/022).  Nothing else changes:
-- a partner added later sells reissue only with rows of its own.

INSERT INTO products (partner_code, business_type, cert_type, name, price_per_year_fen,
                      fixed_fee_fen, seal_fee_per_year_fen, breakdown, min_years, max_years,
                      max_count, pin_by_memo, sort_order, auto_issue)
SELECT n.partner_code, 'reissue', n.cert_type, n.name || '介质遗失补办', 0, 10000, 0,
       '{"补办费": 0, "介质费": 10000}', 1, 1, NULL, true, n.sort_order, true
  FROM products n
 WHERE n.business_type = 'new' AND n.active
   AND n.partner_code IN ('jieyang', 'hunan', 'szjsgws', 'nmgzc', 'gzmg', 'gdhj')
   AND NOT EXISTS (SELECT 1 FROM products r
                    WHERE r.partner_code = n.partner_code AND r.business_type = 'reissue'
                      AND r.cert_type = n.cert_type);
