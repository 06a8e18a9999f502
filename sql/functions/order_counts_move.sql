-- an order moved to another applicant (nothing in the hall does it; the
-- count stays right if someone does, by hand)
CREATE OR REPLACE FUNCTION order_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_counts SET n = n - 1 WHERE user_id = OLD.user_id;
    INSERT INTO order_counts AS c (user_id, n) VALUES (NEW.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END
$$;
