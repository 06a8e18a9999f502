-- the workers drop their copy of the reference rows when pay_merchants change: sql/functions/ref_changed.sql
CREATE OR REPLACE TRIGGER pay_merchants_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pay_merchants
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
