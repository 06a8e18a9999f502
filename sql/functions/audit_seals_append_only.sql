-- audit_seals is append-only: the triggers audit_seals_no_update and
-- audit_seals_no_truncate raise.
CREATE OR REPLACE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seals is append-only';
END $$;
