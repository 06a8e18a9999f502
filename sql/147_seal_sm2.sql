-- 147_seal_sm2: the hall's 电子签章 on sale as 国密 (SM2) too (issue 63 §2).
--
-- A product's algorithm is catalogue data (products.ca, sql/114): the
-- generic hall sold its 机构证书 on both hierarchies, but its seals only as
-- ECDSA.  Each seal product of the hall gets its SM2 twin, at the same price
-- and terms: 录入信息 of 电子签章申请 offers 证书算法 where a partner sells
-- its seals on both (core/flow/entry.c's ca_choice), the order
-- takes the 机构章 product of the algorithm chosen (orders.product_id) and
-- each seal the product of its kind with the same algorithm
-- (seal_items.product_id); production issues the seals' certificates under
-- the order's product's CA (core/biz/produce.c, sealprod.c).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO products
SELECT (jsonb_populate_record(NULL::products, to_jsonb(p) || jsonb_build_object(
        'id', nextval(pg_get_serial_sequence('products', 'id')),
        'name', p.name || '（国密SM2）', 'ca', 'sm2'))).*
  FROM products p
 WHERE partner_code = 'hall' AND business_type = 'seal' AND ca = 'ecc'
 ORDER BY p.sort_order, p.id;
