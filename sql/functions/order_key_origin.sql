-- Where the key pair of an order's certificate is born (docs/internals/
-- pki.md, "Key birth"): 'browser' when the holder's browser makes it (the
-- order page's 生成密钥并下载证书, POST /pki/csr; core/biz/produce_csr.c),
-- 'hall' when the production station does (制作证书, hall-outbox's
-- auto_issue: a file or a USB key, core/biz/produce.c).  A certificate made
-- in the browser stays in the browser: its 补办, 更新, 变更 and 解锁 are
-- 'browser' whatever the product that prices them (sql/160); otherwise the
-- order's product says (products.key_origin, sql/151).  An SM2
-- certificate's key is always the browser's (sql/161: no medium has an SM2
-- signature mechanism, and the hall makes no file), whatever the product:
-- an SM2 电子签章申请's 机构证书 and an SM2 新办 with its bundled seal too,
-- their seals made with it (core/biz/produce_csr_seal.c).  An ECDSA
-- 电子签章申请 is the station's ('hall': its 机构业务章's keys are born on
-- the order's USB key); a 新办 with a bundled seal is its product's.  NULL
-- for no such order.
CREATE OR REPLACE FUNCTION order_key_origin(of_order bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN old.key_origin = 'browser' THEN 'browser'
                WHEN coalesce(old.ca, p.ca) = 'sm2' THEN 'browser'
                WHEN o.business_type = 'seal' THEN 'hall'
                ELSE p.key_origin END
      FROM orders o JOIN products p ON p.id = o.product_id
      LEFT JOIN certificates old ON old.serial = o.reissue_of
     WHERE o.id = $1
$$;
