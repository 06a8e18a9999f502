-- 044_refusal_delivery: two things the hall now keeps (issue 22 §7).
--
-- payments.refused_reason: finance's reason for 退回 of a transfer voucher,
-- shown to the applicant on the order and the pay page and sent by SMS.
--
-- orders.delivery_received_at: when the hall received the courier's signed
-- 已签收 callback, beside delivered_at (the time the carrier's body claims).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE payments
    ADD COLUMN refused_reason text NULL
        CHECK (length(refused_reason) BETWEEN 1 AND 200),
    ADD CONSTRAINT payments_refused_reason_state
        CHECK (refused_reason IS NULL OR status = 'refused');

-- (NULL for deliveries recorded before this column: their receive time
-- was not kept.)
ALTER TABLE orders ADD COLUMN delivery_received_at timestamptz NULL;
