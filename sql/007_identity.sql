-- 007_identity.sql: 经办人在线认证 (SPEC step 7).
--
-- The PC page shows a QR code for a one-time link; the link's token is
-- kept only as its SHA-256, is bound to one order and lives 10 minutes.
-- The phone sends the ID card photos (OCR) and then the liveness check;
-- the photos are forwarded to the provider and not kept.

CREATE TABLE identity_checks (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id),
    token_hash  bytea NOT NULL UNIQUE,
    -- whose identity: the agent (organisation types) or the applicant
    who         text NOT NULL CHECK (who IN ('agent', 'applicant')),
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'ocr_ok', 'passed', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    -- why the last attempt failed, shown on both pages (no personal data)
    message     text NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX identity_checks_order_idx ON identity_checks (order_id, id DESC);
