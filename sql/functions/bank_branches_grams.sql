-- BEFORE INSERT or UPDATE of a branch's name or bank: its grams for the
-- search (bank_branch_grams_of).
CREATE OR REPLACE FUNCTION bank_branches_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.grams := coalesce(bank_branch_grams_of(NEW.name, NEW.bank_id), '{}');
    RETURN NEW;
END
$$;
