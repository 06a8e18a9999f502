-- report_live_<kind>(a, b): see report_live_certs.  Money per day, partner
-- and business: paid (gross) and paid back (refund), from report_money.
-- requires: views/report_money.sql
CREATE OR REPLACE FUNCTION report_live_money(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, business_type text, gross bigint, refund bigint)
LANGUAGE sql STABLE AS $$
    SELECT m.at::date, o.partner_code, o.business_type,
           coalesce(sum(m.fen) FILTER (WHERE m.fen > 0), 0)::bigint,
           coalesce(-sum(m.fen) FILTER (WHERE m.fen < 0), 0)::bigint
      FROM report_money m
           JOIN LATERAL (SELECT o.partner_code, o.business_type FROM orders o WHERE o.id = m.order_id OFFSET 0) o ON true
     WHERE m.at >= a AND m.at < b
     GROUP BY 1, 2, 3
$$;
