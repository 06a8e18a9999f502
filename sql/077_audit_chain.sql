-- 077_audit_chain: the audit log proves itself (docs/internals/audit-chain.md).
--
-- Every audit_log row carries the SHA-256 of a canonical encoding of itself
-- and of the previous row of its chain (prev_hash).  Each database session
-- that writes audit rows owns a chain of its own: the first time, the
-- BEFORE INSERT trigger audit_log_chain takes the lowest free chain number
-- with a session-level advisory lock (class 1635083363, 'audc'; the chain
-- the second key) and reads the chain's last row; from then on the session
-- keeps its chain's head (chain, seq, hash) in the setting hall.audit_head,
-- which PostgreSQL rolls back with a transaction (or savepoint) that is
-- rolled back.  So a row costs a hash and no other write, and no writer
-- waits on another; there are as many chains as sessions ever wrote at
-- once.  The trigger runs in the transaction of the INSERT, for every way
-- of writing a row (hall_audit's audit_insert, the stored functions of
-- sql/025, 031, 035, 037, a migration).
--
-- The rows written before this migration become chain 0, in id order.
-- Each Beijing day's last row of each chain is signed by the CA's audit key
-- (audit_seals, written by hall-outbox's CA tick or hall-pkitool
-- audit-seal); hall-audit verify recomputes all of it.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- The hash of a row (format 'hall-audit/1'): SHA-256 over
--   the tag: the field 'hall-audit/1',
--   the previous hash (32 bytes),
--   chain, seq, id and at (UTC microseconds since 1970) as 8-byte
--   big-endian integers,
--   the fields actor, entity, entity_id, action, from_state, to_state,
--   detail (the jsonb as PostgreSQL prints it, jsonb::text), ip, request_id,
-- where a field is a 4-byte big-endian length and the UTF-8 bytes, and NULL
-- the length ffffffff and no bytes.  PL/pgSQL, not SQL: a SQL function
-- that is not inlined costs 50 times more per row.
CREATE FUNCTION audit_row_hash(p_prev bytea, p_chain integer, p_seq bigint, p_id bigint,
                               p_at timestamptz, p_actor text, p_entity text, p_entity_id text,
                               p_action text, p_from_state text, p_to_state text, p_detail jsonb,
                               p_ip text, p_request_id text)
RETURNS bytea LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n constant bytea := '\xffffffff';
    d constant text := p_detail::text;
BEGIN
    RETURN sha256('\x0000000c68616c6c2d61756469742f31'::bytea || p_prev
        || int8send(p_chain::bigint) || int8send(p_seq) || int8send(p_id)
        || int8send((extract(epoch FROM p_at) * 1000000)::bigint)
        || CASE WHEN p_actor IS NULL THEN n
                ELSE int4send(octet_length(p_actor)) || convert_to(p_actor, 'UTF8') END
        || CASE WHEN p_entity IS NULL THEN n
                ELSE int4send(octet_length(p_entity)) || convert_to(p_entity, 'UTF8') END
        || CASE WHEN p_entity_id IS NULL THEN n
                ELSE int4send(octet_length(p_entity_id)) || convert_to(p_entity_id, 'UTF8') END
        || CASE WHEN p_action IS NULL THEN n
                ELSE int4send(octet_length(p_action)) || convert_to(p_action, 'UTF8') END
        || CASE WHEN p_from_state IS NULL THEN n
                ELSE int4send(octet_length(p_from_state)) || convert_to(p_from_state, 'UTF8') END
        || CASE WHEN p_to_state IS NULL THEN n
                ELSE int4send(octet_length(p_to_state)) || convert_to(p_to_state, 'UTF8') END
        || CASE WHEN d IS NULL THEN n
                ELSE int4send(octet_length(d)) || convert_to(d, 'UTF8') END
        || CASE WHEN p_ip IS NULL THEN n
                ELSE int4send(octet_length(p_ip)) || convert_to(p_ip, 'UTF8') END
        || CASE WHEN p_request_id IS NULL THEN n
                ELSE int4send(octet_length(p_request_id)) || convert_to(p_request_id, 'UTF8') END);
END $$;

-- octet_length counts the database's encoding: the hall's is UTF-8
DO $$
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE EXCEPTION 'the audit chain needs a UTF8 database, not %',
            current_setting('server_encoding');
    END IF;
END $$;

ALTER TABLE audit_log ADD COLUMN chain integer, ADD COLUMN seq bigint,
    ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

-- The existing rows: chain 0, in id order, from the genesis (32 zero bytes).
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
DO $$
DECLARE
    r record;
    h bytea := decode(repeat('00', 32), 'hex');
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        UPDATE audit_log a SET chain = 0, seq = n, prev_hash = h,
               hash = audit_row_hash(h, 0, n, r.id, r.at, r.actor, r.entity, r.entity_id, r.action,
                                     r.from_state, r.to_state, r.detail, r.ip, r.request_id)
         WHERE a.id = r.id
        RETURNING a.hash INTO h;
    END LOOP;
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;

ALTER TABLE audit_log ALTER COLUMN chain SET NOT NULL, ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
-- not UNIQUE: hall-audit verify reports a second row at a place as inserted
CREATE INDEX audit_log_chain_seq ON audit_log (chain, seq);

-- The session's chain head, 'chain/seq/hex of hash': from hall.audit_head,
-- else (first write, or the transaction that took the chain was rolled
-- back) the chain this session holds (pg_locks) or the lowest free one,
-- and its last row, read after the lock is held (a new snapshot: the
-- chain's previous owner has committed and gone).
CREATE FUNCTION audit_chain_head() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v text := current_setting('hall.audit_head', true);
    c integer;
    r record;
BEGIN
    IF v IS NOT NULL AND v <> '' THEN
        RETURN v;
    END IF;
    SELECT l.objid::bigint::integer INTO c FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.classid = 1635083363
       AND l.objsubid = 2 AND l.granted
     ORDER BY l.objid LIMIT 1;
    IF c IS NULL THEN
        c := 0;
        WHILE NOT pg_try_advisory_lock(1635083363, c) LOOP
            c := c + 1;
        END LOOP;
    END IF;
    SELECT a.seq, a.hash INTO r FROM audit_log a WHERE a.chain = c ORDER BY a.seq DESC LIMIT 1;
    IF r.seq IS NULL THEN
        RETURN c || '/0/' || repeat('00', 32);
    END IF;
    RETURN c || '/' || r.seq || '/' || encode(r.hash, 'hex');
END $$;

-- The row's place and hash; the hash is audit_row_hash's, written out here
-- (a PL/pgSQL call per row is a measurable part of the cost).
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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
    PERFORM set_config('hall.audit_head',
                       NEW.chain || '/' || NEW.seq || '/' || encode(NEW.hash, 'hex'), false);
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- The daily seals: for each chain and each Beijing day with rows, the
-- chain's last row of that day (seq, hash), signed by the CA's audit key
-- (var/keys/pki/audit.key, hall_pki_audit_sign): ECDSA P-256 with SHA-256
-- over the encoding of docs/internals/audit-chain.md, DER; signer is the
-- SHA-256 of the audit certificate (DER) that verifies it.
CREATE TABLE audit_seals (
    chain       integer NOT NULL,
    day         date NOT NULL,
    seq         bigint NOT NULL,
    hash        bytea NOT NULL,
    signature   bytea NOT NULL,
    signer      bytea NOT NULL,
    sealed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain, day)
);

CREATE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seals is append-only';
END $$;
CREATE TRIGGER audit_seals_no_update BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_append_only();
