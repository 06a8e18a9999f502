-- 040_seal_pages: a seal in the style 根据印模样式抠图 takes its picture from
-- the impression its applicant uploads on the 证书附页 page, and the
-- applicant confirms the cut-out before the order can go on to review
-- (docs/modules/seal.md).
--
-- image_confirmed is false only while a cut-out waits for that
-- confirmation; a drawn picture (工具自动生成) needs none.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE seal_items
    ADD COLUMN image_confirmed boolean NOT NULL DEFAULT true;
