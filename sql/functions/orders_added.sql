-- AFTER INSERT on orders, per statement: the applicants' kept counts,
-- user_daily (the daily cap, Beijing days) and order_counts (the order
-- list's total), from the transition table, in the inserting transaction; a
-- cap read under the applicant's lock stays exact.  Skipped when
-- hall.writer names hall_order_apply, which counted its order itself.
-- user_daily before order_counts, in applicant order, as every writer locks
-- them.
CREATE OR REPLACE FUNCTION orders_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- in applicant order, user_daily before order_counts: two writers
    -- never lock rows in opposite orders
    INSERT INTO user_daily AS d (user_id, day, orders)
        SELECT user_id, beijing_day(created_at), count(*) FROM orders_new
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, day) DO UPDATE SET orders = d.orders + excluded.orders;
    INSERT INTO order_counts AS c (user_id, n)
        SELECT user_id, count(*) FROM orders_new GROUP BY user_id ORDER BY user_id
        ON CONFLICT (user_id) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;
