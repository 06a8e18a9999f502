-- the report roll-up's days made dirty: sql/functions/report_mark_orders.sql
CREATE OR REPLACE TRIGGER report_mark_orders_update AFTER UPDATE ON orders
    FOR EACH ROW WHEN ((OLD.status, OLD.reached, OLD.amount_fen, OLD.partner_code, OLD.business_type,
                        OLD.created_at, OLD.submitted_at, OLD.decided_at, OLD.review_due)
                       IS DISTINCT FROM
                       (NEW.status, NEW.reached, NEW.amount_fen, NEW.partner_code, NEW.business_type,
                        NEW.created_at, NEW.submitted_at, NEW.decided_at, NEW.review_due))
    EXECUTE FUNCTION report_mark_orders();
