-- 089_revoke_request_moot: a staff revocation request (four eyes, sql/075)
-- whose certificate is revoked by another path first (the holder's 撤销,
-- a 补办's approval, a 变更 or 解锁 superseding it, a seal's 注销) is no
-- longer pending: hall_pki_revoke (core/pki/pki.c) closes it in the
-- revocation's own transaction as state 'moot', with decided_at and a
-- decision_note saying why (shown in /admin/approvals' history), and audits
-- it.  Nobody decided it: decided_by stays NULL, so the four-eyes CHECK
-- (decided_by <> requested_by) holds as before; approved and refused still
-- need a decider.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE staff_requests DROP CONSTRAINT staff_requests_state_check;
ALTER TABLE staff_requests ADD CONSTRAINT staff_requests_state_check
    CHECK (state IN ('pending', 'approved', 'refused', 'moot'));

ALTER TABLE staff_requests DROP CONSTRAINT staff_requests_decided;
ALTER TABLE staff_requests ADD CONSTRAINT staff_requests_decided
    CHECK (CASE state
           WHEN 'pending' THEN decided_by IS NULL AND decided_at IS NULL
           WHEN 'moot' THEN decided_by IS NULL AND decided_at IS NOT NULL AND decision_note IS NOT NULL
           ELSE decided_by IS NOT NULL AND decided_at IS NOT NULL
           END);
