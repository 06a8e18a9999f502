-- the report roll-up's days made dirty: sql/functions/report_mark_certs.sql
CREATE OR REPLACE TRIGGER report_mark_certs_update AFTER UPDATE ON certificates
    FOR EACH ROW WHEN ((OLD.state, OLD.issued_at, OLD.revoked_at, OLD.order_id)
                       IS DISTINCT FROM (NEW.state, NEW.issued_at, NEW.revoked_at, NEW.order_id))
    EXECUTE FUNCTION report_mark_certs();
