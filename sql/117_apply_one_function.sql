-- 117_apply_one_function: the information entry's one-trip submit and the
-- other flows' first submit call one function, hall_order_apply
-- (sql/functions/hall_order_apply.sql), which reads the session itself
-- when given its token: the wrapper hall_order_apply_session and its call
-- of hall_order_apply went, and with them the per-request cost of a second
-- PL/pgSQL frame (docs/performance.md, the information entry).
-- hall_order_apply now returns hall_apply_session_result; the old
-- signature is dropped here so that its file creates the new one, and
-- hall_apply_result, which nothing returns any more, goes too.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

DROP FUNCTION hall_order_apply_session(bytea, bytea, integer, integer, text, integer, text,
                                       smallint, boolean, text, integer, integer, bytea, text,
                                       bigint, text, text, text, text);
DROP FUNCTION hall_order_apply(bigint, bigint, text, integer, text, smallint, boolean, text,
                               integer, integer, bytea, text, bigint, text, text, text, text);
DROP TYPE hall_apply_result;
