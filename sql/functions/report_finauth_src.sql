CREATE OR REPLACE FUNCTION report_finauth_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, result text, n bigint)
LANGUAGE plpgsql STABLE
SET TimeZone = 'Asia/Shanghai' AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('finauth', p_from, p_to);
END
$$;
