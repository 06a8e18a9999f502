-- 174_partner_replace_twins: every channel that sells replacements sells
-- them without 介质费 for a certificate made in the browser (issue 64 §2;
-- docs/internals/pki.md, "Key birth").
--
-- sql/170 twinned the replacement products (介质遗失补办, 证书更新,
-- 证书解锁) of the channels that sell a browser-made 新办 of the type: the
-- hall's.  But a certificate made in the browser, and every SM2 one
-- (sql/161), is replaced in the browser whatever the channel the holder
-- replaces it in (functions/order_key_origin.sql): a partner's 补办 or 更新
-- of one makes no USB key either, yet hall_replace_cert_product found no
-- product of its key origin there and priced it by the USB-key one, 介质费
-- and all.  So every channel's replacement product that still has a 介质费
-- gets its browser twin, as sql/170 made them: the same product without
-- 介质费 (补办 0.00; 更新 the 证书费 a year), no PIN in the memo.  The
-- USB-key products keep their 介质费 (补办 is a new medium from production);
-- 证书解锁 has none since sql/173 and 证书变更 never had one: no twin needed,
-- the type's product prices both.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO products
SELECT (jsonb_populate_record(NULL::products, to_jsonb(p) || jsonb_build_object(
        'id', nextval(pg_get_serial_sequence('products', 'id')),
        'name', CASE WHEN p.name LIKE '%）' THEN left(p.name, -1) || '，浏览器生成密钥）'
                     ELSE p.name || '（浏览器生成密钥）' END,
        'key_origin', 'browser',
        -- one-off (补办: fixed_fee_fen) or a part of each year's price (更新)
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
   AND NOT EXISTS (SELECT 1 FROM products b
                    WHERE b.partner_code = p.partner_code AND b.business_type = p.business_type
                      AND b.cert_type = p.cert_type AND b.key_origin = 'browser')
 ORDER BY p.partner_code, p.sort_order, p.id;
