-- The working day n working days after p_day (holidays: the holidays table,
-- else Monday to Friday): an order's review due date when it enters review
-- and its ship_by when approved.  n <= 0 gives p_day, a NULL n a NULL date.
-- PL/pgSQL so that its query is prepared once per connection (as a SQL
-- function with a sub-SELECT it was planned again at every call); the
-- holidays are joined, not asked day by day.
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
