CREATE OR REPLACE TRIGGER report_mark_refunds AFTER INSERT OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION report_mark_refunds();
