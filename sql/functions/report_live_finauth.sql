-- report_live_<kind>(a, b): see report_live_certs.  Micro-deposit
-- verifications (法人认证) per day, partner and result.
CREATE OR REPLACE FUNCTION report_live_finauth(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, result text, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT f.created_at::date, o.partner_code, f.result, count(*)
      FROM finauth_attempts f
           JOIN LATERAL (SELECT o.partner_code, o.business_type FROM orders o WHERE o.id = f.order_id OFFSET 0) o ON true
     WHERE f.created_at >= a AND f.created_at < b
     GROUP BY 1, 2, 3
$$;
