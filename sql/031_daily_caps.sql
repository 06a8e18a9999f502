-- 031_daily_caps: the two daily caps of an applicant (draft_daily_max new
-- orders, upload_daily_max files; core/conf.c) read one kept row instead of
-- counting (issue 10).
--
-- Both caps counted the applicant's orders, or the files of all the
-- applicant's orders, of the last 24 hours, on every apply (twice) and
-- every upload, under the applicant's lock.  A real applicant has at most
-- the cap in that window, but the count still read every one of the
-- applicant's orders of the day from the heap, and the benchmark's
-- applicant (the caps lifted, thousands of orders a run) made it grow
-- through the run: 4.0 ms of PostgreSQL per apply and 3.0 ms per upload
-- against 0.2 ms for the bare INSERT (bench/run, 2026-11-23 22:56 UTC).
--
-- user_daily holds each applicant's new orders and uploaded files per
-- calendar day in Beijing, which is what the messages say ("您今天…", "请明天
-- 再…"): a day starts at 00:00 Asia/Shanghai, no longer 24 hours back.
-- Statement triggers (transition tables) add to it in the transaction that
-- inserts the orders or files, so a cap read under the applicant's lock is
-- exact; nothing is subtracted (a cancelled order or a replaced file was
-- still made that day).  Rows of past days are a few bytes per applicant
-- and active day; they stay as a record.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE user_daily (
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day     date NOT NULL,
    orders  integer NOT NULL DEFAULT 0 CHECK (orders >= 0),
    uploads integer NOT NULL DEFAULT 0 CHECK (uploads >= 0),
    PRIMARY KEY (user_id, day)
);

-- the Beijing calendar day of a moment
CREATE FUNCTION beijing_day(t timestamptz) RETURNS date LANGUAGE sql STABLE AS
$$ SELECT (t AT TIME ZONE 'Asia/Shanghai')::date $$;

-- an applicant's count of today ('orders' or 'uploads'), 0 when none
CREATE FUNCTION user_today(p_user_id bigint, p_what text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT CASE p_what WHEN 'orders' THEN d.orders ELSE d.uploads END
                       FROM user_daily d
                      WHERE d.user_id = p_user_id AND d.day = beijing_day(now())), 0)
$$;

CREATE FUNCTION user_daily_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- in applicant order: two bulk statements never lock rows in opposite orders
    INSERT INTO user_daily AS d (user_id, day, orders)
        SELECT user_id, beijing_day(created_at), count(*) FROM user_daily_new_orders
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, day) DO UPDATE SET orders = d.orders + excluded.orders;
    RETURN NULL;
END
$$;

CREATE FUNCTION user_daily_uploads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_daily AS d (user_id, day, uploads)
        SELECT o.user_id, beijing_day(f.created_at), count(*)
          FROM user_daily_new_files f JOIN orders o ON o.id = f.order_id
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, day) DO UPDATE SET uploads = d.uploads + excluded.uploads;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_daily_orders AFTER INSERT ON orders
    REFERENCING NEW TABLE AS user_daily_new_orders
    FOR EACH STATEMENT EXECUTE FUNCTION user_daily_orders();
CREATE TRIGGER user_daily_uploads AFTER INSERT ON order_files
    REFERENCING NEW TABLE AS user_daily_new_files
    FOR EACH STATEMENT EXECUTE FUNCTION user_daily_uploads();

-- today's and yesterday's, counted while no one adds an order or a file
LOCK TABLE orders, order_files IN SHARE MODE;
INSERT INTO user_daily (user_id, day, orders)
    SELECT user_id, beijing_day(created_at), count(*) FROM orders
     WHERE created_at >= now() - interval '2 days' GROUP BY 1, 2;
INSERT INTO user_daily AS d (user_id, day, uploads)
    SELECT o.user_id, beijing_day(f.created_at), count(*)
      FROM order_files f JOIN orders o ON o.id = f.order_id
     WHERE f.created_at >= now() - interval '2 days' GROUP BY 1, 2
    ON CONFLICT (user_id, day) DO UPDATE SET uploads = excluded.uploads;

-- hall_order_apply (sql/025_apply.sql) with the kept count as its cap
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
    p_prefix     text)
RETURNS TABLE (outcome text, order_id bigint, order_no text, rev integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_id  bigint;
    v_no  text;
    v_rev integer;
BEGIN
    IF p_order_id IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0));
        IF user_today(p_user_id, 'orders') >= p_daily_max THEN
            RETURN QUERY SELECT 'capped'::text, NULL::bigint, NULL::text, NULL::integer;
            RETURN;
        END IF;
        INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
                            years, seal, status, step, subject, cert_fen, shipping_fen, form_enc,
                            form_rev, submit_key)
        VALUES (p_prefix || to_char(now(), 'YYYYMMDD') || lpad(nextval('order_no_seq')::text, 6, '0'),
                p_user_id, p_partner, p_business, p_product_id, p_cert_type, p_years, p_seal, 'draft',
                'info', p_subject, p_cert_fen, p_ship_fen, p_form_enc, 1, p_submit_key)
        ON CONFLICT (user_id, submit_key) WHERE submit_key IS NOT NULL DO NOTHING
        RETURNING orders.id, orders.order_no INTO v_id, v_no;
        IF v_id IS NULL THEN
            RETURN QUERY SELECT 'again'::text, o.id, o.order_no, o.form_rev FROM orders o
                          WHERE o.user_id = p_user_id AND o.submit_key = p_submit_key;
            RETURN;
        END IF;
        v_rev := 1;
        INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, ip, request_id)
        VALUES ('user:' || p_user_id, 'order', v_id::text, 'create', NULL, 'draft', p_ip,
                p_request_id);
    ELSE
        UPDATE orders o SET product_id = p_product_id, cert_type = p_cert_type, years = p_years,
               seal = p_seal, subject = p_subject, cert_fen = p_cert_fen, shipping_fen = p_ship_fen,
               form_enc = p_form_enc, form_rev = o.form_rev + 1,
               step = CASE WHEN o.step = 'choose' THEN 'info' ELSE o.step END, updated_at = now()
         WHERE o.id = p_order_id AND o.user_id = p_user_id AND o.status IN ('draft', 'rejected')
        RETURNING o.id, o.order_no, o.form_rev INTO v_id, v_no, v_rev;
        IF v_id IS NULL THEN
            RETURN QUERY SELECT 'locked'::text, p_order_id, NULL::text, NULL::integer;
            RETURN;
        END IF;
        INSERT INTO audit_log (actor, entity, entity_id, action, ip, request_id)
        VALUES ('user:' || p_user_id, 'order', v_id::text, 'edit', p_ip, p_request_id);
    END IF;
    INSERT INTO order_revisions (order_id, rev, form_enc) VALUES (v_id, v_rev, p_form_enc);
    RETURN QUERY SELECT CASE WHEN p_order_id IS NULL THEN 'created' ELSE 'edited' END, v_id, v_no,
                        v_rev;
END
$$;
