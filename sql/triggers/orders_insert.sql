-- a new order's gift, 不发布 choice and steps reached: sql/functions/orders_insert.sql
CREATE OR REPLACE TRIGGER orders_insert BEFORE INSERT ON orders
    FOR EACH ROW
    WHEN (current_setting('hall.writer', true) IS DISTINCT FROM 'hall_order_apply')
    EXECUTE FUNCTION orders_insert();
