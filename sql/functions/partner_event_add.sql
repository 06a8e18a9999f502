-- A status webhook's event (sql/135_partner_hooks.sql) for the partner of
-- order p_order, when it has a hook_url and wants p_event: the event's row
-- and its outbox job (kind partner_hook, lane partner:<code> of
-- core/biz/partner_hook.c), in the caller's transaction.  The job's
-- payload is empty: everything is in the row (the payload is encrypted by
-- the hall's key, which the database does not have, and holds nothing here).
CREATE OR REPLACE FUNCTION partner_event_add(p_order bigint, p_event text, p_data jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p record;
    ev bigint;
    job bigint;
BEGIN
    SELECT pa.code, pa.hook_url, pa.hook_events INTO p
        FROM orders o JOIN partners pa ON pa.code = o.partner_code WHERE o.id = p_order;
    IF NOT FOUND OR p.hook_url IS NULL OR NOT (p_event = ANY (p.hook_events)) THEN
        RETURN;
    END IF;
    ev := nextval(pg_get_serial_sequence('partner_events', 'id'));
    INSERT INTO outbox (kind, idem_key, payload_enc)
        VALUES ('partner_hook', 'partner-event-' || ev, '\x'::bytea) RETURNING id INTO job;
    INSERT INTO partner_events (id, partner_code, order_id, event, data, outbox_id)
        VALUES (ev, p.code, p_order, p_event, coalesce(p_data, '{}'::jsonb), job);
END $$;
