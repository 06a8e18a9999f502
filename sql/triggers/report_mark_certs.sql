-- the report roll-up's days made dirty: sql/functions/report_mark_certs.sql
CREATE OR REPLACE TRIGGER report_mark_certs AFTER INSERT OR DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION report_mark_certs();
