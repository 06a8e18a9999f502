-- Core tables: applicants' accounts, sessions, SMS codes, outbox, audit log.
-- Personal data (phone numbers) is stored only encrypted (AES-256-GCM, *_enc)
-- with an HMAC blind index (*_idx) for lookups; see docs/internals/crypto.md.

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    phone_enc       bytea NOT NULL,
    phone_idx       bytea NOT NULL UNIQUE,
    password_hash   text,
    display_name    text NOT NULL DEFAULT '' CHECK (length(display_name) <= 60),
    email           text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz
);

CREATE TABLE sessions (
    token_hash      bytea PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    partner_code    text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen       timestamptz NOT NULL DEFAULT now(),
    idle_expires    timestamptz NOT NULL,
    absolute_expires timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (absolute_expires);

CREATE TABLE sms_codes (
    id              bigserial PRIMARY KEY,
    phone_idx       bytea NOT NULL,
    purpose         text NOT NULL CHECK (purpose IN ('register', 'login', 'reset', 'partner_login', 'bind')),
    code_hash       bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    tries           integer NOT NULL DEFAULT 0
);
CREATE INDEX sms_codes_phone ON sms_codes (phone_idx, created_at);

-- Every outbound effect is queued here in the transaction of the change that
-- causes it; modules/outbox delivers with retry.  The payload holds PII (a
-- phone number, a bank account) and is encrypted like any other PII column.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    idem_key        text NOT NULL UNIQUE,
    payload_enc     bytea NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    result          jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', NEW.kind);
    RETURN NEW;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_notify();

-- Append-only: written in the same transaction as the change it records.
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    entity          text NOT NULL,
    entity_id       text NOT NULL,
    action          text NOT NULL,
    from_state      text,
    to_state        text,
    detail          jsonb,
    ip              text,
    request_id      text
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
