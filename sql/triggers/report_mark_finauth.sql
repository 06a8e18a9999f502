-- the report roll-up's days made dirty: sql/functions/report_mark_finauth.sql
CREATE OR REPLACE TRIGGER report_mark_finauth AFTER INSERT OR DELETE ON finauth_attempts
    FOR EACH ROW EXECUTE FUNCTION report_mark_finauth();
