-- 081_gift_plpgsql: an order's gift (sql/046) in PL/pgSQL (issue 27).
--
-- promotion_gift was a LANGUAGE sql function with a FROM and a LIMIT,
-- which PostgreSQL cannot inline: the orders_gift trigger called it on
-- every INSERT of an order and every change of its years, seal or partner,
-- and each call parsed and planned its body again (PostgreSQL 15 keeps no
-- plan of a SQL function across queries).  Measured on POST /new/apply:
-- about 100 us of PostgreSQL's CPU per order in hall_order_apply alone
-- (300 us with it, 200 us without), 0.77 -> 0.62 ms of PostgreSQL per
-- whole information entry under bench/run's load.  PL/pgSQL keeps the plan
-- of its statement for the session, and most partners have no promotion:
-- NULL is answered at once.  Same arguments, same answer.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

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
