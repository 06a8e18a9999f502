-- 182_seal_form_title: the seal collection form by the name the partner's
-- guide gives it (issue 72 §4; seed 003).
--
-- The hall calls the form the applicant prints, stamps and uploads for a
-- seal 电子签章采集表 (seed 001, the catalogue's material seal_form).  The
-- 建筑工务署 guide (seed 003) asks for 《数字证书印模采集表》 (办理电子签章需
-- 上传): its applicants read that name on 上传资料.  partners.seal_form_title
-- is the name a partner's pages give the material; NULL the hall's own.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE partners ADD COLUMN seal_form_title text NULL
    CHECK (length(seal_form_title) BETWEEN 2 AND 40);

COMMENT ON COLUMN partners.seal_form_title IS
    'the seal collection form''s name on the partner''s 上传资料 (seed 003: 数字证书印模采集表); NULL: 电子签章采集表';

UPDATE partners SET seal_form_title = '数字证书印模采集表' WHERE code = 'szjsgws';
