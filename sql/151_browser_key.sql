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
-- certificates.key_origin ('browser' for these) and pop_checked_at, with
-- the rules that hold them, come with sql/153_key_origin.sql.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE products ADD COLUMN key_origin text NOT NULL DEFAULT 'hall'
    CHECK (key_origin IN ('hall', 'browser'));
-- a browser-made key is a 新办's, made by its holder (never hall-outbox's
-- auto_issue): 补办, 更新, 变更, 解锁 and the seals are made by the hall
ALTER TABLE products ADD CONSTRAINT products_browser_new
    CHECK (key_origin = 'hall' OR (business_type = 'new' AND cert_type <> 'org_business'
                                   AND NOT auto_issue));

-- the hall's own channel sells the browser-made certificate as a product of
-- its own, beside the USB-key one: the same 证书费 (the hall's 机构证书 480 =
-- 证书费 380 + 介质费 100, 自然人证书 240 = 140 + 100), no 介质费, the code
-- in the memo, on both hierarchies where the hall sells both (the page makes
-- ECDSA P-256 and SM2 keys).  The product's algorithm and key origin are
-- both what it is, so the catalogue's key grows by key_origin.
ALTER TABLE products DROP CONSTRAINT products_partner_business_type_ca_key;
ALTER TABLE products ADD CONSTRAINT products_partner_business_type_ca_key
    UNIQUE (partner_code, business_type, cert_type, ca, key_origin);

INSERT INTO products
SELECT (jsonb_populate_record(NULL::products, to_jsonb(p) || jsonb_build_object(
        'id', nextval(pg_get_serial_sequence('products', 'id')),
        'name', CASE WHEN p.name LIKE '%）' THEN left(p.name, -1) || '，浏览器生成密钥）'
                     ELSE p.name || '（浏览器生成密钥）' END,
        'key_origin', 'browser',
        'price_per_year_fen', p.price_per_year_fen - (p.breakdown->>'介质费')::int,
        'breakdown', p.breakdown - '介质费', 'pin_by_memo', false))).*
  FROM products p
 WHERE partner_code = 'hall' AND business_type = 'new' AND cert_type IN ('org', 'person')
   AND key_origin = 'hall' AND p.breakdown ? '介质费'
 ORDER BY p.sort_order, p.id;

-- 《浏览器生成密钥须知》 (issue 64 §5): what the holder of a key made in the
-- browser agrees to in the hall's 证书新办: the medium is a file made in
-- their browser, the hall never holds the key, and a lost file or a
-- forgotten PIN cannot be unlocked (the certificate is revoked and applied
-- for again).  The hall's own channel sells these products, so the hall's
-- own row (partner_code 'hall', replacing nothing).
INSERT INTO agreements (code, version, title, body, partner_code, replaces, business_types,
                        checkbox_group, sort_order, effective_at)
VALUES ('browser_key', '2026.1', '浏览器生成密钥须知',
$body$深圳市电子商务安全证书管理有限公司
浏览器生成密钥须知

版本：2026.1　　生效日期：2026年11月1日

本须知适用于网上营业厅“浏览器生成密钥”的证书产品（如“机构证书（浏览器生成密钥）”“自然人证书（浏览器生成密钥）”）。选择由营业厅制作、USB Key邮寄的，不适用本须知。

1. 介质：申请成功受理后，您在业务单详情页点击“生成密钥并下载证书”，密钥在您的浏览器中生成，证书保存为您电脑上的证书文件（.p12）。我们不制作、不邮寄USB Key，不收取介质费，也无需填写邮寄信息。
2. 密钥：私钥只在您的浏览器中生成，并以您设定的PIN码加密保存在证书文件中，从不发送给我们。我们只收到证书请求（公钥和签名），不持有、不备份您的私钥，无法为您恢复。
3. PIN码：证书文件的PIN码由您自己设定，我们不知道该PIN码，也不通过打款附言或短信发送。请妥善保管证书文件、牢记PIN码，不得交给他人使用。
4. 遗失与遗忘：证书文件丢失、损坏或忘记PIN码的，无法解锁，也无法找回；请申请撤销该证书，再重新申请新办。证书文件和PIN码可能被他人获知的，请立即申请撤销证书。
5. 使用：证书文件（PKCS#12）可导入支持证书文件的应用，使用时输入您设定的PIN码。$body$,
        'hall', NULL, '{new}', 1, 4, '2026-11-01 00:00:00+08');
