-- banks_stage(line, name, short_name, category, aliases): the complete list.
-- Banks it no longer names stay (orders and branches point at them) but are
-- no longer offered.
CREATE OR REPLACE FUNCTION bank_heads_load(p_source text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    n integer;
BEGIN
    SELECT * INTO bad FROM banks_stage
     WHERE coalesce(btrim(name), '') !~ '^[^\s<>=+@-][^<>]{1,59}$'
        OR coalesce(btrim(short_name), '') = '' OR length(btrim(short_name)) > 30
        OR coalesce(btrim(category), '') = '' OR length(btrim(category)) > 30
     ORDER BY line LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'banks CSV line %: a name of 2-60 characters, a short name and a category are required (%)',
            bad.line, coalesce(bad.name, '');
    END IF;
    SELECT btrim(name) AS name, (array_agg(line ORDER BY line))[2] AS line INTO bad
      FROM banks_stage GROUP BY btrim(name) HAVING count(*) > 1 ORDER BY 2 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'banks CSV line %: % is listed twice', bad.line, bad.name;
    END IF;
    INSERT INTO banks (name, short_name, aliases, category, sort, active)
    SELECT btrim(s.name), btrim(s.short_name),
           coalesce(array(SELECT btrim(a) FROM unnest(string_to_array(s.aliases, '|')) AS a
                           WHERE btrim(a) <> ''), '{}'),
           btrim(s.category), s.line, true
      FROM banks_stage s
    ON CONFLICT (name) DO UPDATE
       SET short_name = EXCLUDED.short_name, aliases = EXCLUDED.aliases,
           category = EXCLUDED.category, sort = EXCLUDED.sort, active = true;
    UPDATE banks SET active = false
     WHERE active AND name NOT IN (SELECT btrim(name) FROM banks_stage);
    -- the branches' grams carry their bank's names
    UPDATE bank_branches br SET grams = bank_branch_grams_of(br.name, br.bank_id)
     WHERE br.grams IS DISTINCT FROM bank_branch_grams_of(br.name, br.bank_id);
    SELECT count(*) INTO n FROM banks_stage;
    INSERT INTO reference_loads (what, source, rows) VALUES ('banks', p_source, n)
    ON CONFLICT (what) DO UPDATE SET source = EXCLUDED.source, rows = EXCLUDED.rows,
                                     loaded_at = now();
    RETURN n;
END
$$;
