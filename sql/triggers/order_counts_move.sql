-- the order list's totals follow an order moved to another applicant: sql/functions/order_counts_move.sql
CREATE OR REPLACE TRIGGER order_counts_move AFTER UPDATE OF user_id ON orders
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION order_counts_move();
