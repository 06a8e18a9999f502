-- 114_seeds_words: what the seeds print that the catalogue did not carry yet
-- (issue 40 §6).
--
-- partners.print_title: the title of the printed application form of
-- 证书新办 (and 电子签章申请) below the CA's name: seed 003 prints
-- 《机构数字证书申请表》 for 建筑工务署, seed 002 电子招投标数字证书申请表（通用）
-- for Hunan; NULL: the hall's 数字证书申请表 (seed 004).
--
-- partners.new_agree_button: the button under the agreements of 证书新办:
-- seed 003 (建筑工务署) reads 进入新办; NULL: 下一步.
--
-- products: the algorithm is part of what a product is.  products.ca
-- (sql/014: the CA that signs, ecc or sm2) was one per partner, business and
-- certificate type; now a partner may sell the same type on both
-- hierarchies, and the generic hall sells its 机构证书 as SM2 too (国密:
-- SM3withSM2 by the sm2 CA, at the ECDSA product's price and terms).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE partners ADD COLUMN print_title text NULL
    CHECK (length(print_title) BETWEEN 2 AND 40);

COMMENT ON COLUMN partners.print_title IS
    'title of the printed 证书新办 application form; NULL: 数字证书申请表';

UPDATE partners SET print_title = '机构数字证书申请表' WHERE code = 'szjsgws';
UPDATE partners SET print_title = '电子招投标数字证书申请表（通用）' WHERE code = 'hunan';

ALTER TABLE partners ADD COLUMN new_agree_button text NULL
    CHECK (length(new_agree_button) BETWEEN 2 AND 12);

COMMENT ON COLUMN partners.new_agree_button IS
    'the button under the agreements of 证书新办; NULL: 下一步';

UPDATE partners SET new_agree_button = '进入新办' WHERE code = 'szjsgws';

ALTER TABLE products DROP CONSTRAINT products_partner_code_business_type_cert_type_key;
ALTER TABLE products ADD CONSTRAINT products_partner_business_type_ca_key
    UNIQUE (partner_code, business_type, cert_type, ca);

INSERT INTO products
SELECT (jsonb_populate_record(NULL::products, to_jsonb(p) || jsonb_build_object(
        'id', nextval(pg_get_serial_sequence('products', 'id')),
        'name', '机构证书（国密SM2）', 'ca', 'sm2'))).*
  FROM products p
 WHERE partner_code = 'hall' AND business_type = 'new' AND cert_type = 'org' AND ca = 'ecc';
