-- BEFORE UPDATE OF years, seal, partner_code on orders: the gift of the
-- partner's promotion (promotion_gift) while the applicant can still change
-- the order (draft, rejected); frozen once it is submitted, so a promotion
-- that ends later takes nothing back.
CREATE OR REPLACE FUNCTION orders_gift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('draft', 'rejected') THEN
        NEW.gift := promotion_gift((SELECT p.promotion FROM partners p
                                     WHERE p.code = NEW.partner_code),
                                   NEW.business_type, NEW.years, NEW.seal);
    END IF;
    RETURN NEW;
END
$$;
