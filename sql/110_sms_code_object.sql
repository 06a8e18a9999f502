-- 110_sms_code_object: an SMS code that confirms an action on one object
-- (issue 40 §3).
--
-- A holder's 撤销 and 解锁 are confirmed with a code sent for one
-- certificate: the code is kept with that certificate's serial and checked
-- only against it (core/flow/sms.c), so that a code asked for one
-- certificate never confirms the action on another of the same phone.
-- Codes that confirm the phone itself (register, login, reset, bind) have
-- none.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE sms_codes ADD COLUMN object text
    CHECK (object IS NULL OR length(object) BETWEEN 1 AND 64);

COMMENT ON COLUMN sms_codes.object IS
    'what the code confirms the action on (a certificate''s serial), NULL for a code of the phone itself';
