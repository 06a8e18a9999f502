-- 092_apply_counts: hall_order_apply and hall_file_upload keep the daily
-- caps' counts (user_daily, sql/031) and the order list's total
-- (order_counts, sql/029) themselves, in their own transaction, and the
-- mark of a removed upload is planned once per session (issue 27,
-- information entry and upload).
--
-- The counts were kept by statement triggers with a transition table
-- (orders_added, sql/086; user_daily_uploads, sql/031): per new order a
-- PL/pgSQL trigger call, the new row copied into a tuplestore and two
-- INSERT ... SELECT ... GROUP BY over it, about 60 us of PostgreSQL's CPU
-- per order; and the cap was read by a statement of its own before.  Now
-- the cap's check and the count are one statement: the day's row of
-- user_daily is added to only while it is below the cap (INSERT ... ON
-- CONFLICT DO UPDATE ... WHERE, which locks the row and checks the latest
-- version), so no row back means capped and nothing is written.  Still in
-- the transaction that inserts the order or the file, after the
-- applicant's advisory lock as before: the caps stay exact under parallel
-- requests.  An apply that finds its submit key already used ('again')
-- gives its count back before it answers.
--
-- The triggers stay for every other writer (a transfer voucher, a script's
-- INSERT): they skip a statement only while the transaction-local setting
-- hall.writer names a writer that counted the rows itself
-- ('hall_order_apply' or 'hall_file_upload'), which these two functions set
-- just around their INSERT.  Both
-- lock user_daily's row before order_counts' (the trigger too), so two
-- writers never lock them in opposite orders.
--
-- hall_files_removed marked the removed uploads with one UPDATE over
-- = ANY (p_ids), which PostgreSQL planned again at every call (a custom
-- plan estimated cheaper than the generic one for a one-element array):
-- now one UPDATE per id, planned once per session.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE OR REPLACE FUNCTION orders_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- in applicant order, user_daily before order_counts: two writers
    -- never lock rows in opposite orders
    INSERT INTO user_daily AS d (user_id, day, orders)
        SELECT user_id, beijing_day(created_at), count(*) FROM orders_new
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, day) DO UPDATE SET orders = d.orders + excluded.orders;
    INSERT INTO order_counts AS c (user_id, n)
        SELECT user_id, count(*) FROM orders_new GROUP BY user_id ORDER BY user_id
        ON CONFLICT (user_id) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

DROP TRIGGER orders_added ON orders;
CREATE TRIGGER orders_added AFTER INSERT ON orders
    REFERENCING NEW TABLE AS orders_new
    FOR EACH STATEMENT
    WHEN (current_setting('hall.writer', true) IS DISTINCT FROM 'hall_order_apply')
    EXECUTE FUNCTION orders_added();

DROP TRIGGER user_daily_uploads ON order_files;
CREATE TRIGGER user_daily_uploads AFTER INSERT ON order_files
    REFERENCING NEW TABLE AS user_daily_new_files
    FOR EACH STATEMENT
    WHEN (current_setting('hall.writer', true) IS DISTINCT FROM 'hall_file_upload')
    EXECUTE FUNCTION user_daily_uploads();

-- the same arguments and answers as sql/086's
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
        INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
                            years, seal, status, step, subject, cert_fen, shipping_fen, form_enc,
                            form_rev, submit_key)
        VALUES (p_prefix || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                    || lpad(nextval('order_no_seq')::text, 6, '0'),
                p_user_id, p_partner, p_business, p_product_id, p_cert_type, p_years, p_seal, 'draft',
                'info', p_subject, p_cert_fen, p_ship_fen, p_form_enc, 1, p_submit_key)
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

-- the same arguments and answers as sql/037's
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
        RETURN QUERY SELECT 'locked'::text, NULL::bigint, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF v_rev <> p_form_rev THEN
        RETURN QUERY SELECT 'edited'::text, NULL::bigint, NULL::bigint, NULL::text;
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
        RETURN QUERY SELECT 'capped'::text, NULL::bigint, NULL::bigint, NULL::text;
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
    RETURN QUERY SELECT 'stored'::text, v_id, o.id, o.name
                   FROM unnest(coalesce(v_ids, '{NULL}'), coalesce(v_names, '{NULL}')) AS o(id, name);
END
$$;

-- the same argument and answer as sql/035's
CREATE OR REPLACE FUNCTION hall_files_removed(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
    k integer;
    n integer := 0;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    IF p_ids IS NULL THEN
        RETURN 0;
    END IF;
    FOREACH v IN ARRAY p_ids LOOP
        UPDATE order_files SET removed_at = now() WHERE id = v AND removed_at IS NULL;
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;
    END LOOP;
    RETURN n;
END
$$;
