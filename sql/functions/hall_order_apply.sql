-- The information entry's transaction in one call (证书新办 and the other
-- flows' first submit; docs/modules/new.md): the applicant's lock, a form
-- whose submit key is stored already finds its order ('again') before the
-- daily cap counts it, the cap counted (user_daily) or 'capped', the order
-- inserted or its draft updated, its number (prefix, Beijing date, serial),
-- the order list's total (order_counts) and the audit row.  Its outcome:
-- 'created', 'edited' (a draft updated), 'again', 'locked' or 'capped'.
-- Given a session token (p_token) instead of a user, it first reads the
-- session as session_get reads it (core/store/db.c) and moves its idle
-- deadline as session_touch does, with the carrier pass kept for p_carrier
-- (sql/087): 'nosession' without a session; without a pass, 'capped' when
-- the cap refuses already (a form whose key is stored still finds its
-- order) or 'carrier', writing nothing; user_id, partner_code, who and
-- passed say what it read (core/flow/submit.c's one-trip JSON submit).
-- Every insert of an order is made here under the applicant's lock, so the
-- key's lookup before the insert cannot race a second insert of the same
-- key (orders_submit_key_idx stays as the guard): the INSERT needs no ON
-- CONFLICT, whose speculative insertion costs every order a lock-manager
-- lock and a WAL record more, key or not.
-- hall.writer is set around the INSERT: orders_insert and orders_added then
-- leave the new row's gift, 不发布 and steps, and the counts, to it.
CREATE OR REPLACE FUNCTION hall_order_apply(
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
    p_prefix     text,
    p_token      bytea DEFAULT NULL,
    p_carrier    bytea DEFAULT NULL,
    p_keep_s     integer DEFAULT NULL,
    p_idle_s     integer DEFAULT NULL)
RETURNS hall_apply_session_result LANGUAGE plpgsql AS $$
DECLARE
    r        hall_apply_session_result;
    v_user   bigint := p_user_id;
    v_stale  boolean;
    v_n      integer;
    v_t      text;
    v_serial bigint;
BEGIN
    IF p_token IS NOT NULL THEN
        SELECT s.user_id, s.partner_code, s.who, s.last_seen < now() - interval '60 seconds',
               (SELECT to_char(c.passed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')
                  FROM carrier_passes c
                 WHERE c.user_id = s.user_id AND c.key = p_carrier
                   AND c.passed_at > now() - make_interval(secs => p_keep_s))
          INTO v_user, r.partner_code, r.who, v_stale, r.passed
          FROM sessions s
         WHERE s.token_hash = p_token AND s.idle_expires > now() AND s.absolute_expires > now();
        IF v_user IS NULL THEN
            r.outcome := 'nosession';
            RETURN r;
        END IF;
        r.user_id := v_user;
        IF v_stale THEN
            UPDATE sessions s SET last_seen = now(),
                   idle_expires = least(s.absolute_expires, now() + make_interval(secs => p_idle_s))
             WHERE s.token_hash = p_token;
        END IF;
        IF r.passed IS NULL THEN
            -- the early refusal that spares the carrier call; the exact
            -- check is below, under the applicant's lock
            r.outcome := CASE WHEN p_daily_max <= 0 OR user_today(v_user, 'orders') >= p_daily_max
                              THEN 'capped' ELSE 'carrier' END;
            IF r.outcome = 'capped' THEN
                SELECT 'again', o.id, o.order_no, o.form_rev
                  INTO r.outcome, r.order_id, r.order_no, r.rev
                  FROM orders o WHERE o.user_id = v_user AND o.submit_key = p_submit_key;
                r.outcome := coalesce(r.outcome, 'capped');
            END IF;
            RETURN r;
        END IF;
    END IF;
    IF p_order_id IS NULL THEN
        v_t := pg_advisory_xact_lock(hashtextextended('hall-user:' || v_user::text, 0))::text;
        -- a form sent again (its key stored) finds its order, counted once
        IF p_submit_key IS NOT NULL THEN
            SELECT 'again', o.id, o.order_no, o.form_rev INTO r.outcome, r.order_id, r.order_no, r.rev
              FROM orders o WHERE o.user_id = v_user AND o.submit_key = p_submit_key;
            IF r.order_id IS NOT NULL THEN
                RETURN r;
            END IF;
        END IF;
        -- the cap's check and this order's count in one statement
        IF p_daily_max > 0 THEN
            INSERT INTO user_daily AS d (user_id, day, orders)
            VALUES (v_user, beijing_day(now()), 1)
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
                v_user, p_partner, p_business, p_product_id, p_cert_type, p_years, p_seal, 'draft',
                'info', p_subject, p_cert_fen, p_ship_fen, p_form_enc, 1, p_submit_key,
                promotion_gift((SELECT p.promotion FROM partners p WHERE p.code = p_partner),
                               p_business, p_years, p_seal),
                coalesce((SELECT a.no_publish FROM agreement_acceptances a
                           WHERE a.user_id = v_user AND a.context = 'flow:' || p_business
                           ORDER BY a.accepted_at DESC, a.id DESC LIMIT 1), false))
        RETURNING orders.id, orders.order_no INTO r.order_id, r.order_no;
        v_t := set_config('hall.writer', '', true);
        INSERT INTO order_counts AS c (user_id, n) VALUES (v_user, 1)
        ON CONFLICT (user_id) DO UPDATE SET n = c.n + 1;
        r.outcome := 'created';
        r.rev := 1;
        INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, ip, request_id)
        VALUES ('user:' || v_user, 'order', r.order_id::text, 'create', NULL, 'draft', p_ip,
                p_request_id);
    ELSE
        UPDATE orders o SET product_id = p_product_id, cert_type = p_cert_type, years = p_years,
               seal = p_seal, subject = p_subject, cert_fen = p_cert_fen, shipping_fen = p_ship_fen,
               form_enc = p_form_enc, form_rev = o.form_rev + 1,
               step = CASE WHEN o.step = 'choose' THEN 'info' ELSE o.step END, updated_at = now()
         WHERE o.id = p_order_id AND o.user_id = v_user AND o.status IN ('draft', 'rejected')
        RETURNING o.id, o.order_no, o.form_rev INTO r.order_id, r.order_no, r.rev;
        IF r.order_id IS NULL THEN
            r.outcome := 'locked';
            r.order_id := p_order_id;
            RETURN r;
        END IF;
        r.outcome := 'edited';
        INSERT INTO audit_log (actor, entity, entity_id, action, ip, request_id)
        VALUES ('user:' || v_user, 'order', r.order_id::text, 'edit', p_ip, p_request_id);
    END IF;
    INSERT INTO order_revisions (order_id, rev, form_enc) VALUES (r.order_id, r.rev, p_form_enc);
    RETURN r;
END
$$;
