CREATE OR REPLACE FUNCTION audit_marks_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_marks is append-only';
END $$;
