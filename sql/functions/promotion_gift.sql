-- The gift of a partner's promotion (partners.promotion) for a business,
-- years and seal, or NULL (docs/internals/reference-data.md).  PL/pgSQL,
-- whose plan is kept for the session: as a SQL function with a FROM and a
-- LIMIT it was parsed and planned at every order's INSERT.  Most partners
-- have no promotion: NULL at once.
CREATE OR REPLACE FUNCTION promotion_gift(p_promotion jsonb, p_business text, p_years integer,
                                          p_seal boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text;
BEGIN
    IF p_promotion IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT g->>'gift' INTO v
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_promotion->'gifts') = 'array'
                                     THEN p_promotion->'gifts' ELSE '[]'::jsonb END) AS g
     WHERE (g->>'years')::integer = p_years
       AND (NOT coalesce((g->>'requires_seal')::boolean, false) OR p_seal)
       AND (p_promotion->'business_types' IS NULL
            OR p_promotion->'business_types' ? p_business)
       AND length(g->>'gift') BETWEEN 1 AND 100
     LIMIT 1;
    RETURN v;
END
$$;

COMMENT ON FUNCTION promotion_gift(jsonb, text, integer, boolean) IS
    'the gift of a promotion for a business, years and seal; NULL when none (046, 081)';
