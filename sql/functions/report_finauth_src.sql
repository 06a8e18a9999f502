-- What the 法人认证 report reads over [p_from, p_to] (report_src_sql), in
-- Beijing days.
CREATE OR REPLACE FUNCTION report_finauth_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, result text, n bigint)
LANGUAGE plpgsql STABLE
SET TimeZone = 'Asia/Shanghai' AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('finauth', p_from, p_to);
END
$$;
