-- 128_center_orders_label: a partner's own entry in 个人中心 (seed 001's
-- menu of 光大环境: 我的业务单-光大环境内部应用): the label of the list of the
-- applicant's orders made through that partner (/center/orders?channel=),
-- NULL for a partner without one.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE partners ADD COLUMN center_orders_label text
    CHECK (center_orders_label IS NULL OR length(center_orders_label) BETWEEN 1 AND 40);
COMMENT ON COLUMN partners.center_orders_label IS
    '个人中心''s entry 我的业务单-<label>: the orders made through this partner (seed 001: 光大环境内部应用)';
UPDATE partners SET center_orders_label = '光大环境内部应用' WHERE code = 'gdhj';
