-- Certificates: issued and revoked in [p_from, p_to] per partner and
-- business, a row (of zeros, maybe) for every pair that has a signed
-- certificate at all (so all days are read), and the certificates expiring
-- within 30, 60, 90 days of now, live; the customers' only (an order's, not
-- the hall's service certificates, sql/156).
CREATE OR REPLACE FUNCTION report_certs_src(p_from date, p_to date)
RETURNS TABLE (partner_code text, business_type text, issued bigint, revoked bigint,
               e30 bigint, e60 bigint, e90 bigint)
LANGUAGE plpgsql STABLE
SET TimeZone = 'Asia/Shanghai' AS $$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT c.partner_code, c.business_type,'
        ' coalesce(sum(c.n) FILTER (WHERE c.kind = ''i'' AND c.day >= $1 AND c.day <= $2), 0)::bigint,'
        ' coalesce(sum(c.n) FILTER (WHERE c.kind = ''r'' AND c.day >= $1 AND c.day <= $2), 0)::bigint,'
        ' 0::bigint, 0::bigint, 0::bigint'
        ' FROM (' || report_src_sql('certs', '-infinity', '9999-12-30') || ') c GROUP BY 1, 2'
        ' UNION ALL'
        ' SELECT c.partner_code, c.business_type, 0::bigint, 0::bigint,'
        ' count(*) FILTER (WHERE c.not_after < now() + interval ''30 days''),'
        ' count(*) FILTER (WHERE c.not_after < now() + interval ''60 days''), count(*)'
        ' FROM certificates c'
        ' WHERE c.state = ''issued'' AND c.kind = ''order'' AND c.not_after >= now()'
        ' AND c.not_after < now() + interval ''90 days'' GROUP BY 1, 2'
        USING p_from, p_to;
END
$$;
