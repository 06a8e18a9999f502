-- audit_marks is append-only (docs/internals/audit-chain.md, "Marks"): the
-- triggers audit_marks_no_update and audit_marks_no_truncate raise.
CREATE OR REPLACE FUNCTION audit_marks_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_marks is append-only';
END $$;
