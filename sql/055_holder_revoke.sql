-- 055_holder_revoke: the holder's own revocation (撤销, 我的证书; issue 24).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- 撤销 is confirmed with an SMS code sent to the account's own phone
-- (core/flow/sms.c): a purpose of its own, so that a login code cannot
-- confirm a revocation nor the other way round.
ALTER TABLE sms_codes DROP CONSTRAINT sms_codes_purpose_check;
ALTER TABLE sms_codes ADD CONSTRAINT sms_codes_purpose_check
    CHECK (purpose IN ('register', 'login', 'reset', 'partner_login', 'bind', 'revoke'));
