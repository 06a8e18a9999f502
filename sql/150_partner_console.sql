-- 150_partner_console: a partner's webhook and API keys managed in the
-- staff console (issue 63 §5, docs/partners.md "In the staff console",
-- modules/admin/admin_partner.c, core/biz/partner_admin.c), four eyes as
-- every change one staff member alone could do harm with (sql/075): an
-- administrator (role admin) asks, a different administrator approves on
-- 待批准, and only then is the change made, in the approval's transaction
-- with its audit rows.  Four new kinds of staff_requests:
--   partner_hook         set or clear a partner's hook_url and hook_events
--                        (subject: the partner's code; payload: url,
--                        events, new_secret)
--   partner_hook_secret  a new webhook secret (subject: the partner's code)
--   partner_key_add      a new API key (subject: its key id; payload:
--                        partner, days)
--   partner_key_revoke   an API key revoked (subject: its key id)
-- A secret the hall generates is never in the request: it is made at the
-- approval, stored encrypted (sql/140) and shown once, in the approver's
-- answer.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE staff_requests DROP CONSTRAINT staff_requests_kind_check;
ALTER TABLE staff_requests ADD CONSTRAINT staff_requests_kind_check
    CHECK (kind IN ('revoke', 'refund', 'staff_add', 'staff_roles', 'partner_hook',
                    'partner_hook_secret', 'partner_key_add', 'partner_key_revoke'));

-- a partner's pending requests, on its console page
CREATE INDEX staff_requests_partner ON staff_requests ((payload ->> 'partner'))
    WHERE state = 'pending' AND kind LIKE 'partner\_%';
