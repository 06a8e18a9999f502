CREATE OR REPLACE FUNCTION bank_branch_grams_of(p_name text, p_bank integer) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT bank_grams(p_name || ' ' || b.name || ' ' || array_to_string(b.aliases, ' '))
      FROM banks b WHERE b.id = p_bank
$$;
