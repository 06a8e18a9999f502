-- audit_log is append-only: the triggers audit_log_no_update (UPDATE, DELETE)
-- and audit_log_no_truncate raise.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
