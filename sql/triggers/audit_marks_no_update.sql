-- audit_marks is append-only: sql/functions/audit_marks_append_only.sql
CREATE OR REPLACE TRIGGER audit_marks_no_update BEFORE UPDATE OR DELETE ON audit_marks
    FOR EACH ROW EXECUTE FUNCTION audit_marks_append_only();
