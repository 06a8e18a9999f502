-- status webhooks: an order rejected, when its reason is written after the
-- move (core/biz/order.c order_rejected; sql/functions/partner_event_of.sql)
CREATE OR REPLACE TRIGGER orders_partner_reject AFTER UPDATE OF rejected_rev ON orders
    FOR EACH ROW WHEN (NEW.status = 'rejected')
    EXECUTE FUNCTION partner_event_of('reject');
