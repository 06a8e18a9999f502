-- 077_audit_chain: the audit log proves itself (docs/internals/audit-chain.md).
--
-- Every audit_log row carries the SHA-256 of a canonical encoding of itself
-- and of the previous row of its chain (prev_hash).  There are several
-- chains (audit_chains, 64 rows): a database session takes one for itself
-- with a session-level advisory lock the first time it writes an audit row,
-- and its rows go to that chain, so two sessions never wait on each other's
-- head row.  The BEFORE INSERT trigger audit_log_chain fills chain, seq,
-- prev_hash and hash from the chain's head and moves the head on, in the
-- transaction of the INSERT: every way of writing a row (hall_audit's
-- audit_insert, the stored functions of sql/025, 031, 035, 037, a
-- migration) is chained.  A session that finds every chain owned shares
-- one: the head's row lock then orders its writers (still correct, slower).
--
-- The rows written before this migration become chain 0, in id order.
-- Each Beijing day's last row of each chain is signed by the CA's audit key
-- (audit_seals, written by hall-outbox's CA tick or hall-pkitool
-- audit-seal); hall-audit verify recomputes all of it.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- The encoding of one field: a 4-byte big-endian length and the UTF-8
-- bytes; NULL is the length ffffffff and no bytes.
CREATE FUNCTION audit_field(t text) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN t IS NULL THEN '\xffffffff'::bytea
                ELSE int4send(octet_length(convert_to(t, 'UTF8'))) || convert_to(t, 'UTF8') END
$$;

-- The hash of a row (format 'hall-audit/1'): SHA-256 over the tag, the
-- previous hash (32 bytes), chain, seq, id and at (UTC microseconds since
-- 1970) as 8-byte big-endian integers, then the text fields in the table's
-- order, detail as PostgreSQL prints the jsonb (jsonb::text).
CREATE FUNCTION audit_row_hash(p_prev bytea, p_chain integer, p_seq bigint, p_id bigint,
                               p_at timestamptz, p_actor text, p_entity text, p_entity_id text,
                               p_action text, p_from_state text, p_to_state text, p_detail jsonb,
                               p_ip text, p_request_id text)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(audit_field('hall-audit/1') || p_prev || int8send(p_chain::bigint)
                  || int8send(p_seq) || int8send(p_id)
                  || int8send((extract(epoch FROM p_at) * 1000000)::bigint)
                  || audit_field(p_actor) || audit_field(p_entity) || audit_field(p_entity_id)
                  || audit_field(p_action) || audit_field(p_from_state)
                  || audit_field(p_to_state) || audit_field(p_detail::text)
                  || audit_field(p_ip) || audit_field(p_request_id))
$$;

-- The chains' heads: the last row's seq and hash (seq 0: the genesis, 32
-- zero bytes).  Room on each page for HOT updates of the head.
CREATE TABLE audit_chains (
    chain       integer PRIMARY KEY CHECK (chain >= 0),
    seq         bigint NOT NULL DEFAULT 0,
    hash        bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex'),
    prev_hash   bytea
) WITH (fillfactor = 50);
INSERT INTO audit_chains (chain) SELECT generate_series(0, 63);

ALTER TABLE audit_log ADD COLUMN chain integer, ADD COLUMN seq bigint,
    ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

-- The existing rows: chain 0, in id order.
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
    UPDATE audit_chains SET seq = n, hash = h WHERE chain = 0 AND n > 0;
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;

ALTER TABLE audit_log ALTER COLUMN chain SET NOT NULL, ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
-- not UNIQUE: hall-audit verify reports a second row at a place as inserted
CREATE INDEX audit_log_chain_seq ON audit_log (chain, seq);

-- The session's chain: the one it holds (advisory lock class 1635083363,
-- 'audc', the chain the second key), found by the setting hall.audit_chain
-- or, when a rolled-back transaction undid that setting, in pg_locks; else
-- the first free chain, taken for the rest of the session; else (every
-- chain owned) one shared by the backend's pid, not remembered, so that a
-- later write takes a chain of its own when one is free again.
CREATE FUNCTION audit_chain_mine() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v text := current_setting('hall.audit_chain', true);
    c integer;
BEGIN
    IF v IS NOT NULL AND v <> '' THEN
        RETURN v::integer;
    END IF;
    SELECT l.objid::bigint::integer INTO c FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.classid = 1635083363
       AND l.objsubid = 2 AND l.granted
     ORDER BY l.objid LIMIT 1;
    IF c IS NULL THEN
        FOR c IN SELECT h.chain FROM audit_chains h ORDER BY h.chain LOOP
            IF pg_try_advisory_lock(1635083363, c) THEN
                PERFORM set_config('hall.audit_chain', c::text, false);
                RETURN c;
            END IF;
        END LOOP;
        RETURN (SELECT h.chain FROM audit_chains h ORDER BY h.chain
                OFFSET pg_backend_pid() % (SELECT count(*) FROM audit_chains) LIMIT 1);
    END IF;
    PERFORM set_config('hall.audit_chain', c::text, false);
    RETURN c;
END $$;

-- One UPDATE moves the head and computes the row's hash from the head's
-- hash (SET sees the old row: prev_hash := hash; RETURNING the new one).
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_chain integer := audit_chain_mine();
    v_seq bigint;
    v_prev bytea;
    v_hash bytea;
BEGIN
    UPDATE audit_chains h
       SET prev_hash = h.hash, seq = h.seq + 1,
           hash = audit_row_hash(h.hash, h.chain, h.seq + 1, NEW.id, NEW.at, NEW.actor, NEW.entity,
                                 NEW.entity_id, NEW.action, NEW.from_state, NEW.to_state,
                                 NEW.detail, NEW.ip, NEW.request_id)
     WHERE h.chain = v_chain
    RETURNING h.seq, h.prev_hash, h.hash INTO v_seq, v_prev, v_hash;
    IF v_seq IS NULL THEN
        RAISE EXCEPTION 'audit chain % has no head in audit_chains', v_chain;
    END IF;
    NEW.chain := v_chain;
    NEW.seq := v_seq;
    NEW.prev_hash := v_prev;
    NEW.hash := v_hash;
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
