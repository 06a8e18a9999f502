-- 042_beijing_time: the functions that count days count Beijing days
-- whoever calls them (issue 22 §4).
--
-- The hall's own sessions keep Asia/Shanghai (core/db.c sets it on every
-- connection), so to_char(), current_date and the date casts of the
-- modules' statements are Beijing's.  The functions below also run from
-- other sessions (psql, script/backup's checks, a trigger fired by an
-- operator's UPDATE, the benchmarks): they no longer depend on the
-- caller's TimeZone.
--
-- * report_mark (the roll-up's markers, fired by every change of an order,
--   payment, refund, micro-deposit or certificate): the day of a moment and
--   today are beijing_day() (sql/031).
-- * report_rollup_refresh, report_rollup_days and the reports' sources
--   report_<kind>_src: they run with TimeZone Asia/Shanghai (SET clause),
--   which the report_live_<kind> queries they run inherit (date casts of
--   timestamptz and timestamptz bounds of dates).  report_live_<kind>
--   keep no SET clause: PostgreSQL inlines them into those queries only
--   without one, and they are called only from inside these functions.
-- * hall_order_apply: the order number's YYYYMMDD is the Beijing date.
--
-- add_workdays, workdays_between and is_workday take and give dates: no
-- time zone in them.  user_daily (the daily caps) counts beijing_day()
-- since sql/031.
--
-- The roll-up is emptied: its days may be the server's calendar days.  The
-- next refresh (hall-outbox, within 10 s) rolls every day up again; until
-- then the reports read the tables live (the same figures, slower).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE OR REPLACE FUNCTION report_mark(p_kind text, p_old timestamptz, p_new timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_today date := beijing_day(now());
BEGIN
    -- days from today on are read live whatever the roll-up holds
    IF p_old IS NOT NULL AND beijing_day(p_old) < v_today THEN
        INSERT INTO report_dirty (kind, day) VALUES (p_kind, beijing_day(p_old));
    END IF;
    IF p_new IS NOT NULL AND beijing_day(p_new) < v_today
       AND (p_old IS NULL OR beijing_day(p_new) <> beijing_day(p_old)) THEN
        INSERT INTO report_dirty (kind, day) VALUES (p_kind, beijing_day(p_new));
    END IF;
END
$$;

ALTER FUNCTION report_rollup_refresh() SET TimeZone = 'Asia/Shanghai';
ALTER FUNCTION report_rollup_days(text, date[], date, date) SET TimeZone = 'Asia/Shanghai';
ALTER FUNCTION report_orders_src(date, date) SET TimeZone = 'Asia/Shanghai';
ALTER FUNCTION report_review_src(date, date) SET TimeZone = 'Asia/Shanghai';
ALTER FUNCTION report_money_src(date, date) SET TimeZone = 'Asia/Shanghai';
ALTER FUNCTION report_finauth_src(date, date) SET TimeZone = 'Asia/Shanghai';
ALTER FUNCTION report_certs_src(date, date) SET TimeZone = 'Asia/Shanghai';
ALTER FUNCTION hall_order_apply(bigint, bigint, text, integer, text, smallint, boolean, text,
                                integer, integer, bytea, text, bigint, text, text, text, text)
    SET TimeZone = 'Asia/Shanghai';

-- roll every day up again, by Beijing days; no refresh runs meanwhile
LOCK TABLE report_rollup_state IN EXCLUSIVE MODE;
DELETE FROM report_dirty;
DELETE FROM report_roll_orders;
DELETE FROM report_roll_review;
DELETE FROM report_roll_money;
DELETE FROM report_roll_finauth;
DELETE FROM report_roll_certs;
UPDATE report_rollup_state SET upto = '-infinity', refreshed_at = NULL;

COMMENT ON FUNCTION report_mark(text, timestamptz, timestamptz) IS
    'marks the Beijing days of p_old and p_new dirty when before today (024, 042)';
