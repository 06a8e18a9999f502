-- the report roll-up's days made dirty: sql/functions/report_mark_payments.sql
CREATE OR REPLACE TRIGGER report_mark_payments AFTER INSERT OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION report_mark_payments();
