-- status webhooks: a certificate issued or revoked (sql/functions/partner_event_of.sql)
CREATE OR REPLACE TRIGGER certificates_partner AFTER UPDATE OF state ON certificates
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION partner_event_of('cert');
