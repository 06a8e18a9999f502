-- 093_apply_insert: a new order of hall_order_apply is written whole by its
-- INSERT, without the orders_insert trigger's call, and hall_file_upload
-- answers its rows without a query of its own (issue 27, information entry
-- and upload).
--
-- orders_insert (sql/086), a PL/pgSQL BEFORE INSERT trigger, wrote the
-- gift of the partner's promotion, the applicant's 不发布 choice and the
-- steps reached into each new row: per order a trigger call that copies
-- the row of 38 columns into a record and back.  hall_order_apply now
-- writes the gift and the choice in its INSERT's VALUES (the same two
-- look-ups; a draft reaches no step, so reached keeps its default 0), and
-- the trigger skips the rows of that INSERT as orders_added does (sql/092:
-- the transaction-local hall.writer is 'hall_order_apply' around it).  It
-- stays for every other writer of orders.
--
-- hall_file_upload answered with RETURN QUERY over unnest of its arrays: a
-- query planned and run per call for one row.  RETURN NEXT of its OUT
-- columns gives the same rows.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

DROP TRIGGER orders_insert ON orders;
CREATE TRIGGER orders_insert BEFORE INSERT ON orders
    FOR EACH ROW
    WHEN (current_setting('hall.writer', true) IS DISTINCT FROM 'hall_order_apply')
    EXECUTE FUNCTION orders_insert();

-- the same arguments and answers as sql/092's
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
    OUT outcome  text,
    OUT order_id bigint,
    OUT order_no text,
    OUT rev      integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_n integer;
BEGIN
    IF p_order_id IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0));
        -- the cap's check and this order's count in one statement
        IF p_daily_max > 0 THEN
            INSERT INTO user_daily AS d (user_id, day, orders)
            VALUES (p_user_id, beijing_day(now()), 1)
            ON CONFLICT (user_id, day) DO UPDATE SET orders = d.orders + 1
             WHERE d.orders < p_daily_max
            RETURNING d.orders INTO v_n;
        END IF;
        IF v_n IS NULL THEN
            outcome := 'capped';
            RETURN;
        END IF;
        PERFORM set_config('hall.writer', 'hall_order_apply', true);
        -- what orders_insert writes into a new row: a draft's gift (sql/046,
        -- 081) and the applicant's 不发布 choice (sql/047); a draft reaches no
        -- step (reached 0, sql/015)
        INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
                            years, seal, status, step, subject, cert_fen, shipping_fen, form_enc,
                            form_rev, submit_key, gift, no_publish)
        VALUES (p_prefix || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                    || lpad(nextval('order_no_seq')::text, 6, '0'),
                p_user_id, p_partner, p_business, p_product_id, p_cert_type, p_years, p_seal, 'draft',
                'info', p_subject, p_cert_fen, p_ship_fen, p_form_enc, 1, p_submit_key,
                promotion_gift((SELECT p.promotion FROM partners p WHERE p.code = p_partner),
                               p_business, p_years, p_seal),
                coalesce((SELECT a.no_publish FROM agreement_acceptances a
                           WHERE a.user_id = p_user_id AND a.context = 'flow:' || p_business
                           ORDER BY a.accepted_at DESC, a.id DESC LIMIT 1), false))
        ON CONFLICT (user_id, submit_key) WHERE submit_key IS NOT NULL DO NOTHING
        RETURNING orders.id, orders.order_no INTO order_id, order_no;
        PERFORM set_config('hall.writer', '', true);
        IF order_id IS NULL THEN
            UPDATE user_daily d SET orders = d.orders - 1
             WHERE d.user_id = p_user_id AND d.day = beijing_day(now());
            SELECT 'again', o.id, o.order_no, o.form_rev INTO outcome, order_id, order_no, rev
              FROM orders o WHERE o.user_id = p_user_id AND o.submit_key = p_submit_key;
            RETURN;
        END IF;
        INSERT INTO order_counts AS c (user_id, n) VALUES (p_user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET n = c.n + 1;
        outcome := 'created';
        rev := 1;
        INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, ip, request_id)
        VALUES ('user:' || p_user_id, 'order', order_id::text, 'create', NULL, 'draft', p_ip,
                p_request_id);
    ELSE
        UPDATE orders o SET product_id = p_product_id, cert_type = p_cert_type, years = p_years,
               seal = p_seal, subject = p_subject, cert_fen = p_cert_fen, shipping_fen = p_ship_fen,
               form_enc = p_form_enc, form_rev = o.form_rev + 1,
               step = CASE WHEN o.step = 'choose' THEN 'info' ELSE o.step END, updated_at = now()
         WHERE o.id = p_order_id AND o.user_id = p_user_id AND o.status IN ('draft', 'rejected')
        RETURNING o.id, o.order_no, o.form_rev INTO order_id, order_no, rev;
        IF order_id IS NULL THEN
            outcome := 'locked';
            order_id := p_order_id;
            RETURN;
        END IF;
        outcome := 'edited';
        INSERT INTO audit_log (actor, entity, entity_id, action, ip, request_id)
        VALUES ('user:' || p_user_id, 'order', order_id::text, 'edit', p_ip, p_request_id);
    END IF;
    INSERT INTO order_revisions (order_id, rev, form_enc) VALUES (order_id, rev, p_form_enc);
