-- BEFORE INSERT or UPDATE OF order_id on certificates: the order's partner
-- and business type copied onto the certificate, so that the certificate
-- report groups without a lookup into orders per certificate.
CREATE OR REPLACE FUNCTION certificates_order_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT o.partner_code, o.business_type INTO NEW.partner_code, NEW.business_type
      FROM orders o WHERE o.id = NEW.order_id;
    RETURN NEW;
END
$$;
