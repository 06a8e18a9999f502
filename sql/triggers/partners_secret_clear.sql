-- a partner's link or webhook secret is never written in clear
-- (sql/functions/partner_secret_clear_refused.sql)
CREATE OR REPLACE TRIGGER partners_secret_clear BEFORE INSERT OR UPDATE OF link_secret, hook_secret
    ON partners FOR EACH ROW
    EXECUTE FUNCTION partner_secret_clear_refused('link_secret', 'hook_secret');
