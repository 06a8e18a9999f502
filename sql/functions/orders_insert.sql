-- BEFORE INSERT on orders, one trigger for three things: the gift of the
-- partner's promotion (promotion_gift), the applicant's last 不发布 choice
-- for this business (agreement_acceptances.no_publish), and the steps the
-- status has reached (order_reached_bits).  orders_gift and orders_reached
-- do the same on UPDATE.  Skipped when hall.writer names hall_order_apply,
-- which writes the three into its new row itself.
CREATE OR REPLACE FUNCTION orders_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('draft', 'rejected') THEN
        NEW.gift := promotion_gift((SELECT p.promotion FROM partners p
                                     WHERE p.code = NEW.partner_code),
                                   NEW.business_type, NEW.years, NEW.seal);
    END IF;
    NEW.no_publish := coalesce((SELECT a.no_publish FROM agreement_acceptances a
                                 WHERE a.user_id = NEW.user_id
                                   AND a.context = 'flow:' || NEW.business_type
                                 ORDER BY a.accepted_at DESC, a.id DESC LIMIT 1), false);
    NEW.reached := NEW.reached | order_reached_bits(NEW.status);
    RETURN NEW;
END
$$;
