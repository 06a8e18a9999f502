-- the report roll-up's days made dirty: sql/functions/report_mark_finauth.sql
CREATE OR REPLACE TRIGGER report_mark_finauth_update AFTER UPDATE ON finauth_attempts
    FOR EACH ROW WHEN ((OLD.result, OLD.created_at, OLD.order_id)
                       IS DISTINCT FROM (NEW.result, NEW.created_at, NEW.order_id))
    EXECUTE FUNCTION report_mark_finauth();
