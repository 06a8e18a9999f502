-- 159_seal_holder_key: a 机构个人章's key is born in its holder's browser
-- (issue 64 §1/§2; docs/modules/seal.md, "The holder's own key").
--
-- The production of a seal order no longer makes the 机构个人章's
-- certificate: it sends the holder, to the phone verified at the
-- application, a code for /seal/holder; there the holder's browser makes
-- the key pair and posts the certificate request only; the hall checks it
-- (proof of possession), issues the 机构个人证书 (key_origin 'browser') and
-- makes the seal's SESeal listing it (core/biz/sealhold.c).
--
-- seal_items.key_code_mac      HMAC of the code the holder's SMS carried,
--                              bound to the seal's code (印章编码); NULL
--                              before production and once used
-- seal_items.key_code_tries    wrong codes given for it (10 lock it)
-- seal_items.key_code_sent_at  when production sent it
-- seal_items.key_made_at       when the holder's certificate was issued
--                              from the holder's request (the code is gone)
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE seal_items ADD COLUMN key_code_mac bytea NULL
    CHECK (key_code_mac IS NULL OR length(key_code_mac) = 32);
ALTER TABLE seal_items ADD COLUMN key_code_tries integer NOT NULL DEFAULT 0
    CHECK (key_code_tries >= 0);
ALTER TABLE seal_items ADD COLUMN key_code_sent_at timestamptz NULL;
ALTER TABLE seal_items ADD COLUMN key_made_at timestamptz NULL;
-- a code is the 机构个人章's alone, and a used one is gone
ALTER TABLE seal_items ADD CONSTRAINT seal_items_key_code_person
    CHECK (key_code_mac IS NULL OR (kind = 'org_person' AND key_made_at IS NULL));
