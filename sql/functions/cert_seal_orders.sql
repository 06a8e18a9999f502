-- The seal orders (电子签章申请) whose 机构证书 the certificate serial is
-- or replaced: the certificate, the one its order replaced (orders.reissue_of:
-- 补办, 更新, 变更, 解锁), and so on back to the seal order that made the
-- first.  Their 业务章 carry the unit's name that certificate carries.
CREATE OR REPLACE FUNCTION cert_seal_orders(p_serial text) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE back(order_id, depth) AS (
        SELECT c.order_id, 0 FROM certificates c
         WHERE c.serial = p_serial AND c.seal_item_id IS NULL
        UNION ALL
        SELECT p.order_id, b.depth + 1 FROM back b
          JOIN orders o ON o.id = b.order_id
          JOIN certificates p ON p.serial = o.reissue_of AND p.seal_item_id IS NULL
         WHERE b.depth < 64
    )
    SELECT o.id FROM back b JOIN orders o ON o.id = b.order_id WHERE o.business_type = 'seal'
$$;
