-- The query that reads kind over [p_from, p_to]: the roll-up's rows of the
-- clean days before upto, report_live_<kind> over [max(p_from, upto),
-- p_to] and over each dirty day.  The bounds and the dirty days are written
-- into the text as literals, so that each call is planned for them (a
-- generic plan guesses a third of the table for a range and scans it all).
CREATE OR REPLACE FUNCTION report_src_sql(p_kind text, p_from date, p_to date)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_upto date;
    v_dirty date[];
    v_q text;
BEGIN
    SELECT upto INTO v_upto FROM report_rollup_state;
    SELECT coalesce(array_agg(DISTINCT r.day), '{}') INTO v_dirty FROM report_dirty r
     WHERE r.kind = p_kind AND r.day >= p_from AND r.day <= p_to AND r.day < v_upto;
    v_q := format('SELECT r.* FROM report_roll_%s r WHERE r.day >= %L AND r.day < %L'
                  ' AND r.day <> ALL (%L::date[])', p_kind, p_from, least(p_to + 1, v_upto), v_dirty);
    IF p_to >= v_upto THEN
        v_q := v_q || format(' UNION ALL SELECT * FROM report_live_%s(%L, %L)', p_kind,
                             greatest(p_from, v_upto)::timestamptz, (p_to + 1)::timestamptz);
    END IF;
    IF cardinality(v_dirty) > 0 THEN
        v_q := v_q || format(' UNION ALL SELECT l.* FROM unnest(%L::date[]) d,'
                             ' report_live_%s(d::timestamptz, (d + 1)::timestamptz) l', v_dirty, p_kind);
    END IF;
    RETURN v_q;
END
$$;
