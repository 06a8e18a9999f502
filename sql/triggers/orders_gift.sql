-- the promotion's gift follows a draft's years, seal and partner: sql/functions/orders_gift.sql
CREATE OR REPLACE TRIGGER orders_gift BEFORE UPDATE OF years, seal, partner_code ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_gift();
