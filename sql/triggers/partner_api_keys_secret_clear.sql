-- an API key's secret is never written in clear
-- (sql/functions/partner_secret_clear_refused.sql)
CREATE OR REPLACE TRIGGER partner_api_keys_secret_clear BEFORE INSERT OR UPDATE OF secret
    ON partner_api_keys FOR EACH ROW
    EXECUTE FUNCTION partner_secret_clear_refused('secret');
