-- the workers drop their copy of the reference rows when bank_branches change: sql/functions/ref_changed.sql
CREATE OR REPLACE TRIGGER bank_branches_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bank_branches
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
