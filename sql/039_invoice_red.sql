-- 039_invoice_red: the money documents in the seeds' order (issue 22 §2).
--
-- The e-invoice is queued when the order is approved (seeds 001/002:
-- 审核通过后…开具电子发票), no longer when it is paid.  An order refunded
-- after its invoice issued gets ONE red-letter invoice (红字发票, 红冲) for
-- the whole amount: the outbox job "invoice_red" keyed invoice-red-<order>
-- (modules/outbox), recorded here beside the blue one.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE invoices
    ADD COLUMN red_invoice_no text NULL UNIQUE
        CHECK (red_invoice_no ~ '^[0-9A-Za-z]{1,32}$'),
    ADD COLUMN red_url text NULL CHECK (red_url ~ '^https?://' AND length(red_url) <= 1024),
    ADD COLUMN red_issued_at timestamptz NULL,
    ADD CONSTRAINT invoices_red_whole
        CHECK ((red_invoice_no IS NULL) = (red_url IS NULL)
           AND (red_invoice_no IS NULL) = (red_issued_at IS NULL));
