-- 151_browser_key: certificates whose key pair is born in the holder's
-- browser (issue 64 §2; docs/internals/pki.md, "Made in the browser").
--
-- products.key_origin: where the key pair of the product's certificate is
-- born.
--   hall     the hall makes it at 制作证书 (a PKCS#12 file, or onto a USB key
--            at a production station: core/biz/produce.c)
--   browser  the holder's browser makes it on the order page once the order
--            is accepted (成功受理): the hall receives only the certificate
--            request (PKCS#10) and never holds the key; the operator's
--            制作证书 refuses such an order.  Its price has no 介质费 and
--            the deposit's memo carries a code, not a PIN (the holder types
--            their own PIN in the browser).
-- certificates.key_origin: where this certificate's key was born: hall,
-- medium (a USB key, with medium_serial), browser.  A certificate whose key
-- the hall never held has no p12_enc.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE products ADD COLUMN key_origin text NOT NULL DEFAULT 'hall'
    CHECK (key_origin IN ('hall', 'browser'));
-- a browser-made key is a 新办's, made by its holder (never hall-outbox's
-- auto_issue): 补办, 更新, 变更, 解锁 and the seals are made by the hall
ALTER TABLE products ADD CONSTRAINT products_browser_new
    CHECK (key_origin = 'hall' OR (business_type = 'new' AND cert_type <> 'org_business'
                                   AND NOT auto_issue));

ALTER TABLE certificates ADD COLUMN key_origin text NOT NULL DEFAULT 'hall'
    CHECK (key_origin IN ('hall', 'medium', 'browser'));
UPDATE certificates SET key_origin = 'medium' WHERE medium_serial IS NOT NULL;
ALTER TABLE certificates ADD CONSTRAINT certificates_key_origin_medium
    CHECK ((key_origin = 'medium') = (medium_serial IS NOT NULL));
ALTER TABLE certificates ADD CONSTRAINT certificates_key_origin_no_p12
    CHECK (key_origin = 'hall' OR p12_enc IS NULL);

-- 光大环境's 机构证书 (seed 003: a partner's own staff, each with a browser):
-- made in the browser, 证书费 380 a year and no 介质费
UPDATE products SET key_origin = 'browser', price_per_year_fen = 38000,
       breakdown = '{"证书费": 38000}', pin_by_memo = false
 WHERE partner_code = 'gdhj' AND business_type = 'new' AND cert_type = 'org';
