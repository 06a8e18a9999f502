-- BEFORE UPDATE OF status on orders: the steps the new status implies are
-- added to orders.reached and stamped.  On INSERT (orders_insert) the
-- columns are taken as given (the benchmark seeds history).
CREATE OR REPLACE FUNCTION orders_reached() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.reached := NEW.reached | order_reached_bits(NEW.status);
    IF TG_OP = 'UPDATE' AND OLD.status IS DISTINCT FROM NEW.status THEN
        IF NEW.status IN ('accepted', 'rejected') THEN
            NEW.decided_at := now();
        END IF;
        IF NEW.status = 'issued' AND NEW.issued_reached_at IS NULL THEN
            NEW.issued_reached_at := now();
        END IF;
    END IF;
    RETURN NEW;
END $$;
