-- the order list's totals go down with deleted orders: sql/functions/order_counts_remove.sql
CREATE OR REPLACE TRIGGER order_counts_remove AFTER DELETE ON orders
    REFERENCING OLD TABLE AS order_counts_old
    FOR EACH STATEMENT EXECUTE FUNCTION order_counts_remove();
