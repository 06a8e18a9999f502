-- 176_renew_no_medium_fee: 证书更新 of a USB key charges no 介质费 (issue
-- 64 §3; docs/modules/renew.md, "Products").
--
-- sql/059 priced 证书更新 as 证书新办 of the same years, 介质费 included in
-- each year's price (480 = 证书费 380 + 介质费 100 a year), when a renewal
-- was a new key on a new medium from production.  A USB key's 证书更新 is
-- now the 证书助手's 在线更新 on the same medium
-- (modules/renew/renew_assist.c, core/biz/medium_renew.c): a new key born
-- in the holder's USB key, the new certificate written onto it, nothing
-- made at the production station and nothing mailed.  So the USB-key renew
-- products lose the 介质费 from each year's price, as their browser twins
-- did (sql/170, sql/174) and the 解锁 products (sql/173): the page's years,
-- the order's amount and the order page's parts are the 证书费 a year.
-- A 介质费 stays where a new medium is the purpose: 介质遗失补办.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

UPDATE products p SET
       price_per_year_fen = p.price_per_year_fen
           - CASE WHEN p.fixed_fee_fen >= (p.breakdown->>'介质费')::int
                  THEN 0 ELSE (p.breakdown->>'介质费')::int END,
       fixed_fee_fen = p.fixed_fee_fen
           - CASE WHEN p.fixed_fee_fen >= (p.breakdown->>'介质费')::int
                  THEN (p.breakdown->>'介质费')::int ELSE 0 END,
       breakdown = p.breakdown - '介质费'
 WHERE p.business_type = 'renew' AND p.key_origin = 'hall' AND p.breakdown ? '介质费';
