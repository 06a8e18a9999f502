-- 032_ref_notify: the workers' copy of the reference rows (issue 10).
--
-- Partners, products, divisions, banks and bank branches are read by nearly
-- every flow request (the partner of the path, its products and prices, the
-- address's divisions, the bank branch of the form) and change a few times
-- a year.  Each worker keeps what it has read (core/db.c, hall_db_ref) and
-- LISTENs on "hall_ref"; any statement that changes one of these tables
-- notifies it, delivered to every listening connection when that
-- transaction commits, and every worker on every host drops its copy before
-- its next reference read.  Nothing is notified by a rolled-back change.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE FUNCTION ref_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- one notice per transaction and table: PostgreSQL folds repeats
    PERFORM pg_notify('hall_ref', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER partners_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
CREATE TRIGGER products_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
CREATE TRIGGER divisions_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON divisions
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
CREATE TRIGGER banks_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON banks
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
CREATE TRIGGER bank_branches_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bank_branches
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();
