-- 095_order_files_created_comment: what the index order_files_created
-- (sql/011) serves, said by the database itself.  It was made for the
-- applicant's daily upload cap, which counted the files of the applicant's
-- orders of the last 24 hours; since sql/031 the cap reads its kept row in
-- user_daily and no statement counts files for it.  The index still finds
-- all the files of one order, replaced ones included (the partial
-- order_files_order_idx of sql/004 has only the current ones): the staff's
-- materials list of an order (modules/admin, statement order_files), which
-- shows the replaced files too.  sql/011's own comment is corrected in place
-- (script/migrate records a migration's name only, no checksum).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

COMMENT ON INDEX order_files_created IS
    'all the files of an order, replaced ones included (the staff''s materials list, modules/admin order_files); '
    'not the daily upload cap, which reads user_daily since 031 (095)';
