-- the report roll-up's days made dirty: sql/functions/report_mark_orders.sql
CREATE OR REPLACE TRIGGER report_mark_orders AFTER INSERT ON orders
    FOR EACH ROW WHEN (NEW.created_at <> now() OR NEW.decided_at IS NOT NULL)
    EXECUTE FUNCTION report_mark_orders();
