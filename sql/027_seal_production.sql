-- 027_seal_production.sql: the seals of a 电子签章申请 are produced with the
-- order's certificate (core/sealprod.c, docs/modules/seal.md).
--
-- Seed 001 counts certificates per seal: 机构证书 at most 1 (相当于单位公章),
-- 机构业务证书 at most 8 online, 机构个人证书 for each person.  The order's
-- certificate is the 机构证书 (certificates.seal_item_id NULL, one live per
-- order as before); each 机构业务章 and 机构个人章 gets a certificate of its
-- own (seal_item_id its seal_items row, one live per seal).  Every query of
-- "the order's certificate" keeps to seal_item_id IS NULL.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE certificates ADD COLUMN seal_item_id bigint NULL REFERENCES seal_items(id);

DROP INDEX certificates_live_order;
CREATE UNIQUE INDEX certificates_live_order ON certificates (order_id)
    WHERE state IN ('intent', 'issued') AND seal_item_id IS NULL;
CREATE UNIQUE INDEX certificates_live_seal ON certificates (seal_item_id)
    WHERE state IN ('intent', 'issued') AND seal_item_id IS NOT NULL;

-- a seal revoked by an operator (POST /admin/seal/revoke): why and by whom
ALTER TABLE seseals ADD COLUMN revoke_reason text NULL
    CHECK (revoke_reason IS NULL OR char_length(revoke_reason) BETWEEN 2 AND 200);
ALTER TABLE seseals ADD COLUMN revoked_by text NULL;
