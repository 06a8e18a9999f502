-- 014_pki.sql: the CA back office: certificates (write-intent first), CRLs,
-- the PIN of pin_by_memo products until the medium is made, shipping.
--
-- certificates: a row is committed with state 'intent' (serial, order,
-- CA, subject, validity) BEFORE anything is signed; the same transaction
-- that stores the signed DER and the PKCS#12 turns it 'issued'.  An intent
-- whose issuer died (core/pki.c, hall_pki_reconcile) becomes 'void': the
-- serial is burnt and listed as revoked (superseded) on the CRL and by OCSP,
-- since a certificate with that serial may have been signed, and the order
-- goes back to the production queue for a new serial.  At most one live
-- (intent or issued) certificate per order: never issued twice.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE certificates (
    -- 64 random bits, as 16 upper-case hex digits (seed 004: 712C1B5A584A1BBE)
    serial          text PRIMARY KEY CHECK (serial ~ '^[0-9A-F]{16}$'),
    order_id        bigint NOT NULL REFERENCES orders(id),
    -- the issuing CA: a name of /pki/ (var/keys/pki/NAME.crt)
    ca              text NOT NULL CHECK (ca IN ('ecc', 'sm2')),
    state           text NOT NULL DEFAULT 'intent'
                    CHECK (state IN ('intent', 'issued', 'revoked', 'void')),
    -- what the public serial lookup shows: CN and O, never an ID number
    subject_cn      text NOT NULL CHECK (length(subject_cn) BETWEEN 1 AND 64),
    subject_org     text NOT NULL DEFAULT '' CHECK (length(subject_org) <= 100),
    not_before      timestamptz NOT NULL,
    not_after       timestamptz NOT NULL CHECK (not_after > not_before),
    der             bytea NULL,
    -- the PKCS#12 (PIN-protected), encrypted once more with the PII key
    p12_enc         bytea NULL,
    -- RFC 5280 CRLReason code (1 keyCompromise, 4 superseded, 5 cessationOfOperation ...)
    revoke_reason   smallint NULL CHECK (revoke_reason BETWEEN 0 AND 10 AND revoke_reason <> 7),
    revoked_at      timestamptz NULL,
    revoked_by      text NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    issued_at       timestamptz NULL,
    CHECK ((state = 'issued') <= (der IS NOT NULL)),
    CHECK ((state IN ('revoked', 'void')) = (revoked_at IS NOT NULL))
);

CREATE UNIQUE INDEX certificates_live_order ON certificates (order_id)
    WHERE state IN ('intent', 'issued');
CREATE INDEX certificates_order_idx ON certificates (order_id);
CREATE INDEX certificates_revoked_idx ON certificates (ca, revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX certificates_intent_idx ON certificates (created_at) WHERE state = 'intent';

-- The current CRL of each issuing CA (DER), regenerated after a revocation
-- and before next_update passes; number is the cRLNumber extension.
CREATE TABLE pki_crls (
    ca          text PRIMARY KEY CHECK (ca IN ('ecc', 'sm2')),
    number      bigint NOT NULL CHECK (number >= 1),
    this_update timestamptz NOT NULL,
    next_update timestamptz NOT NULL,
    -- newest revoked_at the CRL includes
    covers      timestamptz NULL,
    der         bytea NOT NULL
);

-- The memo PIN of pin_by_memo products (the micro-deposit carried it): kept
-- encrypted with the PII key until the medium is made, then set NULL.
ALTER TABLE finauth_attempts ADD COLUMN pin_enc bytea NULL;

-- Products made without an operator (hall-outbox's pki tick issues them).
ALTER TABLE products ADD COLUMN auto_issue boolean NOT NULL DEFAULT false;
-- Which issuing CA signs a product's certificates.
ALTER TABLE products ADD COLUMN ca text NOT NULL DEFAULT 'ecc' CHECK (ca IN ('ecc', 'sm2'));

-- Shipping of the medium (邮寄): the courier's waybill, 寄付 or 到付.
ALTER TABLE orders ADD COLUMN waybill_no text NULL UNIQUE CHECK (waybill_no ~ '^[A-Za-z0-9]{4,32}$');
ALTER TABLE orders ADD COLUMN carrier text NULL CHECK (length(carrier) <= 40);
ALTER TABLE orders ADD COLUMN shipped_at timestamptz NULL;
ALTER TABLE orders ADD COLUMN delivered_at timestamptz NULL;
