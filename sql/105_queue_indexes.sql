-- 105_queue_indexes: the staff queues read their page from an index in
-- their own order, whatever the size of the queue and of orders.
--
-- 制作证书 and 邮寄 (modules/pki's "queue") ordered the whole queue to show
-- its first 200 rows, and joined it to certificates by a hash join that read
-- every certificate: over a year of a CA (1,000,000 orders, 260,000 of them
-- accepted) the page took 1.3 s in PostgreSQL (bench/volume).  The review
-- queue (modules/admin) sorted its queue for each page in the same way.
-- Each index holds only its queue's rows, so an order costs an index entry
-- only while it waits in one; the statements name the statuses as literals
-- so that a generic plan may use them.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- modules/pki's "queue": ORDER BY ship_by NULLS LAST, review_due NULLS LAST, id
CREATE INDEX orders_ship_queue_idx ON orders (status, ship_by, review_due, id)
    WHERE status IN ('accepted', 'issued');

-- modules/admin's "queue_review": ORDER BY review_due NULLS LAST, submitted_at, id
CREATE INDEX orders_review_queue_idx ON orders (review_due, submitted_at, id)
    WHERE status = 'review';
