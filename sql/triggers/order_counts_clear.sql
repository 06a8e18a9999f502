-- the order list's totals emptied with the orders: sql/functions/order_counts_clear.sql
CREATE OR REPLACE TRIGGER order_counts_clear AFTER TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION order_counts_clear();
