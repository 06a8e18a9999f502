-- 016: fewer round trips on the hot paths (issue 10, docs/performance.md).

-- 证书新办, information entry: the order, its audit row and its revision in
-- one call, so POST /new/apply sends one statement (one round trip and one
-- implicit transaction) instead of BEGIN, three statements and COMMIT.
-- p_order NULL creates a draft; otherwise the order is updated when it is
-- still the user's and editable, and no row comes back when it is not.
CREATE FUNCTION new_order_save(p_order bigint, p_user bigint, p_partner text, p_product integer,
                               p_cert_type text, p_years integer, p_seal boolean, p_subject text,
                               p_cert_fen integer, p_ship_fen integer, p_form bytea, p_ip text,
                               p_request_id text)
RETURNS TABLE (order_id bigint, order_no text, rev integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_order IS NULL THEN
        INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,
                            years, seal, status, step, subject, cert_fen, shipping_fen, form_enc,
                            form_rev)
        VALUES ('N' || to_char(now(), 'YYYYMMDD') || lpad(nextval('order_no_seq')::text, 6, '0'),
                p_user, p_partner, 'new', p_product, p_cert_type, p_years, p_seal, 'draft', 'info',
                p_subject, p_cert_fen, p_ship_fen, p_form, 1)
        RETURNING orders.id, orders.order_no, orders.form_rev INTO order_id, order_no, rev;
        INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, ip,
                               request_id)
        VALUES ('user:' || p_user, 'order', order_id::text, 'create', NULL, 'draft', p_ip,
                p_request_id);
    ELSE
        UPDATE orders o SET product_id = p_product, cert_type = p_cert_type, years = p_years,
               seal = p_seal, subject = p_subject, cert_fen = p_cert_fen,
               shipping_fen = p_ship_fen, form_enc = p_form, form_rev = o.form_rev + 1,
               step = CASE WHEN o.step = 'choose' THEN 'info' ELSE o.step END, updated_at = now()
         WHERE o.id = p_order AND o.user_id = p_user AND o.status IN ('draft', 'rejected')
        RETURNING o.id, o.order_no, o.form_rev INTO order_id, order_no, rev;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        INSERT INTO audit_log (actor, entity, entity_id, action, ip, request_id)
        VALUES ('user:' || p_user, 'order', order_id::text, 'edit', p_ip, p_request_id);
    END IF;
    INSERT INTO order_revisions (order_id, rev, form_enc) VALUES (order_id, rev, p_form);
    RETURN NEXT;
END $$;
