-- 190_unlock_claim_ends: a 证书解锁 done on the USB key itself ends its claim
-- on the certificate (issue 70 §4; docs/internals/replace.md, "The claim").
--
-- sql/058 let one live replacing order hold a certificate, live meaning
-- anything but cancelled and refunded.  A USB key's 解锁 (the 证书助手's,
-- core/biz/medium_unlock.c) issues no certificate: done (已签收), the
-- certificate it unlocked is the holder's valid one as before, and the
-- delivered order went on holding it: every later 补办, 更新, 变更 and
-- 解锁 of it was refused (该证书已有证书解锁申请正在办理中).  A delivered
-- 解锁 order now holds nothing.  Any other done replacing order (and a
-- 解锁 that made a new certificate: a browser file's, a hall-made one's)
-- revoked the old certificate when it was made, which no flow replaces
-- (core/flow/replace.c's replace_cert_lock): its claim no longer matters.
-- The same rule is HALL_CLAIM_LIVE_R in core/biz/rules.h, for the queries.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

DROP INDEX orders_replaces_one;
CREATE UNIQUE INDEX orders_replaces_one ON orders (reissue_of)
    WHERE reissue_of IS NOT NULL AND status NOT IN ('cancelled', 'refunded')
      AND NOT (business_type = 'unlock' AND status = 'delivered');
