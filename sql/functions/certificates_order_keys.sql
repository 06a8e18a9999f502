CREATE OR REPLACE FUNCTION certificates_order_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT o.partner_code, o.business_type INTO NEW.partner_code, NEW.business_type
      FROM orders o WHERE o.id = NEW.order_id;
    RETURN NEW;
END
$$;
