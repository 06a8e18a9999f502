-- Recomputes one kind's days of the roll-up: p_days (dirty, before the old
-- upto) and [p_a, p_b), in Beijing days.
CREATE OR REPLACE FUNCTION report_rollup_days(p_kind text, p_days date[], p_a date, p_b date)
RETURNS void LANGUAGE plpgsql
SET TimeZone = 'Asia/Shanghai' AS $$
BEGIN
    EXECUTE format('DELETE FROM report_roll_%s WHERE day = ANY ($1) OR (day >= $2 AND day < $3)', p_kind)
        USING p_days, p_a, p_b;
    IF p_a < p_b THEN
        EXECUTE format('INSERT INTO report_roll_%1$s SELECT * FROM report_live_%1$s($1, $2)', p_kind)
            USING p_a::timestamptz, p_b::timestamptz;
    END IF;
    EXECUTE format('INSERT INTO report_roll_%1$s SELECT l.* FROM unnest($1::date[]) d,'
                   ' report_live_%1$s(d::timestamptz, (d + 1)::timestamptz) l', p_kind)
        USING p_days;
END
$$;
