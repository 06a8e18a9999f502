-- status webhooks: an order shipped, when its waybill is written after the
-- move (core/biz/order.c order_shipped; sql/functions/partner_event_of.sql)
CREATE OR REPLACE TRIGGER orders_partner_ship AFTER UPDATE OF waybill_no ON orders
    FOR EACH ROW WHEN (NEW.status = 'shipped' AND NEW.waybill_no IS NOT NULL)
    EXECUTE FUNCTION partner_event_of('ship');
