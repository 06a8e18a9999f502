-- 097_apply_session: a new order of 证书新办 in one round trip: the session,
-- its idle deadline, the kept carrier pass and the apply in one call
-- (issue 27, information entry).
--
-- The submit read the session with the cap's count and the carrier pass
-- (flow_session_pre, core/flow/flow.c) before it checked the form, then
-- called hall_order_apply: two round trips, each a wait and a wake-up of
-- the worker and its backend, and the first a statement of three index
-- scans and a PL/pgSQL call.  A JSON submit of a new order now reads the
-- session here instead, after the form is checked: no session (or an
-- expired one) answers 'nosession' and nothing is written; no pass of the
-- carrier within p_keep answers 'carrier' (or 'capped' when the applicant
-- is at the cap already, so that no carrier call is spent), and the worker
-- asks the carrier and calls hall_order_apply itself; otherwise the order
-- is written by hall_order_apply, in this transaction, with its lock and
-- its exact cap.  The session's idle deadline moves as session_touch moves
-- it, at most once a minute.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE FUNCTION hall_order_apply_session(
    p_token      bytea,
    p_carrier    bytea,
    p_keep_s     integer,
    p_idle_s     integer,
    p_partner    text,
    p_product_id integer,
    p_cert_type  text,
    p_years      smallint,
    p_seal       boolean,
    p_subject    text,
    p_cert_fen   integer,
    p_ship_fen   integer,
    p_form_enc   bytea,
    p_submit_key text,
    p_daily_max  bigint,
    p_ip         text,
    p_request_id text,
    p_business   text,
    p_prefix     text,
    OUT outcome  text,
    OUT order_id bigint,
    OUT order_no text,
    OUT rev      integer,
    OUT user_id  bigint,
    OUT partner_code text,
    OUT who      text,
    OUT passed   text)
LANGUAGE plpgsql AS $$
DECLARE
    v_stale boolean;
    v_r     record;
BEGIN
    -- as session_get (core/store/db.c)
    SELECT s.user_id, s.partner_code, s.who, s.last_seen < now() - interval '60 seconds'
      INTO user_id, partner_code, who, v_stale
      FROM sessions s
     WHERE s.token_hash = p_token AND s.idle_expires > now() AND s.absolute_expires > now();
    IF user_id IS NULL THEN
        outcome := 'nosession';
        RETURN;
    END IF;
    IF v_stale THEN
        -- as session_touch
        UPDATE sessions s SET last_seen = now(),
               idle_expires = least(s.absolute_expires, now() + make_interval(secs => p_idle_s))
         WHERE s.token_hash = p_token;
    END IF;
    SELECT to_char(c.passed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') INTO passed
      FROM carrier_passes c
     WHERE c.user_id = hall_order_apply_session.user_id AND c.key = p_carrier
       AND c.passed_at > now() - make_interval(secs => p_keep_s);
    IF passed IS NULL THEN
        -- the early refusal that spares the carrier call; the exact check
        -- is hall_order_apply's, under the applicant's lock
        outcome := CASE WHEN p_daily_max <= 0 OR user_today(user_id, 'orders') >= p_daily_max
                        THEN 'capped' ELSE 'carrier' END;
        RETURN;
    END IF;
    v_r := hall_order_apply(NULL, user_id, p_partner, p_product_id, p_cert_type, p_years, p_seal,
                            p_subject, p_cert_fen, p_ship_fen, p_form_enc, p_submit_key,
                            p_daily_max, p_ip, p_request_id, p_business, p_prefix);
    outcome := v_r.outcome;
    order_id := v_r.order_id;
    order_no := v_r.order_no;
    rev := v_r.rev;
END
$$;
