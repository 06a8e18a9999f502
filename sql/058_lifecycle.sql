-- 058_lifecycle.sql: the orders that replace a certificate (issue 24):
-- 介质遗失补办 reissue, 证书更新 renew, 证书变更 change, 证书解锁 unlock.
--
-- orders.reissue_of (sql/022) names the certificate an order of any of the
-- four replaces; core/flow/replace.c checks that it is the applicant's own
-- and claims it, core/biz/produce.c makes the new certificate from it:
--   reissue  same subject, the old notAfter; the old revoked (keyCompromise)
--            when staff approve (core/flow/reissue_review.c)
--   renew    same subject, new key, notBefore = the old notAfter when renewed
--            before expiry (now after it), notAfter = notBefore + the years;
--            the old one stays valid until it expires
--   change   the subject of the order's form (the new data), the old notAfter
--   unlock   same subject, new key, the old notAfter
-- change and unlock revoke the old certificate as superseded (4) in the
-- transaction that stores the new one, not before.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE products DROP CONSTRAINT products_business_type_check;
ALTER TABLE products ADD CONSTRAINT products_business_type_check
    CHECK (business_type IN ('new', 'reissue', 'seal', 'finauth', 'renew', 'change', 'unlock'));

ALTER TABLE orders DROP CONSTRAINT orders_business_type_check;
ALTER TABLE orders ADD CONSTRAINT orders_business_type_check
    CHECK (business_type IN ('new', 'reissue', 'seal', 'finauth', 'renew', 'change', 'unlock'));

ALTER TABLE agreements DROP CONSTRAINT agreements_business_types_check;
ALTER TABLE agreements ADD CONSTRAINT agreements_business_types_check
    CHECK (business_types IS NULL
           OR business_types <@ '{new,reissue,seal,finauth,renew,change,unlock}'::text[]);

-- the replaced certificate: only on the four replacing types
ALTER TABLE orders ADD CONSTRAINT orders_reissue_of_type
    CHECK (reissue_of IS NULL OR business_type IN ('reissue', 'renew', 'change', 'unlock'));
COMMENT ON COLUMN orders.reissue_of IS
    'the certificate this order replaces (reissue, renew, change, unlock): sql/058';

-- at most one live replacing order per certificate, whatever its type; the
-- claim (core/flow/replace.c) locks the certificate's row and answers the
-- applicant first, this index holds whatever runs concurrently
CREATE UNIQUE INDEX orders_replaces_one ON orders (reissue_of)
    WHERE reissue_of IS NOT NULL AND status NOT IN ('cancelled', 'refunded');
