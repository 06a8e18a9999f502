-- 073_staff_totp: the staff's second factor (RFC 6238 TOTP, modules/admin,
-- docs/operations.md "Staff sign-in").  A staff session is a full one only
-- after the password AND a code: staff_sessions.second_factor is false for
-- the short session the password alone opens, which reaches nothing but the
-- code and enrolment pages (core/web/staff.c).
--
-- The secret is kept as its base32 text encrypted with the PII key
-- (core/base/crypto.c, AES-256-GCM): totp_pending_enc while the member has
-- not yet confirmed it with a code, totp_secret_enc once confirmed.
-- totp_last_step is the last 30-second step a code was accepted for; a code
-- is accepted only for a later step, and the UPDATE that records it is
-- conditional on that, so a replayed code (also in parallel) fails.
-- totp_known marks a secret set from the command line (hall-staff totp-set:
-- the demo accounts of sql/demo-accounts.txt, tests), the only ones
-- hall-staff totp prints a code of.
--
-- Recovery codes: ten per enrolment, shown once, stored as HMAC-SHA256 under
-- the installation's MAC key (hall_mac "staff-recovery"), each usable once.
-- Existing sessions (password alone) are not full sessions: their staff log
-- in again.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE staff
    ADD COLUMN totp_secret_enc  bytea NULL,
    ADD COLUMN totp_pending_enc bytea NULL,
    ADD COLUMN totp_last_step   bigint NOT NULL DEFAULT -1,
    ADD COLUMN totp_enrolled_at timestamptz NULL,
    ADD COLUMN totp_known       boolean NOT NULL DEFAULT false;

ALTER TABLE staff_sessions ADD COLUMN second_factor boolean NOT NULL DEFAULT false;

CREATE TABLE staff_recovery_codes (
    staff_id   bigint NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL CHECK (length(code_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz NULL,
    PRIMARY KEY (staff_id, code_hash)
);
