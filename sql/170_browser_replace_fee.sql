-- 170_browser_replace_fee: no 介质费 for replacing a certificate made in
-- the browser (issue 64 §2; docs/internals/pki.md, "Key birth").
--
-- A certificate whose key was born in its holder's browser, and every SM2
-- one (sql/161), is replaced in the browser too (sql/160,
-- functions/order_key_origin.sql): its 介质遗失补办, 证书更新 and 证书解锁
-- make no USB key and mail none.  They were priced by the partner's first
-- product of the business for the type, the USB-key one, whose 介质费
-- (100 元: 补办 and 解锁 once, 更新 in each year's price) was charged for a
-- medium never made.  The hall's channel, which sells certificates made in
-- the browser (sql/151), now sells their replacements as products of their
-- own beside the USB-key ones, as sql/151 did for 新办: the same product
-- without 介质费 (补办 0.00, 解锁 0.00, 更新 380 or 140 a year), no PIN in the
-- memo (the holder types their own PIN in the browser).  Replacing a
-- certificate picks the product of its key origin (core/flow/replace.c,
-- hall_replace_cert_product); a USB-key certificate's 补办 (a new medium)
-- keeps its 介质费.  证书变更's products have no 介质费: no twin.  Only
-- products whose partner sells a browser-made 新办 of the type are twinned
-- (the other channels sell none).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO products
SELECT (jsonb_populate_record(NULL::products, to_jsonb(p) || jsonb_build_object(
        'id', nextval(pg_get_serial_sequence('products', 'id')),
        'name', CASE WHEN p.name LIKE '%）' THEN left(p.name, -1) || '，浏览器生成密钥）'
                     ELSE p.name || '（浏览器生成密钥）' END,
        'key_origin', 'browser',
        -- the 介质费 is one-off (补办, 解锁: fixed_fee_fen) or a part of
        -- each year's price (更新), as sql/161 told them apart
        'price_per_year_fen', p.price_per_year_fen
            - CASE WHEN p.fixed_fee_fen >= (p.breakdown->>'介质费')::int
                   THEN 0 ELSE (p.breakdown->>'介质费')::int END,
        'fixed_fee_fen', p.fixed_fee_fen
            - CASE WHEN p.fixed_fee_fen >= (p.breakdown->>'介质费')::int
                   THEN (p.breakdown->>'介质费')::int ELSE 0 END,
        'breakdown', p.breakdown - '介质费', 'pin_by_memo', false))).*
  FROM products p
 WHERE p.business_type IN ('reissue', 'renew', 'unlock') AND p.key_origin = 'hall' AND p.active
   AND p.ca = 'ecc' AND p.breakdown ? '介质费'
   AND EXISTS (SELECT 1 FROM products n
                WHERE n.partner_code = p.partner_code AND n.business_type = 'new'
                  AND n.cert_type = p.cert_type AND n.key_origin = 'browser' AND n.active)
   AND NOT EXISTS (SELECT 1 FROM products b
                    WHERE b.partner_code = p.partner_code AND b.business_type = p.business_type
                      AND b.cert_type = p.cert_type AND b.key_origin = 'browser')
 ORDER BY p.sort_order, p.id;
