CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_head text := current_setting('hall.audit_head', true);
BEGIN
    IF v_head IS NULL OR v_head = '' THEN
        v_head := audit_chain_head();
    END IF;
    NEW.chain := split_part(v_head, '/', 1)::integer;
    NEW.seq := split_part(v_head, '/', 2)::bigint + 1;
    NEW.prev_hash := decode(split_part(v_head, '/', 3), 'hex');
    IF pg_client_encoding() = 'UTF8' THEN
        NEW.hash := sha256('\x0000000c68616c6c2d61756469742f31'::bytea || NEW.prev_hash
            || int8send(NEW.chain::bigint) || int8send(NEW.seq) || int8send(NEW.id)
            || int8send((extract(epoch FROM NEW.at) * 1000000)::bigint)
            || substring(array_send(ARRAY[NEW.actor, NEW.entity, NEW.entity_id, NEW.action,
                                          NEW.from_state, NEW.to_state, NEW.detail::text, NEW.ip,
                                          NEW.request_id]) FROM 21));
    ELSE
        NEW.hash := audit_row_hash(NEW.prev_hash, NEW.chain, NEW.seq, NEW.id, NEW.at, NEW.actor,
                                   NEW.entity, NEW.entity_id, NEW.action, NEW.from_state,
                                   NEW.to_state, NEW.detail, NEW.ip, NEW.request_id);
    END IF;
    v_head := set_config('hall.audit_head',
                         NEW.chain || '/' || NEW.seq || '/' || encode(NEW.hash, 'hex'), false);
    RETURN NEW;
END $$;
