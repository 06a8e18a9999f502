-- An order number's serial part: at least six digits.  Inlined into its
-- callers: not STRICT (its CASE is not) and called with a variable, not
-- nextval(), so PostgreSQL does not run it through fmgr_sql each time.
CREATE OR REPLACE FUNCTION order_no_serial(p_n bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_n < 100000 THEN lpad(p_n::text, 6, '0') ELSE p_n::text END;
