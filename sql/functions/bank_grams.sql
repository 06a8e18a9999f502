-- The characters and character pairs of a text, lower case, without white
-- space: the search's grams.
CREATE OR REPLACE FUNCTION bank_grams(p text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
      FROM (SELECT lower(coalesce(p, '')) AS s) AS x
     CROSS JOIN LATERAL (
        SELECT substr(x.s, i, 1) FROM generate_series(1, length(x.s)) AS i
        UNION ALL
        SELECT substr(x.s, i, 2) FROM generate_series(1, length(x.s) - 1) AS i
     ) AS q(g)
     WHERE g !~ '\s'
$$;
