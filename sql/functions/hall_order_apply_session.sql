-- 证书新办's one-trip JSON submit (core/flow/submit.c, flow_order_apply_session):
-- the applicant's session read as session_get reads it (core/store/db.c),
-- the carrier pass checked, the early refusal of a capped applicant (a form
-- whose key is stored still finds its order), then hall_order_apply; one
-- row with the session's user, partner and who, or 'nosession'.
CREATE OR REPLACE FUNCTION hall_order_apply_session(
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
    p_prefix     text)
RETURNS hall_apply_session_result LANGUAGE plpgsql AS $$
DECLARE
    r       hall_apply_session_result;
    v_stale boolean;
    v_a     hall_apply_result;
BEGIN
    -- as session_get (core/store/db.c)
    SELECT s.user_id, s.partner_code, s.who, s.last_seen < now() - interval '60 seconds',
           (SELECT to_char(c.passed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')
              FROM carrier_passes c
             WHERE c.user_id = s.user_id AND c.key = p_carrier
               AND c.passed_at > now() - make_interval(secs => p_keep_s))
      INTO r.user_id, r.partner_code, r.who, v_stale, r.passed
      FROM sessions s
     WHERE s.token_hash = p_token AND s.idle_expires > now() AND s.absolute_expires > now();
    IF r.user_id IS NULL THEN
        r.outcome := 'nosession';
        RETURN r;
    END IF;
    IF v_stale THEN
        -- as session_touch
        UPDATE sessions s SET last_seen = now(),
               idle_expires = least(s.absolute_expires, now() + make_interval(secs => p_idle_s))
         WHERE s.token_hash = p_token;
    END IF;
    IF r.passed IS NULL THEN
        -- the early refusal that spares the carrier call; the exact check
        -- is hall_order_apply's, under the applicant's lock
        r.outcome := CASE WHEN p_daily_max <= 0 OR user_today(r.user_id, 'orders') >= p_daily_max
                          THEN 'capped' ELSE 'carrier' END;
        IF r.outcome = 'capped' THEN
            SELECT 'again', o.id, o.order_no, o.form_rev
              INTO r.outcome, r.order_id, r.order_no, r.rev
              FROM orders o WHERE o.user_id = r.user_id AND o.submit_key = p_submit_key;
            r.outcome := coalesce(r.outcome, 'capped');
        END IF;
        RETURN r;
    END IF;
    v_a := hall_order_apply(NULL, r.user_id, p_partner, p_product_id, p_cert_type, p_years, p_seal,
                            p_subject, p_cert_fen, p_ship_fen, p_form_enc, p_submit_key,
                            p_daily_max, p_ip, p_request_id, p_business, p_prefix);
    r.outcome := v_a.outcome;
    r.order_id := v_a.order_id;
    r.order_no := v_a.order_no;
    r.rev := v_a.rev;
    RETURN r;
END
$$;
