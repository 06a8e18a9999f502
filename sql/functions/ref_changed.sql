CREATE OR REPLACE FUNCTION ref_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- one notice per transaction and table: PostgreSQL folds repeats
    PERFORM pg_notify('hall_ref', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
