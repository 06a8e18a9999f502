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
