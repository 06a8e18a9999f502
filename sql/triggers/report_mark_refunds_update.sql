-- the report roll-up's days made dirty: sql/functions/report_mark_refunds.sql
CREATE OR REPLACE TRIGGER report_mark_refunds_update AFTER UPDATE ON refunds
    FOR EACH ROW WHEN ((OLD.status, OLD.amount_fen, OLD.done_at, OLD.decided_at, OLD.created_at, OLD.order_id)
                       IS DISTINCT FROM
                       (NEW.status, NEW.amount_fen, NEW.done_at, NEW.decided_at, NEW.created_at, NEW.order_id))
    EXECUTE FUNCTION report_mark_refunds();
