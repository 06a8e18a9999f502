-- status webhooks: an order submitted or approved (sql/functions/partner_event_of.sql)
CREATE OR REPLACE TRIGGER orders_partner_status AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION partner_event_of('status');
