-- What the revenue report reads over [p_from, p_to] (report_src_sql), in
-- Beijing days.
CREATE OR REPLACE FUNCTION report_money_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, business_type text, gross bigint, refund bigint)
LANGUAGE plpgsql STABLE
SET TimeZone = 'Asia/Shanghai' AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('money', p_from, p_to);
END
$$;
