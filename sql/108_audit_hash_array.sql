-- 108_audit_hash_array: an audit row's hash for 40 % less of the trigger's
-- CPU, the same bytes (issue 27, information entry).
--
-- audit_log_chain (sql/077, 096) wrote out nine text fields as
-- CASE WHEN f IS NULL THEN '\xffffffff' ELSE int4send(octet_length(f)) ||
-- convert_to(f, 'UTF8') END: some 70 function calls that PL/pgSQL sets up
-- again in each transaction (a simple expression's state lives as long as
-- its transaction), about 94,000 of the trigger's 138,000 instructions a
-- row (callgrind, single-user backend, a row per transaction).
-- array_send of the nine fields as a text[] writes, after a 20-byte header
-- (dimensions, flags, element type, length, lower bound), each element as
-- a 4-byte big-endian length, -1 (ffffffff) for NULL, and the text's
-- bytes: the encoding of 'hall-audit/1' (docs/internals/audit-chain.md).
-- The bytes are the client's encoding, though (textsend converts): the
-- short form is used when the session's client encoding is UTF8, the
-- database's, and audit_row_hash otherwise.  The trigger now costs about
-- 80,000 instructions a row; hall-audit verify is unchanged.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

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
