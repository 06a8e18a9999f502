-- 086_apply_triggers: an order's INSERT fires two triggers instead of six,
-- and hall_order_apply runs without a SET clause (issue 27, information
-- entry).
--
-- Measured on hall_order_apply alone (pgbench -M prepared, 4 clients, new
-- orders, PostgreSQL's CPU per call, medians of alternated runs: 0.598
-- -> 0.572 ms for the triggers and the SET clause, then 0.730 -> 0.676 ms
-- on a busier machine for the OUT parameters): each PL/pgSQL trigger call
-- costs its own frame, and a function with a SET clause saves and restores the setting
-- at every call.  An INSERT of an order fired, per row, orders_gift,
-- orders_no_publish and orders_reached before it and report_mark_orders
-- after it, and per statement order_counts_add and user_daily_orders.
-- Now:
--
-- * orders_insert (BEFORE INSERT, per row) does what orders_gift,
--   orders_no_publish and orders_reached did on INSERT: the gift of the
--   partner's promotion (sql/046, 081), the applicant's 不发布 choice
--   (sql/047), the steps reached by the status (sql/015).  orders_gift
--   and orders_reached keep their UPDATE halves under their names.
-- * report_mark_orders fires on INSERT only for a row the roll-up has to
--   hear of: one created before the transaction began or already decided
--   (an order created now, undecided, is on today, which the reports read
--   live: report_mark did nothing for it).  Its DELETE half is
--   report_mark_orders_delete.
-- * orders_added (AFTER INSERT, per statement) adds to both kept counts,
--   order_counts (sql/029, the order list's total) and user_daily (sql/031,
--   the daily cap), from one transition table, in the transaction that
--   inserts the orders, as order_counts_add and user_daily_orders did: a
--   cap read under the applicant's lock stays exact.
-- * hall_order_apply writes the order number's Beijing date with AT TIME
--   ZONE instead of running under SET TimeZone (sql/042); everything else
--   it calls counts Beijing days itself (beijing_day).  It answers its
--   one row in OUT parameters rather than RETURN QUERY (no tuplestore per
--   call) and reads the cap's count itself rather than through
--   user_today, still after taking the applicant's lock, so the count is
--   of a snapshot taken after any parallel apply of that applicant
--   committed: the cap stays exact.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE FUNCTION orders_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('draft', 'rejected') THEN
        NEW.gift := promotion_gift((SELECT p.promotion FROM partners p
                                     WHERE p.code = NEW.partner_code),
                                   NEW.business_type, NEW.years, NEW.seal);
    END IF;
    NEW.no_publish := coalesce((SELECT a.no_publish FROM agreement_acceptances a
                                 WHERE a.user_id = NEW.user_id
                                   AND a.context = 'flow:' || NEW.business_type
                                 ORDER BY a.accepted_at DESC, a.id DESC LIMIT 1), false);
    NEW.reached := NEW.reached | order_reached_bits(NEW.status);
    RETURN NEW;
END
$$;

DROP TRIGGER orders_gift ON orders;
DROP TRIGGER orders_no_publish ON orders;
DROP TRIGGER orders_reached ON orders;
DROP FUNCTION orders_no_publish();
CREATE TRIGGER orders_insert BEFORE INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_insert();
CREATE TRIGGER orders_gift BEFORE UPDATE OF years, seal, partner_code ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_gift();
CREATE TRIGGER orders_reached BEFORE UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_reached();

-- now() is the transaction's start: a row created at it is on today
DROP TRIGGER report_mark_orders ON orders;
CREATE TRIGGER report_mark_orders AFTER INSERT ON orders
    FOR EACH ROW WHEN (NEW.created_at <> now() OR NEW.decided_at IS NOT NULL)
    EXECUTE FUNCTION report_mark_orders();
CREATE TRIGGER report_mark_orders_delete AFTER DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION report_mark_orders();

CREATE FUNCTION orders_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- in applicant order: two bulk statements never lock rows in opposite orders
    INSERT INTO order_counts AS c (user_id, n)
        SELECT user_id, count(*) FROM orders_new GROUP BY user_id ORDER BY user_id
        ON CONFLICT (user_id) DO UPDATE SET n = c.n + excluded.n;
    INSERT INTO user_daily AS d (user_id, day, orders)
        SELECT user_id, beijing_day(created_at), count(*) FROM orders_new
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, day) DO UPDATE SET orders = d.orders + excluded.orders;
    RETURN NULL;
END
$$;

DROP TRIGGER order_counts_add ON orders;
DROP TRIGGER user_daily_orders ON orders;
DROP FUNCTION order_counts_add();
DROP FUNCTION user_daily_orders();
CREATE TRIGGER orders_added AFTER INSERT ON orders
    REFERENCING NEW TABLE AS orders_new
    FOR EACH STATEMENT EXECUTE FUNCTION orders_added();

-- the same arguments and answer, one row of OUT parameters
DROP FUNCTION hall_order_apply(bigint, bigint, text, integer, text, smallint, boolean, text,
                               integer, integer, bytea, text, bigint, text, text, text, text);
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
        SELECT d.orders INTO v_n FROM user_daily d
         WHERE d.user_id = p_user_id AND d.day = beijing_day(now());
        IF coalesce(v_n, 0) >= p_daily_max THEN
            outcome := 'capped';
            RETURN;
        END IF;
        INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
                            years, seal, status, step, subject, cert_fen, shipping_fen, form_enc,
                            form_rev, submit_key)
        VALUES (p_prefix || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                    || lpad(nextval('order_no_seq')::text, 6, '0'),
                p_user_id, p_partner, p_business, p_product_id, p_cert_type, p_years, p_seal, 'draft',
                'info', p_subject, p_cert_fen, p_ship_fen, p_form_enc, 1, p_submit_key)
        ON CONFLICT (user_id, submit_key) WHERE submit_key IS NOT NULL DO NOTHING
        RETURNING orders.id, orders.order_no INTO order_id, order_no;
        IF order_id IS NULL THEN
            SELECT 'again', o.id, o.order_no, o.form_rev INTO outcome, order_id, order_no, rev
              FROM orders o WHERE o.user_id = p_user_id AND o.submit_key = p_submit_key;
            RETURN;
        END IF;
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
