-- report_live_<kind>(a, b): the roll-up's figures of [a, b) computed from
-- the source table; the roll-up stores nothing else.  No SET clause, so that
-- PostgreSQL inlines it into report_src_sql's queries, which run with the
-- callers' TimeZone Asia/Shanghai.
-- Certificates signed ('i', by issued_at) and revoked ('r', by revoked_at)
-- per day, partner and business: the customers' (an order's); the hall's
-- own service certificates (kind 'service', sql/156) are no business.
CREATE OR REPLACE FUNCTION report_live_certs(a timestamptz, b timestamptz)
RETURNS TABLE (day date, kind "char", partner_code text, business_type text, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.issued_at::date, 'i'::"char", c.partner_code, c.business_type, count(*)
      FROM certificates c
     WHERE c.state IN ('issued', 'revoked') AND c.kind = 'order'
       AND c.issued_at >= a AND c.issued_at < b
     GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT c.revoked_at::date, 'r'::"char", c.partner_code, c.business_type, count(*)
      FROM certificates c
     WHERE c.state = 'revoked' AND c.kind = 'order' AND c.revoked_at >= a AND c.revoked_at < b
     GROUP BY 1, 2, 3, 4
$$;
