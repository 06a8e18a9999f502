-- 022_reissue.sql: 法人认证 (seed 003) after repeated micro-deposit failures,
-- seed 003's SMS wording for szjsgws, and the back office of 介质遗失补办
-- (seed 004: the old certificate revoked, a new one issued).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- How many failed micro-deposits of an order before the applicant may
-- choose 法人认证 instead (seed 003: 「金融认证多次认证不通过」); only where
-- legal_person_auth_allowed (内蒙古政采, 广州梅谷科技, 光大环境 forbid it).
ALTER TABLE partners ADD COLUMN legal_person_auth_after smallint NOT NULL DEFAULT 3
    CHECK (legal_person_auth_after BETWEEN 1 AND 20);

-- The phone check of the legal person (core/identity.c): same table, third kind.
ALTER TABLE identity_checks DROP CONSTRAINT identity_checks_who_check;
ALTER TABLE identity_checks ADD CONSTRAINT identity_checks_who_check
    CHECK (who IN ('agent', 'applicant', 'legal'));

-- The site the review SMS names (seed 003: 「请登录www.szca.com-网上营业厅-
-- 个人中心-我的业务单…」); NULL keeps the hall's own wording.
ALTER TABLE partners ADD COLUMN sms_site text NULL CHECK (length(sms_site) BETWEEN 1 AND 40);
UPDATE partners SET sms_site = 'www.szca.com' WHERE code = 'szjsgws';

-- 介质遗失补办: the certificate an order replaces.  On approval the old one
-- is revoked (keyCompromise) in the approving transaction; the new one is
-- made by hall-outbox's pki tick (auto_issue) for the same subject, with the
-- old validity's end.
ALTER TABLE orders ADD COLUMN reissue_of text NULL REFERENCES certificates(serial);
CREATE INDEX orders_reissue_of_idx ON orders (reissue_of) WHERE reissue_of IS NOT NULL;
UPDATE products SET auto_issue = true WHERE business_type = 'reissue';
