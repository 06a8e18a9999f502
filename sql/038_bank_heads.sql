-- 038_bank_heads: any company's bank (issue 22 §1).
--
-- The applicant chooses the bank (the head office: 中国工商银行, 揭阳农村
-- 商业银行, 湖南省农村信用社联合社 ...) from the complete list in `banks`,
-- loaded from sql/data/banks.csv (script/load-banks, docs/internals/
-- reference-data.md), and types the branch (开户网点) as its account
-- papers name it.  `bank_branches` is no longer a list the form must hit:
-- it is the keyword search's help (name -> bank, city, 12-digit 联行号),
-- loadable from a CNAPS file of any size.
--
-- The search at that size: every term must be a substring of the branch's
-- name, its bank's name or (as a prefix) one of the bank's aliases.  A
-- substring of two CJK characters is below pg_trgm's three, so the search
-- keeps its own grams: `grams` holds every single character and every pair
-- of the branch's search text (lower case); a term's pairs (its character
-- when it has one) must all be there, which a GIN index answers, and the
-- exact test runs on those rows only.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE banks
    ADD COLUMN category text NOT NULL DEFAULT '其他银行',
    ADD COLUMN sort     integer NOT NULL DEFAULT 1000,
    ADD COLUMN active   boolean NOT NULL DEFAULT true;

-- what a load of reference data brought, for the operator (script/load-banks)
CREATE TABLE reference_loads (
    what      text PRIMARY KEY CHECK (what IN ('banks', 'bank_branches')),
    source    text NOT NULL,
    rows      integer NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- The characters and character pairs of a text, lower case, without white
-- space: the search's grams.
CREATE FUNCTION bank_grams(p text) RETURNS text[]
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

-- The grams a search term needs: its pairs, or its character.
CREATE FUNCTION bank_term_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(t) = 1 THEN ARRAY[lower(t)]
           ELSE (SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
                   FROM generate_series(1, length(t) - 1) AS i) END
$$;

ALTER TABLE bank_branches ADD COLUMN grams text[] NOT NULL DEFAULT '{}';

CREATE FUNCTION bank_branch_grams_of(p_name text, p_bank integer) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT bank_grams(p_name || ' ' || b.name || ' ' || array_to_string(b.aliases, ' '))
      FROM banks b WHERE b.id = p_bank
$$;

CREATE FUNCTION bank_branches_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.grams := coalesce(bank_branch_grams_of(NEW.name, NEW.bank_id), '{}');
    RETURN NEW;
END
$$;

CREATE TRIGGER bank_branches_grams BEFORE INSERT OR UPDATE OF name, bank_id ON bank_branches
    FOR EACH ROW EXECUTE FUNCTION bank_branches_grams();

UPDATE bank_branches SET name = name;

CREATE INDEX bank_branches_grams_idx ON bank_branches USING gin (grams);

-- The keyword search, optionally within one bank.  At most 2,000 rows that
-- hold every gram are tested and ranked: a query that matches more than
-- that (银行 alone) is answered from those, and the user types more.
DROP FUNCTION bank_branch_search(text, integer);

CREATE FUNCTION bank_branch_search(p_query text, p_limit integer DEFAULT 20,
                                   p_bank integer DEFAULT NULL)
RETURNS TABLE (branch_id integer, branch_name text, bank_id integer, bank_name text,
               city text, cnaps text)
LANGUAGE sql STABLE AS $$
    WITH terms AS (
        SELECT t, replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') AS esc
          FROM regexp_split_to_table(btrim(coalesce(p_query, '')), '\s+') AS t
         WHERE t <> ''
         LIMIT 5
    ), need AS (
        SELECT coalesce(array_agg(DISTINCT g), '{}') AS grams
          FROM terms CROSS JOIN LATERAL unnest(bank_term_grams(terms.t)) AS g
    ), cand AS (
        SELECT br.id, br.name, br.bank_id, br.city, br.cnaps
          FROM bank_branches br, need
         WHERE br.active
           AND br.grams @> need.grams
           AND (p_bank IS NULL OR br.bank_id = p_bank)
           AND EXISTS (SELECT 1 FROM terms)
         LIMIT 2000
    )
    SELECT c.id, c.name, b.id, b.name, c.city, c.cnaps
      FROM cand c
      JOIN banks b ON b.id = c.bank_id
     WHERE NOT EXISTS (
           SELECT 1 FROM terms
            WHERE NOT (c.name ILIKE '%' || terms.esc || '%'
                    OR b.name ILIKE '%' || terms.esc || '%'
                    OR EXISTS (SELECT 1 FROM unnest(b.aliases) AS al
                                WHERE al ILIKE terms.esc || '%')))
     ORDER BY similarity(c.name, btrim(p_query)) DESC, length(c.name), c.name
     LIMIT least(greatest(coalesce(p_limit, 20), 1), 50)
$$;

-- ---------------------------------------------------------------------------
-- Loads, each in the caller's one transaction (script/load-banks): the rows
-- come in a temporary table; a bad row raises, naming its line, and nothing
-- of the file is kept.

-- banks_stage(line, name, short_name, category, aliases): the complete list.
-- Banks it no longer names stay (orders and branches point at them) but are
-- no longer offered.
CREATE FUNCTION bank_heads_load(p_source text) RETURNS integer
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

-- branches_stage(line, cnaps, bank, name, city): a CNAPS list or part of
-- one; `bank` is a bank's name or short name.  p_replace: branches the file
-- does not name are no longer offered (a whole list); otherwise they stay.
CREATE FUNCTION bank_branches_load(p_source text, p_replace boolean) RETURNS integer
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
