-- add_workdays (sql/002) keeps its plan.
--
-- As a SQL function with a sub-SELECT it could not be inlined, so
-- PostgreSQL planned its body, and is_workday's for the series of days,
-- afresh at every call: about 0.3 ms of a backend's CPU each time an order
-- enters review (its due date) and each time it is approved (ship_by).  In
-- PL/pgSQL the same query is prepared once per connection; the holidays are
-- joined instead of asked day by day.  Same answer for every input: n <= 0
-- gives p_day, a NULL n a NULL date, holidays override the weekday rule.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE OR REPLACE FUNCTION add_workdays(p_day date, n integer)
RETURNS date LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF n <= 0 THEN
        RETURN p_day;
    END IF;
    RETURN (SELECT g.d::date
              FROM generate_series(p_day + 1, p_day + 10 + n * 3, interval '1 day') AS g(d)
              LEFT JOIN holidays h ON h.day = g.d::date
             WHERE coalesce(h.is_workday, extract(isodow FROM g.d::date) < 6)
             ORDER BY g.d
            OFFSET n - 1 LIMIT 1);
END $$;
