-- the workers keep the accounts as reference rows (hall_db_ref, sql/032):
-- a change reaches every worker before its next payment
CREATE OR REPLACE TRIGGER pay_merchants_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pay_merchants
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
