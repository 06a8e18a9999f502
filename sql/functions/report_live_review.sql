-- report_live_<kind>(a, b): see report_live_certs.  Review decisions by the
-- day decided, with the day submitted and whether within the due date (the
-- working-day SLA report).
CREATE OR REPLACE FUNCTION report_live_review(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, business_type text, sub_day date, on_time boolean,
               n bigint)
LANGUAGE sql STABLE AS $$
    SELECT o.decided_at::date, o.partner_code, o.business_type, o.submitted_at::date,
           o.decided_at::date <= o.review_due, count(*)
      FROM orders o
     WHERE o.decided_at >= a AND o.decided_at < b AND o.review_due IS NOT NULL
     GROUP BY 1, 2, 3, 4, 5
$$;
