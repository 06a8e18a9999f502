-- 036_holder_id.sql: 电子签章 — each 机构个人章's holder gets a 机构个人证书,
-- so the order asks for that person's ID scan (seed 001, 上传资料: 添加机构
-- 个人身份证扫描件, one per holder; none without a 机构个人章).  One material
-- kind per holder, holder_id_1 … holder_id_50 after the seal's position
-- (seal_items.position of kind org_person), so that an upload replaces
-- that holder's scan only.
ALTER TABLE order_files DROP CONSTRAINT order_files_kind_check;
ALTER TABLE order_files ADD CONSTRAINT order_files_kind_check
    CHECK (kind ~ '^[a-z_]{1,32}$' OR kind ~ '^holder_id_([1-9]|[1-4][0-9]|50)$');
