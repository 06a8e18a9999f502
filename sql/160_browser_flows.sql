-- 160_browser_flows: every flow of a certificate made in the browser stays
-- in the browser (issue 64 §2, §4; docs/internals/pki.md, "Key birth").
--
-- A certificate whose key was born in its holder's browser (certificates.
-- key_origin 'browser', sql/153) is renewed (证书更新), changed (证书变更),
-- replaced when its file is lost (介质遗失补办) and "unlocked" (证书解锁: a
-- file cannot be unlocked, so a new key and a new certificate) by its
-- holder's browser again: once the order is 成功受理 the order page makes
-- the new key and posts the request (POST /pki/csr); the hall never makes
-- a key for it (functions/order_key_origin.sql decides, from the replaced
-- certificate).  hall-outbox's automatic production (auto_issue) of such an
-- order means "ready for the holder's key" at once: the tick leaves it to
-- the holder (core/biz/produce.c, pki_auto_next).
--
-- products_browser_new (sql/151) allowed a browser-made key for 新办 only,
-- never with auto_issue: a product of any certificate business may now be
-- sold as browser-made (its price without 介质费 is the product's data), and
-- auto_issue no longer contradicts it.  Seals (business 'seal', and the
-- 机构业务章's org_business) stay the hall's.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE products DROP CONSTRAINT products_browser_new;
ALTER TABLE products ADD CONSTRAINT products_browser_new
    CHECK (key_origin = 'hall' OR (business_type IN ('new', 'reissue', 'renew', 'change', 'unlock')
                                   AND cert_type <> 'org_business'));
