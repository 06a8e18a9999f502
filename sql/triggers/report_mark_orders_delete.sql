CREATE OR REPLACE TRIGGER report_mark_orders_delete AFTER DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION report_mark_orders();
