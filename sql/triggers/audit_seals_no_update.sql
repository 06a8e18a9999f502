-- audit_seals is append-only: sql/functions/audit_seals_append_only.sql
CREATE OR REPLACE TRIGGER audit_seals_no_update BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only();
