-- TRUNCATE of orders empties order_counts (the order list's totals).
CREATE OR REPLACE FUNCTION order_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM order_counts;
    RETURN NULL;
END
$$;
