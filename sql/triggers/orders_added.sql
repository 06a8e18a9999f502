-- the daily cap's count and the order list's total of new orders: sql/functions/orders_added.sql
CREATE OR REPLACE TRIGGER orders_added AFTER INSERT ON orders
    REFERENCING NEW TABLE AS orders_new
    FOR EACH STATEMENT
    WHEN (current_setting('hall.writer', true) IS DISTINCT FROM 'hall_order_apply')
    EXECUTE FUNCTION orders_added();