END
$$;

-- the same arguments and answers as sql/092's
CREATE OR REPLACE FUNCTION hall_file_upload(
    p_order_id   bigint,
    p_user_id    bigint,
    p_kind       text,
    p_stored     text,
    p_mime       text,
    p_size       integer,
    p_sha256     bytea,
    p_daily_max  bigint,
    p_actor      text,
    p_detail     text,
    p_ip         text,
    p_request_id text,
    p_form_rev   integer)
RETURNS TABLE (outcome text, file_id bigint, old_id bigint, old_name text)
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_rev    integer;
    v_n      integer;
    v_id     bigint;
    v_ids    bigint[];
    v_names  text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0));
    SELECT o.status, o.form_rev INTO v_status, v_rev
      FROM orders o WHERE o.id = p_order_id AND o.user_id = p_user_id FOR SHARE;
    IF v_status IS NULL OR v_status NOT IN ('draft', 'rejected') THEN
        outcome := 'locked';
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_rev <> p_form_rev THEN
        outcome := 'edited';
        RETURN NEXT;
        RETURN;
    END IF;
    -- the cap's check and this file's count in one statement
    IF p_daily_max > 0 THEN
        INSERT INTO user_daily AS d (user_id, day, uploads)
        VALUES (p_user_id, beijing_day(now()), 1)
        ON CONFLICT (user_id, day) DO UPDATE SET uploads = d.uploads + 1
         WHERE d.uploads < p_daily_max
        RETURNING d.uploads INTO v_n;
    END IF;
    IF v_n IS NULL THEN
        outcome := 'capped';
        RETURN NEXT;
        RETURN;
    END IF;
    WITH r AS (
        UPDATE order_files f SET replaced_at = now()
         WHERE f.order_id = p_order_id AND f.kind = p_kind AND f.replaced_at IS NULL
        RETURNING f.id, f.stored_name)
    SELECT array_agg(r.id ORDER BY r.id), array_agg(r.stored_name ORDER BY r.id)
      INTO v_ids, v_names FROM r;
    PERFORM set_config('hall.writer', 'hall_file_upload', true);
    INSERT INTO order_files (order_id, kind, stored_name, mime, size, sha256)
    VALUES (p_order_id, p_kind, p_stored, p_mime, p_size, p_sha256)
    RETURNING order_files.id INTO v_id;
    PERFORM set_config('hall.writer', '', true);
    INSERT INTO audit_log (actor, entity, entity_id, action, detail, ip, request_id)
    VALUES (p_actor, 'order', p_order_id::text, 'upload', p_detail::jsonb, p_ip, p_request_id);
    outcome := 'stored';
    file_id := v_id;
    IF v_ids IS NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;
    FOR i IN 1 .. array_length(v_ids, 1) LOOP
        old_id := v_ids[i];
        old_name := v_names[i];
        RETURN NEXT;
    END LOOP;
END
$$;
