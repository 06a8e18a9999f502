-- a certificate carries its order's partner and business: sql/functions/certificates_order_keys.sql
CREATE OR REPLACE TRIGGER certificates_order_keys BEFORE INSERT OR UPDATE OF order_id ON certificates
    FOR EACH ROW EXECUTE FUNCTION certificates_order_keys();
