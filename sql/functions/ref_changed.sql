-- After any statement that changes partners, products, divisions, banks,
-- bank_branches or pay_merchants: NOTIFY hall_ref, delivered when the
-- transaction commits, and every worker on every host drops its copy of the
-- reference rows (core/store, hall_db_ref) before its next read.
CREATE OR REPLACE FUNCTION ref_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- one notice per transaction and table: PostgreSQL folds repeats
    PERFORM pg_notify('hall_ref', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
