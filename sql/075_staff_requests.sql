-- 075_staff_requests: four eyes (issue 26, part 3).  What one staff member
-- alone could do harm with is a request another one decides:
--   revoke       an operator's 吊销 of a certificate (subject: its serial),
--                approved by another operator (modules/pki);
--   refund       a finance approval of a refund above refund_four_eyes_fen
--                (subject: the refund's id), approved by another finance
--                member (modules/admin);
--   staff_add    a new staff account (subject: its login; the payload holds
--                the password's hash, never the password), and
--   staff_roles  a member's new roles (subject: the login), both approved by
--                another administrator (hall-staff, or /admin/approvals).
-- The one who asked can never decide (the CHECK below: not even a bug in
-- the code can write it), a request is decided once (the conditional UPDATE
-- of core/biz/approval.c: state = 'pending'), and one thing has at most one
-- pending request (the partial unique index).  A new role 'admin' manages
-- the staff accounts; `hall-staff init` makes the first two administrators
-- while no active administrator exists (docs/operations.md).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE staff DROP CONSTRAINT staff_roles_check;
ALTER TABLE staff ADD CONSTRAINT staff_roles_check
    CHECK (cardinality(roles) >= 1
           AND roles <@ '{reviewer,finance,operator,report,admin}'::text[]);

CREATE TABLE staff_requests (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('revoke', 'refund', 'staff_add', 'staff_roles')),
    subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 64),
    payload       jsonb NOT NULL DEFAULT '{}',
    requested_by  bigint NOT NULL REFERENCES staff(id),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'approved', 'refused')),
    decided_by    bigint NULL REFERENCES staff(id),
    decided_at    timestamptz NULL,
    decision_note text NULL CHECK (length(decision_note) <= 200),
    CONSTRAINT staff_requests_four_eyes CHECK (decided_by <> requested_by),
    CONSTRAINT staff_requests_decided
        CHECK ((state = 'pending') = (decided_by IS NULL AND decided_at IS NULL))
);

COMMENT ON TABLE staff_requests IS
    'four eyes: what one staff member asks and a different one approves or refuses';

CREATE UNIQUE INDEX staff_requests_one_pending ON staff_requests (kind, subject)
    WHERE state = 'pending';
CREATE INDEX staff_requests_pending ON staff_requests (created_at) WHERE state = 'pending';
