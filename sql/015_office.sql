-- 015_office.sql: what the reports (modules/report), the e-invoice and the
-- staff's outbox retry read.  docs/modules/report.md explains each report.
--
-- 1. orders.reached: the funnel milestones an order has ever reached, as
--    bits (1 submitted, 2 paid, 4 approved, 8 issued, 16 delivered), kept by
--    a trigger whenever status changes, so the funnel over a million orders
--    is one scan of orders instead of a join with the audit log.  States
--    other helpers add (issued, shipped, delivered, refund states) are named
--    here already; an unknown state adds no bit.
-- 2. orders.decided_at: when the last review decision (accepted/rejected)
--    was taken; with submitted_at and review_due (004, core/order.c) it
--    gives the review time against the partner's SLA in working days.
--    orders.issued_reached_at: when the order first reached 'issued'.
-- 3. report_money: every movement of money as +fen (paid) or -fen
--    (refunded), the one place revenue is read from.
-- 4. report_certificates: what the certificate report reads.  Until the
--    certificates table exists it is derived from orders (issued_reached_at,
--    years); the lead replaces this view when the pki branch is merged.
-- 5. invoices: one e-invoice per order, issued by the outbox job 'invoice'.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE orders ADD COLUMN reached smallint NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN decided_at timestamptz NULL;
ALTER TABLE orders ADD COLUMN issued_reached_at timestamptz NULL;

-- The milestones a status implies (cumulative: a paid order was submitted).
CREATE FUNCTION order_reached_bits(p_status text)
RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE
        WHEN p_status IN ('unpaid', 'transfer_review') THEN 1
        WHEN p_status IN ('finauth_pending', 'finauth_ok', 'finauth_failed', 'review',
                          'rejected', 'refund_requested', 'refunded') THEN 3
        WHEN p_status = 'accepted' THEN 7
        WHEN p_status IN ('issued', 'shipped') THEN 15
        WHEN p_status = 'delivered' THEN 31
        ELSE 0 END)::smallint
$$;

-- Existing orders: what their status and their audit rows say.
UPDATE orders o SET
    reached = order_reached_bits(o.status) | coalesce((
        SELECT bit_or(order_reached_bits(a.to_state))::smallint FROM audit_log a
         WHERE a.entity = 'order' AND a.entity_id = o.id::text AND a.action = 'status'), 0),
    decided_at = (
        SELECT max(a.at) FROM audit_log a
         WHERE a.entity = 'order' AND a.entity_id = o.id::text AND a.action = 'status'
           AND a.to_state IN ('accepted', 'rejected'));

-- On INSERT the columns are taken as given (the benchmark seeds history);
-- on a status change the trigger stamps them.
CREATE FUNCTION orders_reached() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.reached := NEW.reached | order_reached_bits(NEW.status);
    IF TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status THEN
        IF NEW.status IN ('accepted', 'rejected') THEN
            NEW.decided_at := now();
        END IF;
        IF NEW.status = 'issued' AND NEW.issued_reached_at IS NULL THEN
            NEW.issued_reached_at := now();
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_reached BEFORE INSERT OR UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_reached();

