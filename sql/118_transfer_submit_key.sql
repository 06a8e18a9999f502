-- 118_transfer_submit_key: a transfer voucher's payment carries the key of
-- the request that stored it (the pay page's form key, or the request's id
-- when the client sent none: modules/pay/pay.c, do_transfer).  A voucher
-- whose answer was lost (the connection broke with the COMMIT in flight:
-- 503, outcome unknown, the key in the answer) and that is sent again with
-- that key finds the payment it stored instead of 409 该业务单当前状态不能缴费.
-- Not unique: the order's lock and its move out of unpaid make one pending
-- transfer per order; a voucher refused by finance puts the order back to
-- unpaid, and a form sent again after that with its old key is a new voucher.
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE payments ADD COLUMN submit_key text NULL
    CHECK (submit_key ~ '^[A-Za-z0-9_-]{16,64}$');
CREATE INDEX payments_submit_key_idx ON payments (order_id, submit_key)
    WHERE submit_key IS NOT NULL;
