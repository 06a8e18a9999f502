-- 161_sm2_browser: an SM2 certificate's key is born in its holder's browser
-- (issue 64 §2, §4; docs/internals/pki.md, "Key birth").
--
-- The hall made the key of an SM2 certificate itself (a PKCS#12 file):
-- SoftHSM2 media have no SM2 signature mechanism, so an SM2 certificate
-- cannot go onto a USB key (core/biz/produce.c, medium_fits), and a file
-- made by the hall is what issue 64 §4 ends.  So every SM2 certificate
-- product is sold as made in the holder's browser (the order page makes
-- SM2 keys: static/keygen/make.js, POST /pki/csr), at its price without the
-- 介质费 and with no PIN in the memo (the holder types their own PIN), as
-- sql/151 did for the hall's browser products:
--   - an SM2 product with a browser-made twin (the hall's 机构证书（国密SM2）
--     beside 机构证书（国密SM2，浏览器生成密钥）) is no longer sold: the twin
--     is what an SM2 application takes (modules/new);
--   - any other becomes browser-made itself.
-- Its 补办, 更新, 变更 and 解锁 are the browser's too (functions/
-- order_key_origin.sql: an SM2 certificate's), as an order of the product
-- no longer sold that was accepted before this.  The seals' certificates
-- (business 'seal', the 机构业务章's org_business) are the seal
-- production's, not changed here.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

UPDATE products p SET active = false
 WHERE p.ca = 'sm2' AND p.key_origin = 'hall' AND p.business_type <> 'seal'
   AND p.cert_type <> 'org_business'
   AND EXISTS (SELECT 1 FROM products b
                WHERE b.partner_code = p.partner_code AND b.business_type = p.business_type
                  AND b.cert_type = p.cert_type AND b.ca = 'sm2' AND b.key_origin = 'browser');

UPDATE products p SET
       key_origin = 'browser',
       name = CASE WHEN p.name LIKE '%）' THEN left(p.name, -1) || '，浏览器生成密钥）'
                   ELSE p.name || '（浏览器生成密钥）' END,
       price_per_year_fen = p.price_per_year_fen
           - CASE WHEN p.price_per_year_fen >= coalesce((p.breakdown->>'介质费')::int, 0)
                  THEN coalesce((p.breakdown->>'介质费')::int, 0) ELSE 0 END,
       fixed_fee_fen = p.fixed_fee_fen
           - CASE WHEN p.price_per_year_fen >= coalesce((p.breakdown->>'介质费')::int, 0)
                  THEN 0 ELSE coalesce((p.breakdown->>'介质费')::int, 0) END,
       breakdown = p.breakdown - '介质费',
       pin_by_memo = false
 WHERE p.ca = 'sm2' AND p.key_origin = 'hall' AND p.business_type <> 'seal'
   AND p.cert_type <> 'org_business' AND p.active;

-- No check holds the catalogue to it: a partner that bundles the seal with
-- its 新办 may sell an SM2 product of the USB-key kind, whose orders are
-- seal orders, made by the seal production (the seals' keys are its
-- business); any other order of an SM2 certificate is the browser's
-- whatever its product says (order_key_origin), and 制作证书 refuses it.
