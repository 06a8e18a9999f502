-- 017_report_sources.sql: the reports read the tables the back office
-- keeps, now that they exist side by side (015_office.sql made interim
-- views before 010_money.sql's refunds and 014_pki.sql's certificates were
-- merged):
--
-- report_money: +fen for every paid payment, -fen for every refund that was
--   paid back (refunds.status 'done' through the gateway, or 'manual' for a
--   corporate transfer finance repaid by hand), at the time it was.  A
--   surplus payment and its automatic refund cancel out.
-- report_certificates: one row per certificate signed (issued or revoked
--   later); 'intent' and 'void' rows were never handed out.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE OR REPLACE VIEW report_money AS
    SELECT p.order_id, p.paid_at AS at, p.amount_fen::bigint AS fen
      FROM payments p
     WHERE p.paid_at IS NOT NULL AND p.amount_fen > 0
    UNION ALL
    SELECT r.order_id, coalesce(r.done_at, r.decided_at, r.created_at), -r.amount_fen::bigint
      FROM refunds r
     WHERE r.status IN ('done', 'manual');

COMMENT ON VIEW report_money IS 'money per order: +fen paid (payments), -fen paid back (refunds done or manual) (017)';

CREATE OR REPLACE VIEW report_certificates AS
    SELECT c.order_id, o.partner_code, o.business_type,
           c.issued_at, c.revoked_at, c.not_after
      FROM certificates c JOIN orders o ON o.id = c.order_id
     WHERE c.state IN ('issued', 'revoked');

COMMENT ON VIEW report_certificates IS 'certificates signed, from the certificates table (017)';
