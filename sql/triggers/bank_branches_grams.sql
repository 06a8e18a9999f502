-- a branch's search grams kept: sql/functions/bank_branches_grams.sql
CREATE OR REPLACE TRIGGER bank_branches_grams BEFORE INSERT OR UPDATE OF name, bank_id ON bank_branches
    FOR EACH ROW EXECUTE FUNCTION bank_branches_grams();
