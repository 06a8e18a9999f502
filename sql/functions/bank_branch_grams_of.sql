-- A branch's grams (bank_grams): its name, its bank's name and the bank's
-- aliases, so that a search may name the bank.
CREATE OR REPLACE FUNCTION bank_branch_grams_of(p_name text, p_bank integer) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT bank_grams(p_name || ' ' || b.name || ' ' || array_to_string(b.aliases, ' '))
      FROM banks b WHERE b.id = p_bank
$$;
