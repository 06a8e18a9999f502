-- 046_ship_gift: what seed 003 promises the 建筑工务署's applicants, kept on
-- the order so the staff who make and mail the certificate see it.
--
-- * partners.ship_within_workdays: "审核无误后，三个工作日寄出" — the parcel
--   leaves within that many working days (holidays as data, add_workdays)
--   of the approval; orders.ship_by is that day, set when the order is
--   approved (modules/admin), in Beijing's calendar.  The production and
--   shipping queues sort by it and flag the day and the days past it.
-- * orders.gift: the promotion's gift the order earned by its years and
--   seal, as the seed lists them (1 年含电子签章: 充电宝; 3 年: 耳机; 5 年:
--   音箱).  Set from the partner's promotion while the applicant can still
--   change the order (draft, rejected); frozen once it is submitted, so a
--   promotion that ends later takes nothing back.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE partners
    ADD COLUMN ship_within_workdays integer NULL CHECK (ship_within_workdays BETWEEN 1 AND 30);
UPDATE partners SET ship_within_workdays = 3 WHERE code = 'szjsgws';

ALTER TABLE orders
    ADD COLUMN ship_by date NULL,
    ADD COLUMN gift text NULL CHECK (length(gift) BETWEEN 1 AND 100);

-- the gift of a promotion for a business, a number of years and a seal
-- choice; NULL when there is none (no promotion, another business, a gift
-- that asks for the seal not chosen)
CREATE FUNCTION promotion_gift(p_promotion jsonb, p_business text, p_years integer,
                               p_seal boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT g->>'gift'
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_promotion->'gifts') = 'array'
                                     THEN p_promotion->'gifts' ELSE '[]'::jsonb END) AS g
     WHERE (g->>'years')::integer = p_years
       AND (NOT coalesce((g->>'requires_seal')::boolean, false) OR p_seal)
       AND (p_promotion->'business_types' IS NULL
            OR p_promotion->'business_types' ? p_business)
       AND length(g->>'gift') BETWEEN 1 AND 100
     LIMIT 1
$$;

CREATE FUNCTION orders_gift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('draft', 'rejected') THEN
        NEW.gift := promotion_gift((SELECT p.promotion FROM partners p
                                     WHERE p.code = NEW.partner_code),
                                   NEW.business_type, NEW.years, NEW.seal);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER orders_gift BEFORE INSERT OR UPDATE OF years, seal, partner_code ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_gift();

