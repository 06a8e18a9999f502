-- The transaction of POST /new/apply (录入信息) in one round trip (issue 10,
-- item 1: the apply was 13 % of a bare INSERT, most of it the seven round
-- trips of BEGIN, the user's lock, the daily cap, the INSERT, the audit row,
-- the revision and COMMIT).  The statements are the ones the module ran
-- one by one, in the same order and with the same locks; the module still
-- validates, prices, quotes and encrypts before it calls this, and still
-- answers each outcome itself (hall_flow_order_save, core/flow.c; a flow
-- with rows of its own calls it inside BEGIN ... COMMIT, with them).
--
--   p_order_id NULL: a new order.  Under the user's advisory lock (two
--   tabs, two clicks), the count of the last day's orders against
--   p_daily_max ('capped'), then the INSERT; with a submit key, a form
--   submitted before finds its first order ('again') and creates nothing.
--   Otherwise the edit of a draft or rejected order of p_user_id
--   ('locked' when it is neither, or not the user's).  Both write the
--   audit row and the form's revision (the encrypted form, with the
--   choices and price_total the reviewer compares).
--
-- Answers one row: outcome ('created', 'again', 'edited', 'capped',
-- 'locked'), the order's id and order_no, and the revision written.
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
RETURNS TABLE (outcome text, order_id bigint, order_no text, rev integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_id  bigint;
    v_no  text;
    v_rev integer;
BEGIN
    IF p_order_id IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0));
        IF (SELECT count(*) FROM orders o
             WHERE o.user_id = p_user_id AND o.created_at > now() - interval '1 day') >= p_daily_max THEN
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
