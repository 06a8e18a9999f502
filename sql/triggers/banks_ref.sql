-- the workers drop their copy of the reference rows when banks change: sql/functions/ref_changed.sql
CREATE OR REPLACE TRIGGER banks_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON banks
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
