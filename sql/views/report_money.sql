-- Money per order for the revenue report: +fen paid (payments), -fen paid
-- back (refunds done or manual).
CREATE OR REPLACE VIEW report_money AS
    SELECT p.order_id, p.paid_at AS at, p.amount_fen::bigint AS fen
      FROM payments p
     WHERE p.paid_at IS NOT NULL AND p.amount_fen > 0
    UNION ALL
    SELECT r.order_id, coalesce(r.done_at, r.decided_at, r.created_at), -r.amount_fen::bigint
      FROM refunds r
     WHERE r.status IN ('done', 'manual');

COMMENT ON VIEW report_money IS 'money per order: +fen paid (payments), -fen paid back (refunds done or manual) (017)';
