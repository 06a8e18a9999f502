-- the workers drop their copy of the reference rows when divisions change: sql/functions/ref_changed.sql
CREATE OR REPLACE TRIGGER divisions_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON divisions
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
