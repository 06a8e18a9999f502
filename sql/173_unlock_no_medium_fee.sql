-- 173_unlock_no_medium_fee: 证书解锁 of a USB key charges no 介质费 (issue
-- 64 §3; docs/modules/unlock.md, "Fee").
--
-- sql/060 priced 证书解锁 as a new medium (解锁费 0 + 介质费 100), when the
-- hall destroyed its copy of a key and 解锁 issued a new key on a new
-- medium.  A USB key's 解锁 is now the 证书助手's on the same medium
-- (modules/unlock/unlock_assist.c, core/biz/medium_unlock.c): the holder,
-- proven again, resets the PIN with the medium's SO PIN released once; the
-- key and the certificate stay, nothing is made, nothing mailed.  So the
-- USB-key 解锁 products keep their service part only (解锁费, 0.00 today) and
-- lose the 介质费, as their browser twins did (sql/170): the page's 合计 and
-- the amount charged are the 解锁费.  A 介质费 stays where a new medium is
-- made: 介质遗失补办 of a USB key (a new medium from production).
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
 WHERE p.business_type = 'unlock' AND p.key_origin = 'hall' AND p.breakdown ? '介质费';
