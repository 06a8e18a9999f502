-- 005_staff.sql: CA staff (审核员, 财务, 运营, 报表) and their sessions, kept
-- apart from the applicants' users/sessions: a staff token is never looked
-- up in sessions and an applicant token never in staff_sessions, so neither
-- kind of login opens the other's routes (core/staff.c, core/session.c).
--
-- Accounts are created with modules/admin/hall-staff (the password hash is
-- computed in C: PBKDF2, core/crypto.c); script/lib/common.sh seeds the demo
-- accounts of sql/demo-accounts.txt.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE staff (
    id              bigserial PRIMARY KEY,
    login           text NOT NULL UNIQUE CHECK (login ~ '^[a-z][a-z0-9_.-]{1,31}$'),
    display_name    text NOT NULL DEFAULT '' CHECK (length(display_name) <= 60),
    password_hash   text NOT NULL,
    roles           text[] NOT NULL
                    CHECK (cardinality(roles) >= 1
                           AND roles <@ '{reviewer,finance,operator,report}'::text[]),
    active          boolean NOT NULL DEFAULT true,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz NULL,
    last_login_at   timestamptz NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE staff IS 'CA staff of the admin console; applicants are in users';

CREATE TABLE staff_sessions (
    token_hash       bytea PRIMARY KEY,
    staff_id         bigint NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now(),
    idle_expires     timestamptz NOT NULL,
    absolute_expires timestamptz NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expiry ON staff_sessions (absolute_expires);

-- The form revision the last rejection was about: the reviewer of the
-- resubmitted order sees the difference between it and the current form.
ALTER TABLE orders ADD COLUMN rejected_rev integer NULL;
