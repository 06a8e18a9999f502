-- Working days in (p_from, p_to]: how many working days a review took.
CREATE OR REPLACE FUNCTION workdays_between(p_from date, p_to date)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_to <= p_from THEN 0 ELSE (
        SELECT count(*)::integer
          FROM generate_series(p_from + 1, p_to, interval '1 day') AS g(d)
         WHERE is_workday(d::date))
    END
$$;
