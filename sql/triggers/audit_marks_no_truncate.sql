-- audit_marks is append-only: sql/functions/audit_marks_append_only.sql
CREATE OR REPLACE TRIGGER audit_marks_no_truncate BEFORE TRUNCATE ON audit_marks
    FOR EACH STATEMENT EXECUTE FUNCTION audit_marks_append_only();
