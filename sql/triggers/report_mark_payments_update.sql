-- the report roll-up's days made dirty: sql/functions/report_mark_payments.sql
CREATE OR REPLACE TRIGGER report_mark_payments_update AFTER UPDATE ON payments
    FOR EACH ROW WHEN ((OLD.paid_at, OLD.amount_fen, OLD.order_id)
                       IS DISTINCT FROM (NEW.paid_at, NEW.amount_fen, NEW.order_id))
    EXECUTE FUNCTION report_mark_payments();
