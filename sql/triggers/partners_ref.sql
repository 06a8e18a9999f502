-- the workers drop their copy of the reference rows when partners change: sql/functions/ref_changed.sql
CREATE OR REPLACE TRIGGER partners_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
