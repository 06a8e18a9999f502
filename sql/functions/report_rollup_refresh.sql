-- The reports' daily roll-up (modules/report; docs/performance.md): hall-outbox
-- calls it every 10 s.  Deletes the dirty-day markers it sees, recomputes
-- those days and the days between the old upto and yesterday, in one
-- transaction; a marker committed after its DELETE stays for the next
-- refresh.  -1 when another refresh runs (advisory lock), else the number of
-- dirty days recomputed.  Beijing days (SET TimeZone, which the
-- report_live_<kind> queries it runs inherit).
CREATE OR REPLACE FUNCTION report_rollup_refresh() RETURNS integer LANGUAGE plpgsql
SET TimeZone = 'Asia/Shanghai' AS $$
DECLARE
    v_old date;
    v_new date := current_date - 1;
    v_kind text;
    v_days date[];
    v_n integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('report_rollup_refresh')) THEN
        RETURN -1;
    END IF;
    SELECT upto INTO v_old FROM report_rollup_state FOR UPDATE;
    IF v_new < v_old THEN
        v_new := v_old;
    END IF;
    FOREACH v_kind IN ARRAY ARRAY['orders', 'review', 'money', 'finauth', 'certs'] LOOP
        WITH d AS (DELETE FROM report_dirty WHERE kind = v_kind RETURNING day)
        SELECT coalesce(array_agg(DISTINCT d.day) FILTER (WHERE d.day < v_old), '{}')
          INTO v_days FROM d;
        PERFORM report_rollup_days(v_kind, v_days, v_old, v_new);
        v_n := v_n + cardinality(v_days);
    END LOOP;
    UPDATE report_rollup_state SET upto = v_new, refreshed_at = now();
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION report_rollup_refresh() IS 'rolls up dirty days and the days before yesterday; hall-outbox every 10 s (024)';
