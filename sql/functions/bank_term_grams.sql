-- The grams a search term needs: its pairs, or its character.
CREATE OR REPLACE FUNCTION bank_term_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(t) = 1 THEN ARRAY[lower(t)]
           ELSE (SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
                   FROM generate_series(1, length(t) - 1) AS i) END
$$;
