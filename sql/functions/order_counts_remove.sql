-- Orders deleted: their applicants' order_counts go down, in applicant
-- order (two bulk statements never lock rows in opposite orders).
CREATE OR REPLACE FUNCTION order_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_counts c SET n = c.n - d.k
        FROM (SELECT user_id, count(*) AS k FROM order_counts_old GROUP BY user_id
              ORDER BY user_id) d
        WHERE c.user_id = d.user_id;
    RETURN NULL;
END
$$;
