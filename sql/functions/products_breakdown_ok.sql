-- breakdown, when present, must add up to the price of one year
-- (price_per_year_fen + fixed_fee_fen)
CREATE OR REPLACE FUNCTION products_breakdown_ok(b jsonb, price integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT b = '{}'::jsonb
        OR (SELECT bool_and(jsonb_typeof(v) = 'number') AND sum(v::text::numeric) = price
              FROM jsonb_each(b) AS e(k, v))
$$;
