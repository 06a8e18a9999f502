-- 100_business_seal_rename: a 机构业务章 follows its unit's new name.
--
-- A 机构业务章 lists a certificate of its own (机构业务证书: CN 机构名称 +
-- 印章名称, O 机构名称), not the seal order's 机构证书.  When a 变更 changes
-- the unit's name, the production of the new 机构证书 also gives each valid
-- 业务章 of that unit's seal orders a new certificate of its own with the
-- new name, and revokes the old one as superseded, in the same transaction
-- (core/biz/sealprod.c, docs/modules/seal.md).  For that while, a seal has
-- its old certificate 'issued' and the new one's 'intent' at once; the one
-- live certificate per seal (027) becomes at most one 'issued' and at most
-- one 'intent' per seal: never two valid ones, never two being made.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

DROP INDEX certificates_live_seal;
CREATE UNIQUE INDEX certificates_issued_seal ON certificates (seal_item_id)
    WHERE state = 'issued' AND seal_item_id IS NOT NULL;
CREATE UNIQUE INDEX certificates_intent_seal ON certificates (seal_item_id)
    WHERE state = 'intent' AND seal_item_id IS NOT NULL;

-- The seal orders (电子签章申请) whose 机构证书 the certificate serial is
-- or replaced: the certificate, the one its order replaced (orders.reissue_of:
-- 补办, 更新, 变更, 解锁), and so on back to the seal order that made the
-- first.  Their 业务章 carry the unit's name that certificate carries.
CREATE FUNCTION cert_seal_orders(p_serial text) RETURNS SETOF bigint
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
