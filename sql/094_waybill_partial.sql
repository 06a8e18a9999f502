-- 094_waybill_partial: the waybill numbers' uniqueness is a partial unique
-- index over the orders that have one (issue 27, information entry).
--
-- waybill_no UNIQUE (sql/014) made a unique index over every order, whose
-- entries are almost all NULL (an order gets its waybill when shipped):
-- each new order inserted a NULL entry into it, an eighth of the index
-- entries an order's INSERT writes, and its WAL.  NULLs never conflict, so
-- a unique index WHERE waybill_no IS NOT NULL keeps the same rule; the one
-- query by waybill (hall-pki's courier events, WHERE waybill_no = $1)
-- implies the predicate and uses it.  Same name as before.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE orders DROP CONSTRAINT orders_waybill_no_key;
CREATE UNIQUE INDEX orders_waybill_no_key ON orders (waybill_no) WHERE waybill_no IS NOT NULL;
