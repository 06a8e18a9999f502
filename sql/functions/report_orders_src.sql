-- What the orders and funnel reports read over [p_from, p_to]
-- (report_src_sql), in Beijing days.
CREATE OR REPLACE FUNCTION report_orders_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, business_type text, status text, reached smallint,
               n bigint, fen bigint)
LANGUAGE plpgsql STABLE
SET TimeZone = 'Asia/Shanghai' AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('orders', p_from, p_to);
END
$$;
