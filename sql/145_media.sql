-- 145_media: certificates made onto a USB key (PKCS#11) in the production
-- station, the key pair born in the key (docs/internals/pki.md, "Production
-- onto a medium"; issue 64 §1).
--
-- media: one row per medium the station initialised, written before the
-- medium is touched (the write-intent of core/biz/produce.c), so that its SO
-- PIN is never lost with a medium in the envelope:
--   serial        the hall's medium serial: the token label it was
--                 initialised with, printed on the envelope (16 upper-case hex)
--   token_serial  what the medium says of itself (CK_TOKEN_INFO.serialNumber)
--   model         its manufacturer and model, as the module reports them
--   so_pin_enc    its SO PIN, encrypted with the PII key (hall_pii_encrypt):
--                 what unlocks or wipes it again
--   state         initialising -> issued (the certificate and its chain on
--                 it), or -> wiped (failed halfway: C_InitToken again, no
--                 certificate issued; why says what failed)
--   csr_sha256    the SHA-256 of the certificate request the medium signed
--                 (the proof of possession the hall checked), hex
-- certificates.medium_serial: the medium a certificate was written onto; such
-- a certificate has no p12_enc (the hall never held its key).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE media (
    serial text PRIMARY KEY CHECK (serial ~ '^[0-9A-F]{16}$'),
    order_id bigint NOT NULL REFERENCES orders (id),
    cert_serial text NULL REFERENCES certificates (serial),
    token_serial text NOT NULL DEFAULT '',
    model text NOT NULL DEFAULT '',
    so_pin_enc bytea NOT NULL,
    state text NOT NULL DEFAULT 'initialising'
        CHECK (state IN ('initialising', 'issued', 'wiped')),
    csr_sha256 text NULL CHECK (csr_sha256 ~ '^[0-9a-f]{64}$'),
    why text NOT NULL DEFAULT '',
    made_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 'issued' OR (cert_serial IS NOT NULL AND csr_sha256 IS NOT NULL))
);
CREATE INDEX media_order ON media (order_id);
-- one medium per certificate
CREATE UNIQUE INDEX media_cert ON media (cert_serial) WHERE cert_serial IS NOT NULL;

ALTER TABLE certificates ADD COLUMN medium_serial text NULL REFERENCES media (serial);
-- the key was born in the medium: the hall never held a copy
ALTER TABLE certificates ADD CONSTRAINT certificates_medium_no_p12
    CHECK (medium_serial IS NULL OR p12_enc IS NULL);
