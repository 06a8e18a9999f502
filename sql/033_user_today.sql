-- 033_user_today: the daily caps' read in PL/pgSQL (issue 10).
--
-- user_today (sql/031) was a LANGUAGE sql function whose body holds a
-- sub-select, which PostgreSQL cannot inline: every call parsed and planned
-- the body again.  It is read twice per information entry (the early
-- refusal and the cap inside hall_order_apply) and once per upload; perf
-- of POST /new/apply under load put a quarter of PostgreSQL's CPU in those
-- parses and plans (fmgr_sql).  PL/pgSQL keeps the plan of its statement
-- for the session.  Same arguments, same answer.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

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
