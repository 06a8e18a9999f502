-- branches_stage(line, cnaps, bank, name, city): a CNAPS list or part of
-- one; `bank` is a bank's name or short name.  p_replace: branches the file
-- does not name are no longer offered (a whole list); otherwise they stay.
CREATE OR REPLACE FUNCTION bank_branches_load(p_source text, p_replace boolean) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    n integer;
BEGIN
    CREATE TEMP TABLE branches_in ON COMMIT DROP AS
    SELECT s.line, nullif(btrim(s.cnaps), '') AS cnaps, btrim(s.name) AS name,
           coalesce(btrim(s.city), '') AS city, btrim(s.bank) AS bank,
           (SELECT b.id FROM banks b WHERE b.name = btrim(s.bank) OR b.short_name = btrim(s.bank)
             ORDER BY (b.name = btrim(s.bank)) DESC, b.id LIMIT 1) AS bank_id
      FROM branches_stage s;
    SELECT * INTO bad FROM branches_in
     WHERE bank_id IS NULL ORDER BY line LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'branches CSV line %: no bank named % (load the banks first)',
            bad.line, coalesce(bad.bank, '');
    END IF;
    SELECT * INTO bad FROM branches_in
     WHERE coalesce(name, '') !~ '^[^\s<>=+@-][^<>]{1,59}$'
        OR (cnaps IS NOT NULL AND cnaps !~ '^[0-9]{12}$') OR length(city) > 40
     ORDER BY line LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'branches CSV line %: a name of 2-60 characters and a 12-digit 联行号 (or none) are required (%)',
            bad.line, coalesce(bad.name, '');
    END IF;
    SELECT name, (array_agg(line ORDER BY line))[2] AS line INTO bad
      FROM branches_in GROUP BY name HAVING count(*) > 1 ORDER BY 2 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'branches CSV line %: % is listed twice', bad.line, bad.name;
    END IF;
    INSERT INTO bank_branches (bank_id, name, city, cnaps, active)
    SELECT bank_id, name, city, cnaps, true FROM branches_in
    ON CONFLICT (name) DO UPDATE
       SET bank_id = EXCLUDED.bank_id, city = EXCLUDED.city, cnaps = EXCLUDED.cnaps,
           active = true
     WHERE (bank_branches.bank_id, bank_branches.city, bank_branches.cnaps, bank_branches.active)
           IS DISTINCT FROM (EXCLUDED.bank_id, EXCLUDED.city, EXCLUDED.cnaps, true);
    IF p_replace THEN
        UPDATE bank_branches SET active = false
         WHERE active AND NOT EXISTS (SELECT 1 FROM branches_in i WHERE i.name = bank_branches.name);
    END IF;
    SELECT count(*) INTO n FROM branches_in;
    INSERT INTO reference_loads (what, source, rows) VALUES ('bank_branches', p_source, n)
    ON CONFLICT (what) DO UPDATE SET source = EXCLUDED.source, rows = EXCLUDED.rows,
                                     loaded_at = now();
    RETURN n;
END
$$;
