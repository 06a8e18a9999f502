-- the workers drop their copy of the reference rows when products change: sql/functions/ref_changed.sql
CREATE OR REPLACE TRIGGER products_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
