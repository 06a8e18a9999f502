-- The roll-up's dirty days (report_dirty): the Beijing days of p_old and
-- p_new when before today (days from today on are read live whatever the
-- roll-up holds).  Called by the report_mark_<table> triggers.
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

COMMENT ON FUNCTION report_mark(text, timestamptz, timestamptz) IS
    'marks the Beijing days of p_old and p_new dirty when before today (024, 042)';
