-- 107_apply_leaner: the same new order for less of PostgreSQL's CPU
-- (issue 27, information entry).
--
-- Counted with callgrind on a single-user backend calling
-- hall_order_apply_session as the hall does (420 new orders, the
-- difference of a 400- and a 100-order run, so start-up cancels):
-- 2.19 M instructions per order before this migration.  What each change
-- takes off, measured alone:
--   order_no_serial inlined         0.11 M  A SQL function is inlined only
--       when it is not STRICT over a body that is not strict (CASE is not),
--       and when an argument used more than once is not volatile: with
--       STRICT and nextval() as its argument, every order ran it through
--       fmgr_sql, which reads, plans and runs its body each time.  The
--       serial is taken into a variable first; without STRICT a NULL still
--       gives NULL (the CASE's ELSE branch).
--   orders_row_ok's two patterns    0.08 M  PostgreSQL's regex engine
--       expands a bounded repeat ({16,64}) into as many states: 8 µs per
--       match against 2 µs for the same class repeated without bounds and
--       the length compared apart.  The rules are unchanged, and cheaper on
--       every UPDATE of orders too.
--   composite results               0.09 M  A function with OUT parameters
--       builds its result's row type from pg_proc at every call (its
--       argument names, stored compressed in a row this wide, are
--       decompressed each time); a function returning a named composite
--       type takes it from the type cache.  Same columns, same names.
--   session and carrier pass        0.03 M  read in one statement.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE OR REPLACE FUNCTION order_no_serial(p_n bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_n < 100000 THEN lpad(p_n::text, 6, '0') ELSE p_n::text END;

-- sql/096's rules; a submit key and a waybill number are measured by
-- length() (characters, as the bounded repeat counted them) and matched
-- against their class without bounds
CREATE OR REPLACE FUNCTION orders_row_ok(p_business text, p_cert_type text, p_years smallint,
                                         p_cert_fen integer, p_shipping_fen integer,
                                         p_subject text, p_gift text, p_reissue_of text,
                                         p_submit_key text, p_waybill_no text, p_carrier text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (p_business IN ('new', 'reissue', 'seal', 'finauth', 'renew', 'change', 'unlock'))
               IS NOT FALSE
       AND (p_cert_type IN ('org', 'org_person', 'person', 'org_business')) IS NOT FALSE
       AND (p_years BETWEEN 1 AND 5) IS NOT FALSE
       AND (p_cert_fen >= 0) IS NOT FALSE
       AND (p_shipping_fen >= 0) IS NOT FALSE
       AND (length(p_subject) <= 100) IS NOT FALSE
       AND (length(p_gift) BETWEEN 1 AND 100) IS NOT FALSE
       AND (p_reissue_of IS NULL OR p_business IN ('reissue', 'renew', 'change', 'unlock'))
               IS NOT FALSE
       AND (length(p_submit_key) BETWEEN 16 AND 64 AND p_submit_key ~ '^[A-Za-z0-9_-]+$')
               IS NOT FALSE
       AND (length(p_waybill_no) BETWEEN 4 AND 32 AND p_waybill_no ~ '^[A-Za-z0-9]+$')
               IS NOT FALSE
       AND (length(p_carrier) <= 40) IS NOT FALSE;
END $$;

DROP FUNCTION hall_order_apply_session(bytea, bytea, integer, integer, text, integer, text,
                                       smallint, boolean, text, integer, integer, bytea, text,
                                       bigint, text, text, text, text);
DROP FUNCTION hall_order_apply(bigint, bigint, text, integer, text, smallint, boolean, text,
                               integer, integer, bytea, text, bigint, text, text, text, text);

CREATE TYPE hall_apply_result AS (
    outcome  text,
    order_id bigint,
    order_no text,
    rev      integer);

CREATE TYPE hall_apply_session_result AS (
    outcome      text,
    order_id     bigint,
    order_no     text,
    rev          integer,
    user_id      bigint,
    partner_code text,
    who          text,
    passed       text);

-- sql/104's, returning hall_apply_result
CREATE FUNCTION hall_order_apply(
    p_order_id   bigint,
    p_user_id    bigint,
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
RETURNS hall_apply_result LANGUAGE plpgsql AS $$
DECLARE
    r        hall_apply_result;
    v_n      integer;
    v_t      text;
    v_serial bigint;
BEGIN
    IF p_order_id IS NULL THEN
        v_t := pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0))::text;
        -- the cap's check and this order's count in one statement
        IF p_daily_max > 0 THEN
            INSERT INTO user_daily AS d (user_id, day, orders)
            VALUES (p_user_id, beijing_day(now()), 1)
            ON CONFLICT (user_id, day) DO UPDATE SET orders = d.orders + 1
             WHERE d.orders < p_daily_max
            RETURNING d.orders INTO v_n;
        END IF;
        IF v_n IS NULL THEN
            r.outcome := 'capped';
            RETURN r;
        END IF;
        v_t := set_config('hall.writer', 'hall_order_apply', true);
        v_serial := nextval('order_no_seq');
        -- what orders_insert writes into a new row: a draft's gift (sql/046,
        -- 081) and the applicant's 不发布 choice (sql/047); a draft reaches no
        -- step (reached 0, sql/015)
        INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
                            years, seal, status, step, subject, cert_fen, shipping_fen, form_enc,
                            form_rev, submit_key, gift, no_publish)
        VALUES (p_prefix || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                    || order_no_serial(v_serial),
                p_user_id, p_partner, p_business, p_product_id, p_cert_type, p_years, p_seal, 'draft',
                'info', p_subject, p_cert_fen, p_ship_fen, p_form_enc, 1, p_submit_key,
                promotion_gift((SELECT p.promotion FROM partners p WHERE p.code = p_partner),
                               p_business, p_years, p_seal),
                coalesce((SELECT a.no_publish FROM agreement_acceptances a
                           WHERE a.user_id = p_user_id AND a.context = 'flow:' || p_business
                           ORDER BY a.accepted_at DESC, a.id DESC LIMIT 1), false))
        ON CONFLICT (user_id, submit_key) WHERE submit_key IS NOT NULL DO NOTHING
        RETURNING orders.id, orders.order_no INTO r.order_id, r.order_no;
        v_t := set_config('hall.writer', '', true);
        IF r.order_id IS NULL THEN
            UPDATE user_daily d SET orders = d.orders - 1
             WHERE d.user_id = p_user_id AND d.day = beijing_day(now());
            SELECT 'again', o.id, o.order_no, o.form_rev INTO r.outcome, r.order_id, r.order_no, r.rev
              FROM orders o WHERE o.user_id = p_user_id AND o.submit_key = p_submit_key;
            RETURN r;
        END IF;
        INSERT INTO order_counts AS c (user_id, n) VALUES (p_user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET n = c.n + 1;
        r.outcome := 'created';
        r.rev := 1;
        INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, ip, request_id)
        VALUES ('user:' || p_user_id, 'order', r.order_id::text, 'create', NULL, 'draft', p_ip,
                p_request_id);
    ELSE
        UPDATE orders o SET product_id = p_product_id, cert_type = p_cert_type, years = p_years,
               seal = p_seal, subject = p_subject, cert_fen = p_cert_fen, shipping_fen = p_ship_fen,
               form_enc = p_form_enc, form_rev = o.form_rev + 1,
               step = CASE WHEN o.step = 'choose' THEN 'info' ELSE o.step END, updated_at = now()
         WHERE o.id = p_order_id AND o.user_id = p_user_id AND o.status IN ('draft', 'rejected')
        RETURNING o.id, o.order_no, o.form_rev INTO r.order_id, r.order_no, r.rev;
        IF r.order_id IS NULL THEN
            r.outcome := 'locked';
            r.order_id := p_order_id;
            RETURN r;
        END IF;
        r.outcome := 'edited';
        INSERT INTO audit_log (actor, entity, entity_id, action, ip, request_id)
        VALUES ('user:' || p_user_id, 'order', r.order_id::text, 'edit', p_ip, p_request_id);
    END IF;
    INSERT INTO order_revisions (order_id, rev, form_enc) VALUES (r.order_id, r.rev, p_form_enc);
    RETURN r;
END
$$;

-- sql/097's, returning hall_apply_session_result; the session and the
-- carrier pass in one statement
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
