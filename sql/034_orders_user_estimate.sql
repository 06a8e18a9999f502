-- 034_orders_user_estimate: the planner's guess of orders per applicant
-- from 20 to 100 (issue 10).
--
-- sql/029 told the planner that an applicant has about 20 orders
-- (n_distinct = -0.05), so that a generic plan of the order list walks the
-- applicant's index.  With that guess equal to the page's LIMIT 20, the
-- generic plan of orders_first (我的业务单, page 1) turned, once ANALYZE had
-- seen many applicants' rows interleaved, into a bitmap scan of ALL the
-- applicant's orders and a sort: 167 heap pages and 0.9 ms for an
-- applicant with 1,000 orders, against 0.1 ms for the index scan in order
-- that stops after 20 rows (EXPLAIN ANALYZE on bench/run's database; the
-- list's PostgreSQL CPU per request went from 0.12 to 0.31 ms in the
-- rounds after the applies).  With 100 guessed, stopping after 20 is the
-- cheaper plan whatever the statistics; the applicant's index is still the
-- only one worth walking.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE orders ALTER COLUMN user_id SET (n_distinct = -0.01);
ANALYZE orders;
