-- Agreements to show (and record) for a partner and business type: the
-- current version of each code, generic rows minus the ones the partner
-- replaces.
CREATE OR REPLACE FUNCTION agreements_for(p_partner text, p_business text, p_at timestamptz DEFAULT now())
RETURNS TABLE (code text, version text, title text, checkbox_group smallint, sort_order smallint)
LANGUAGE sql STABLE AS $$
    WITH cur AS (
        SELECT DISTINCT ON (a.code) a.*
          FROM agreements a
         WHERE a.effective_at <= p_at
           AND (a.partner_code IS NULL OR a.partner_code = p_partner)
           AND (a.business_types IS NULL OR p_business = ANY (a.business_types))
         ORDER BY a.code, a.effective_at DESC
    )
    SELECT c.code, c.version, c.title, c.checkbox_group, c.sort_order
      FROM cur c
     WHERE c.code NOT IN (SELECT r.replaces FROM cur r WHERE r.replaces IS NOT NULL)
     ORDER BY c.checkbox_group, c.sort_order, c.code
$$;
