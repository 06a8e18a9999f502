-- status webhooks: an order paid (not a surplus payment, which is refunded;
-- sql/functions/partner_event_of.sql)
CREATE OR REPLACE TRIGGER payments_partner AFTER UPDATE OF status ON payments
    FOR EACH ROW WHEN (NEW.status = 'paid' AND OLD.status <> 'paid' AND NOT NEW.surplus)
    EXECUTE FUNCTION partner_event_of('paid');
