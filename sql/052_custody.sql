-- 052_custody: the hall does not keep a signing key once its holder has it
-- (电子签名法 第十三条; docs/internals/pki.md, "Key custody").
--
-- certificates.p12_enc (the PIN-protected PKCS#12, encrypted once more with
-- the PII key) is the only copy of a private key the hall holds.  It is
-- destroyed, in one transaction with an audit row ('certificate', 'medium
-- destroy'), by:
--   download   the first download by its owner (core/flow/own.c): the copy
--              is destroyed in the transaction that reads it, before a byte
--              is sent;
--   delivered  hall-outbox's CA tick, medium_keep_days (default 7) after the
--              hall received the courier's 已签收 (orders.delivery_received_at);
--   revoked    the same tick, for a certificate revoked or void meanwhile
--              (its medium is offered nowhere);
--   migration  this file, for the rows already there (below).
-- A PIN is not kept either: the payload of a PIN SMS (idem_key sms-pin-SERIAL)
-- is emptied once sent, at the destruction and by the tick (a dead one stays,
-- for staff to retry); so is a sent micro-deposit's whose memo carried the
-- PIN (idem_key finauth-ATTEMPT), at the destruction.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- the first download of the medium (NULL: never downloaded since 052)
ALTER TABLE certificates ADD COLUMN medium_downloaded_at timestamptz NULL;
-- when and why the hall's copy of the medium was destroyed
ALTER TABLE certificates ADD COLUMN medium_destroyed_at timestamptz NULL;
ALTER TABLE certificates ADD COLUMN medium_destroyed_why text NULL
    CHECK (medium_destroyed_why IN ('download', 'delivered', 'revoked', 'migration'));
ALTER TABLE certificates ADD CONSTRAINT certificates_medium_destroyed
    CHECK ((medium_destroyed_at IS NULL) = (medium_destroyed_why IS NULL)
           AND (medium_destroyed_at IS NULL OR p12_enc IS NULL));

-- the tick's search: the copies still held, by their order
CREATE INDEX certificates_medium_held ON certificates (order_id) WHERE p12_enc IS NOT NULL;

-- the PIN SMS already sent, whatever became of their media
CREATE INDEX outbox_pin_kept ON outbox (id)
    WHERE idem_key LIKE 'sms-pin-%' AND status = 'done' AND length(payload_enc) > 0;
UPDATE outbox SET payload_enc = '\x'::bytea
    WHERE idem_key LIKE 'sms-pin-%' AND status = 'done' AND length(payload_enc) > 0;
-- the micro-deposits whose memo carried a PIN (pin_by_memo), sent, for a
-- medium already made (the PIN's own copy, finauth_attempts.pin_enc, is gone)
UPDATE outbox o SET payload_enc = '\x'::bytea
    FROM finauth_attempts a
    WHERE o.idem_key = 'finauth-' || a.id AND a.memo_kind = 'pin' AND a.pin_enc IS NULL
      AND o.status = 'done' AND length(o.payload_enc) > 0;

-- Existing rows.  Downloads were not recorded before this file (only logged),
-- so what can be known is: the certificate is no longer issued (revoked,
-- void: its medium is offered nowhere), or its order was received more than
-- 7 days ago (the option's default; the tick applies the configured value
-- from its first run).  Those copies go now; the others stay until their
-- first download or the tick.
CREATE TEMPORARY TABLE custody_052 ON COMMIT DROP AS
    SELECT c.serial, c.state FROM certificates c JOIN orders o ON o.id = c.order_id
    WHERE c.p12_enc IS NOT NULL
      AND (c.state IN ('revoked', 'void') OR o.delivery_received_at < now() - interval '7 days');

UPDATE certificates c SET p12_enc = NULL, medium_destroyed_at = now(),
    medium_destroyed_why = 'migration'
    FROM custody_052 d WHERE d.serial = c.serial;


INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, detail)
    SELECT 'migration:052', 'certificate', d.serial, 'medium destroy', 'held', 'destroyed',
           jsonb_build_object('why', 'migration', 'state', d.state)
    FROM custody_052 d;