-- Reports filter by day ranges of these times (bench/reports: 1,000,000 orders).
-- The columns the orders and funnel reports group and count are included,
-- so that a range of created_at is read from the index alone (index-only
-- scan: about a third of the table's pages).
CREATE INDEX orders_created_idx ON orders (created_at)
    INCLUDE (id, partner_code, business_type, status, reached, amount_fen);
CREATE INDEX orders_decided_idx ON orders (decided_at)
    INCLUDE (partner_code, business_type, submitted_at, review_due) WHERE decided_at IS NOT NULL;
CREATE INDEX orders_issued_idx ON orders (issued_reached_at) WHERE issued_reached_at IS NOT NULL;
CREATE INDEX payments_paid_idx ON payments (paid_at) WHERE paid_at IS NOT NULL;
-- refunds are few: report_money finds them without reading every payment
CREATE INDEX payments_refund_idx ON payments (order_id) WHERE status = 'refunded' OR amount_fen < 0;
CREATE INDEX finauth_attempts_created_idx ON finauth_attempts (created_at);
-- the staff's list of dead outbox jobs
CREATE INDEX outbox_dead_idx ON outbox (id) WHERE status = 'dead';

-- Money in and out, one row per movement: at (when), fen (+ paid, - refunded).
-- Columns read: payments.order_id, amount_fen, status, paid_at, updated_at;
-- orders.id, status, updated_at.  A refund is subtracted whichever way it is
-- recorded:
--   * a payment row with a negative amount_fen (a refund booked as a row);
--   * a payment row whose status is 'refunded' (counted in when paid and
--     out again when refunded);
--   * on main today, neither exists: an order whose status is 'refunded'
--     gives back what its paid payments brought, at the order's updated_at,
--     unless one of the two records above exists for it.
-- A refunds table (money branch) becomes one more UNION ALL branch here.
-- Each branch is written so that the planner estimates it well (the first
-- is nearly every payment, the others are few and read through partial
-- indexes): a misestimate here turned the join with orders into a nested
-- loop over a million rows (bench/reports).
CREATE VIEW report_money AS
    SELECT p.order_id, p.paid_at AS at, p.amount_fen::bigint AS fen
      FROM payments p
     WHERE p.paid_at IS NOT NULL AND p.amount_fen > 0
    UNION ALL
    -- refunded payments that no longer carry paid_at still came in
    SELECT p.order_id, p.created_at, p.amount_fen::bigint
      FROM payments p
     WHERE (p.status = 'refunded' OR p.amount_fen < 0) AND p.status = 'refunded'
       AND p.paid_at IS NULL AND p.amount_fen > 0
    UNION ALL
    SELECT p.order_id, p.updated_at,
           CASE WHEN p.amount_fen < 0 THEN p.amount_fen ELSE -p.amount_fen END::bigint
      FROM payments p
     WHERE (p.status = 'refunded' OR p.amount_fen < 0)
    UNION ALL
    SELECT o.id, o.updated_at,
           -(SELECT coalesce(sum(p.amount_fen), 0) FROM payments p
              WHERE p.order_id = o.id AND p.paid_at IS NOT NULL)::bigint
      FROM orders o
     WHERE o.status = 'refunded'
       AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.order_id = o.id
                          AND (r.status = 'refunded' OR r.amount_fen < 0));

COMMENT ON VIEW report_money IS 'money per order: +fen paid, -fen refunded (015_office.sql)';

-- The certificate report's source.  Expected columns, whatever the source:
-- order_id, partner_code, business_type, issued_at, revoked_at, not_after.
-- Derived from orders until the certificates table exists (no revocations
-- are known then); replace with CREATE OR REPLACE VIEW over certificates.
CREATE VIEW report_certificates AS
    SELECT o.id AS order_id, o.partner_code, o.business_type,
           o.issued_reached_at AS issued_at, NULL::timestamptz AS revoked_at,
           o.issued_reached_at + make_interval(years => o.years) AS not_after
      FROM orders o
     WHERE o.issued_reached_at IS NOT NULL;

COMMENT ON VIEW report_certificates IS 'interim: from orders until the certificates table exists';

-- E-invoices (电子发票): one per order that asked for one (是否开票 是),
-- issued by the outbox job 'invoice' once the order is paid.  The link goes
-- by SMS and e-mail; 重新获取 in the personal center sends it again
-- (resends counts them).  Title and taxpayer ID stay in the order's
-- encrypted form; the e-invoice service keeps its own copy.
CREATE TABLE invoices (
    order_id        bigint PRIMARY KEY REFERENCES orders(id),
    invoice_no      text NOT NULL UNIQUE CHECK (invoice_no ~ '^[0-9A-Za-z]{1,32}$'),
    url             text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 1024),
    amount_fen      integer NOT NULL CHECK (amount_fen > 0),
    resends         integer NOT NULL DEFAULT 0 CHECK (resends >= 0),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    last_resent_at  timestamptz NULL
);
