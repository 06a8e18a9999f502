-- An applicant's new orders (p_what 'orders') or uploaded files of today, in
-- Beijing days (user_daily): the daily caps' read.  PL/pgSQL, whose plan is
-- kept for the session.
CREATE OR REPLACE FUNCTION user_today(p_user_id bigint, p_what text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v bigint;
BEGIN
    SELECT CASE p_what WHEN 'orders' THEN d.orders ELSE d.uploads END INTO v
      FROM user_daily d
     WHERE d.user_id = p_user_id AND d.day = beijing_day(now());
    RETURN coalesce(v, 0);
END
$$;
