-- A working day: the holidays table when it names the day, else Monday to
-- Friday.
CREATE OR REPLACE FUNCTION is_workday(p_day date)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT h.is_workday FROM holidays h WHERE h.day = p_day),
                    extract(isodow FROM p_day) < 6)
$$;
