-- The status webhooks' triggers (sql/triggers/*_partner*.sql): which event
-- a change is, and what it says (sql/functions/partner_event_add.sql).
-- TG_ARGV[0] names the change: status (an order's status), reject (the
-- reviewer's reason, written after the move), ship (the waybill, written
-- after the move), cert (a certificate issued or revoked), paid (a
-- payment), seal (an SESeal made).
CREATE OR REPLACE FUNCTION partner_event_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    CASE TG_ARGV[0]
    WHEN 'status' THEN
        IF (OLD.status = 'draft' AND NEW.status <> 'cancelled')
                OR (OLD.status = 'rejected' AND NEW.status = 'review') THEN
            PERFORM partner_event_add(NEW.id, 'order.submitted',
                jsonb_build_object('status', NEW.status));
        ELSIF OLD.status = 'review' AND NEW.status = 'accepted' THEN
            PERFORM partner_event_add(NEW.id, 'order.approved', '{}'::jsonb);
        END IF;
    WHEN 'reject' THEN
        PERFORM partner_event_add(NEW.id, 'order.rejected',
            jsonb_build_object('reason', coalesce(NEW.reject_reason, '')));
    WHEN 'ship' THEN
        PERFORM partner_event_add(NEW.id, 'order.shipped',
            jsonb_build_object('waybill_no', NEW.waybill_no, 'carrier', coalesce(NEW.carrier, '')));
    WHEN 'cert' THEN
        IF NEW.state = 'issued' AND OLD.state = 'intent' THEN
            PERFORM partner_event_add(NEW.order_id, 'cert.issued',
                jsonb_build_object('serial', NEW.serial, 'ca', NEW.ca,
                    'not_before', to_char(NEW.not_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'not_after', to_char(NEW.not_after AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
        ELSIF NEW.state = 'revoked' AND OLD.state = 'issued' THEN
            PERFORM partner_event_add(NEW.order_id, 'cert.revoked',
                jsonb_build_object('serial', NEW.serial, 'reason_code', NEW.revoke_reason,
                    'revoked_at', to_char(NEW.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
        END IF;
    WHEN 'paid' THEN
        PERFORM partner_event_add(NEW.order_id, 'order.paid',
            jsonb_build_object('amount_fen', NEW.amount_fen, 'method', NEW.method));
    WHEN 'seal' THEN
        PERFORM partner_event_add(NEW.order_id, 'seal.made',
            jsonb_build_object('es_id', NEW.es_id, 'cert_serial', NEW.cert_serial,
                'valid_start', to_char(NEW.valid_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                'valid_end', to_char(NEW.valid_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
    END CASE;
    RETURN NULL;
END $$;
