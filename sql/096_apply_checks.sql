-- 096_apply_checks: the rules of an orders row in one CHECK that calls a
-- PL/pgSQL function, and hall_order_apply and the audit chain's trigger
-- without PERFORM (issue 27, information entry).
--
-- PostgreSQL 15 reads a table's CHECK constraints again at the start of
-- every statement that writes it (ExecRelCheck: stringToNode of each
-- constraint's stored tree, then ExecPrepareExpr), so the eleven CHECKs of
-- orders (sql/004, 010, 014, 058) cost each INSERT or UPDATE of orders
-- eleven parses and plans; their lists of words are stored as text[]
-- constants written out byte by byte.  Counted with callgrind on
-- hall_order_apply alone (a single-user backend, 100 new orders): 1.75 M
-- instructions per order, of which 0.36 M in ExecConstraints.  One CHECK
-- calling orders_row_ok, whose body PL/pgSQL parses once per session,
-- keeps the same rules (each one passes on NULL, as a CHECK does) and
-- brings the order to 1.52 M.  A violation now names orders_row_check;
-- orders_row_ok says which rules it holds.
--
-- PERFORM runs its expression as a query (a plan checked, an executor
-- started and ended); an assignment of the same call is a simple
-- expression PL/pgSQL evaluates itself.  Three in hall_order_apply (the
-- applicant's lock, hall.writer set and cleared) and one per audit row
-- (hall.audit_head): about 25,000 instructions per order.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- the rules of sql/004 (business_type as widened by sql/058), 010, 014
-- and 058's orders_reissue_of_type; each is judged as its own CHECK was:
-- NULL passes
CREATE FUNCTION orders_row_ok(p_business text, p_cert_type text, p_years smallint,
                              p_cert_fen integer, p_shipping_fen integer, p_subject text,
                              p_gift text, p_reissue_of text, p_submit_key text,
                              p_waybill_no text, p_carrier text)
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
       AND (p_submit_key ~ '^[A-Za-z0-9_-]{16,64}$') IS NOT FALSE
       AND (p_waybill_no ~ '^[A-Za-z0-9]{4,32}$') IS NOT FALSE
       AND (length(p_carrier) <= 40) IS NOT FALSE;
END $$;

ALTER TABLE orders
    DROP CONSTRAINT orders_business_type_check,
    DROP CONSTRAINT orders_cert_type_check,
    DROP CONSTRAINT orders_years_check,
    DROP CONSTRAINT orders_cert_fen_check,
    DROP CONSTRAINT orders_shipping_fen_check,
    DROP CONSTRAINT orders_subject_check,
    DROP CONSTRAINT orders_gift_check,
    DROP CONSTRAINT orders_reissue_of_type,
    DROP CONSTRAINT orders_submit_key_check,
    DROP CONSTRAINT orders_waybill_no_check,
    DROP CONSTRAINT orders_carrier_check,
    ADD CONSTRAINT orders_row_check
        CHECK (orders_row_ok(business_type, cert_type, years, cert_fen, shipping_fen, subject,
                             gift, reissue_of, submit_key, waybill_no, carrier));

-- the same arguments and answers as sql/093's
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
    v_t text;
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
            outcome := 'capped';
            RETURN;
        END IF;
        v_t := set_config('hall.writer', 'hall_order_apply', true);
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
        v_t := set_config('hall.writer', '', true);
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

-- sql/077's, the chain head kept by an assignment
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_head text := current_setting('hall.audit_head', true);
    n constant bytea := '\xffffffff';
    d text := NEW.detail::text;
BEGIN
    IF v_head IS NULL OR v_head = '' THEN
        v_head := audit_chain_head();
    END IF;
    NEW.chain := split_part(v_head, '/', 1)::integer;
    NEW.seq := split_part(v_head, '/', 2)::bigint + 1;
    NEW.prev_hash := decode(split_part(v_head, '/', 3), 'hex');
    NEW.hash := sha256('\x0000000c68616c6c2d61756469742f31'::bytea || NEW.prev_hash
        || int8send(NEW.chain::bigint) || int8send(NEW.seq) || int8send(NEW.id)
        || int8send((extract(epoch FROM NEW.at) * 1000000)::bigint)
        || CASE WHEN NEW.actor IS NULL THEN n
                ELSE int4send(octet_length(NEW.actor)) || convert_to(NEW.actor, 'UTF8') END
        || CASE WHEN NEW.entity IS NULL THEN n
                ELSE int4send(octet_length(NEW.entity)) || convert_to(NEW.entity, 'UTF8') END
        || CASE WHEN NEW.entity_id IS NULL THEN n
                ELSE int4send(octet_length(NEW.entity_id)) || convert_to(NEW.entity_id, 'UTF8') END
        || CASE WHEN NEW.action IS NULL THEN n
                ELSE int4send(octet_length(NEW.action)) || convert_to(NEW.action, 'UTF8') END
        || CASE WHEN NEW.from_state IS NULL THEN n
                ELSE int4send(octet_length(NEW.from_state)) || convert_to(NEW.from_state, 'UTF8') END
        || CASE WHEN NEW.to_state IS NULL THEN n
                ELSE int4send(octet_length(NEW.to_state)) || convert_to(NEW.to_state, 'UTF8') END
        || CASE WHEN d IS NULL THEN n
                ELSE int4send(octet_length(d)) || convert_to(d, 'UTF8') END
        || CASE WHEN NEW.ip IS NULL THEN n
                ELSE int4send(octet_length(NEW.ip)) || convert_to(NEW.ip, 'UTF8') END
        || CASE WHEN NEW.request_id IS NULL THEN n
                ELSE int4send(octet_length(NEW.request_id)) || convert_to(NEW.request_id, 'UTF8') END);
    v_head := set_config('hall.audit_head',
                         NEW.chain || '/' || NEW.seq || '/' || encode(NEW.hash, 'hex'), false);
    RETURN NEW;
END $$;
