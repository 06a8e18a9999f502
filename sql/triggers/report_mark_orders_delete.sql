-- the report roll-up's days made dirty: sql/functions/report_mark_orders.sql
CREATE OR REPLACE TRIGGER report_mark_orders_delete AFTER DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION report_mark_orders();
