-- the report roll-up's days made dirty: sql/functions/report_mark_refunds.sql
CREATE OR REPLACE TRIGGER report_mark_refunds AFTER INSERT OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION report_mark_refunds();
