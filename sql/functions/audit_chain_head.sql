-- The session's chain head, 'chain/seq/hex of hash': from hall.audit_head,
-- else (first write, or the transaction that took the chain was rolled
-- back) the chain this session holds (pg_locks) or the lowest free one,
-- and its last row, read after the lock is held (a new snapshot: the
-- chain's previous owner has committed and gone).
CREATE OR REPLACE FUNCTION audit_chain_head() RETURNS text LANGUAGE plpgsql AS $$
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
