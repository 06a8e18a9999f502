-- 101_audit_marks: the audit chain's marks (docs/internals/audit-chain.md,
-- "Marks").  A daily seal (sql/077) pins a chain up to the day's last row
-- once the day is over, so rows removed from the end of a chain, or the
-- whole chain of today, left no trace until then.  hall-outbox's CA tick
-- now also signs, every audit_mark_s seconds, each chain's last row that
-- is not marked yet: (chain, seq, hash, marked_at) signed by the audit key
-- (format hall-audit-mark/1).  hall-audit verify checks each mark as it
-- checks a seal: its signature, and that its row is there with that hash.
-- So what can go unseen shrinks from a day to the last audit_mark_s
-- seconds before the change.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE audit_marks (
    chain       integer NOT NULL,
    seq         bigint NOT NULL,
    hash        bytea NOT NULL,
    -- the time signed, as the signature's text gives it (UTC, microseconds)
    marked_at   timestamptz NOT NULL,
    signature   bytea NOT NULL,
    signer      bytea NOT NULL,
    PRIMARY KEY (chain, seq)
);

CREATE FUNCTION audit_marks_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_marks is append-only';
END $$;
CREATE TRIGGER audit_marks_no_update BEFORE UPDATE OR DELETE ON audit_marks
    FOR EACH ROW EXECUTE FUNCTION audit_marks_append_only();
CREATE TRIGGER audit_marks_no_truncate BEFORE TRUNCATE ON audit_marks
    FOR EACH STATEMENT EXECUTE FUNCTION audit_marks_append_only();
