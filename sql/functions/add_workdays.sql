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
