-- report_live_<kind>(a, b): see report_live_certs.  Orders by the day they
-- were created, per partner, business, status and steps reached: how many
-- and their amount (the orders and funnel reports).
CREATE OR REPLACE FUNCTION report_live_orders(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, business_type text, status text, reached smallint,
               n bigint, fen bigint)
LANGUAGE sql STABLE AS $$
    SELECT o.created_at::date, o.partner_code, o.business_type, o.status, o.reached,
           count(*), coalesce(sum(o.amount_fen), 0)
      FROM orders o
     WHERE o.created_at >= a AND o.created_at < b
     GROUP BY 1, 2, 3, 4, 5
$$;
