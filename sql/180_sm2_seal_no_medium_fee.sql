-- 180_sm2_seal_no_medium_fee: an SM2 电子签章申请 charges no 介质费 (issue 72
-- §3; docs/modules/seal.md, "Fee").
--
-- sql/147 gave each seal product its SM2 twin at the ECDSA one's price,
-- 介质费 included (机构章 500 = 证书费 300 + 介质费 100 + 签章费 100 a year,
-- 机构个人章 200 = 100 + 50 + 50), when an SM2 seal order's certificates
-- were files the hall made.  No medium signs with SM2: an SM2 seal order's
-- keys are born in the applicant's (or the holder's) browser (sql/161,
-- core/biz/produce_csr_seal.c), no USB key is made and none is mailed
-- (its 录入信息 says 不邮寄USB Key).  So the SM2 seal products lose the
-- 介质费 from each year's price, as the SM2 and browser 新办 products did
-- (sql/161, sql/151): the page's years, the order's amount and its parts
-- are the 证书费 and the 签章费.  The ECDSA seal products keep theirs: their
-- keys are made onto a USB key that is mailed.
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
 WHERE p.business_type = 'seal' AND p.ca = 'sm2' AND p.breakdown ? '介质费';
