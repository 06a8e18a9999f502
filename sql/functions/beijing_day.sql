-- the Beijing calendar day of a moment
CREATE OR REPLACE FUNCTION beijing_day(t timestamptz) RETURNS date LANGUAGE sql STABLE AS
$$ SELECT (t AT TIME ZONE 'Asia/Shanghai')::date $$;
