-- status webhooks: an electronic seal made (sql/functions/partner_event_of.sql)
CREATE OR REPLACE TRIGGER seseals_partner AFTER INSERT ON seseals
    FOR EACH ROW EXECUTE FUNCTION partner_event_of('seal');
