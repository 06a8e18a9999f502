-- the steps a new status has reached: sql/functions/orders_reached.sql
CREATE OR REPLACE TRIGGER orders_reached BEFORE UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_reached();
