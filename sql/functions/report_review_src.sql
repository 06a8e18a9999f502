-- What the review SLA report reads over [p_from, p_to] (report_src_sql), in
-- Beijing days.
CREATE OR REPLACE FUNCTION report_review_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, business_type text, sub_day date, on_time boolean,
               n bigint)
LANGUAGE plpgsql STABLE
SET TimeZone = 'Asia/Shanghai' AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('review', p_from, p_to);
END
$$;
