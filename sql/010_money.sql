-- 010_money.sql: refunds (退费), one form submit = one order.
--
-- refunds: one row per refund of one paid payment.
--   kind 'surplus': a second payment of an order already paid (two tabs,
--     a late cashier page): created by the payment callback, approved at
--     once (nobody has to ask), refunded through the outbox job pay_refund.
--   kind 'request': the applicant's 申请退费; finance approves (outbox job
--     pay_refund for online payments; a corporate transfer is paid back by
--     hand and recorded as such) or refuses with a reason.
-- status: requested -> approved -> done | refused; 'manual' is a corporate
-- transfer finance repaid by hand (note says how).
--
-- orders.submit_key: the key of the rendered 录入信息 form that created the
-- order; a second submit of the same form finds the order instead of
-- creating another one (issue 7, item 5).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE refunds (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id),
    payment_id  bigint NOT NULL REFERENCES payments(id),
    kind        text NOT NULL CHECK (kind IN ('surplus', 'request')),
    amount_fen  integer NOT NULL CHECK (amount_fen > 0),
    status      text NOT NULL DEFAULT 'requested'
                CHECK (status IN ('requested', 'approved', 'done', 'refused', 'manual')),
    -- the applicant's reason (request) or what happened (surplus)
    reason      text NULL CHECK (length(reason) <= 200),
    -- finance: why refused, or how a transfer was paid back
    note        text NULL CHECK (length(note) <= 200),
    -- the order's status when the refund was asked for: a refusal puts it back
    from_status text NULL,
    refund_no   text NULL CHECK (refund_no ~ '^[A-Za-z0-9]{1,64}$'),
    decided_by  text NULL,
    decided_at  timestamptz NULL,
    done_at     timestamptz NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- a payment is refunded at most once (a refused request may be asked again)
CREATE UNIQUE INDEX refunds_payment_idx ON refunds (payment_id) WHERE status <> 'refused';

CREATE INDEX refunds_queue_idx ON refunds (status, created_at) WHERE status IN ('requested', 'approved');
CREATE INDEX refunds_order_idx ON refunds (order_id);

ALTER TABLE orders ADD COLUMN submit_key text NULL CHECK (submit_key ~ '^[A-Za-z0-9_-]{16,64}$');
CREATE UNIQUE INDEX orders_submit_key_idx ON orders (user_id, submit_key) WHERE submit_key IS NOT NULL;
