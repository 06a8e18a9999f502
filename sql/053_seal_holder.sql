-- 053_seal_holder: a 机构个人章's key belongs to the person named on the
-- seal, not to the agent (docs/modules/seal.md, "The holder's own key").
--
-- The holder's own phone is in seal_items.holder_enc ({"name","ric","mobile"},
-- PII-encrypted); before the order leaves 上传资料 it is verified by an SMS
-- code the agent types in on the 证书附页 page (the holder passes it on):
--   holder_code_hash     HMAC of the code last sent to the row's phone
--   holder_code_expires  until when it counts (sms_code_ttl_s)
--   holder_code_tries    wrong tries of that code (sms_code_max_tries)
--   holder_code_sent_at  when it was sent, and holder_code_idx to which phone's
--                        blind index (sms_code_interval_s between two to one
--                        phone)
--   holder_verified_idx  the blind index of the phone a code proved; the row
--                        is verified while it equals its phone's index, so a
--                        changed phone asks again; an edit keeps a phone the
--                        order verified verified, in whichever row it lands
--
-- At production the holder's certificate gets a PIN of its own, sent with a
-- download code to the holder's phone (never to the agent); the holder
-- fetches the medium at /seal/holder with the serial and that code, once:
--   certificates.holder_code_hash   HMAC of the download code (NULL when the
--                                   medium is the order owner's, and once it
--                                   is destroyed)
--   certificates.holder_code_tries  wrong codes given for it (10 lock it)
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE seal_items ADD COLUMN holder_code_hash bytea NULL
    CHECK (holder_code_hash IS NULL OR length(holder_code_hash) = 32);
ALTER TABLE seal_items ADD COLUMN holder_code_expires timestamptz NULL;
ALTER TABLE seal_items ADD COLUMN holder_code_tries integer NOT NULL DEFAULT 0
    CHECK (holder_code_tries >= 0);
ALTER TABLE seal_items ADD COLUMN holder_code_sent_at timestamptz NULL;
ALTER TABLE seal_items ADD COLUMN holder_code_idx bytea NULL
    CHECK (holder_code_idx IS NULL OR length(holder_code_idx) = 32);
ALTER TABLE seal_items ADD COLUMN holder_verified_idx bytea NULL
    CHECK (holder_verified_idx IS NULL OR length(holder_verified_idx) = 32);

ALTER TABLE certificates ADD COLUMN holder_code_hash bytea NULL
    CHECK (holder_code_hash IS NULL OR length(holder_code_hash) = 32);
ALTER TABLE certificates ADD COLUMN holder_code_tries integer NOT NULL DEFAULT 0
    CHECK (holder_code_tries >= 0);

-- The 机构个人章 media made before this file are under the order's PIN, which
-- went to the agent: not the holder's alone.  They are destroyed (why
-- 'migration', audited as sql/052 does); the holder gets a medium of their
-- own by 解锁 (a new key pair) or 补办.
CREATE TEMPORARY TABLE custody_053 ON COMMIT DROP AS
    SELECT c.serial, c.state FROM certificates c JOIN seal_items i ON i.id = c.seal_item_id
    WHERE i.kind = 'org_person' AND c.p12_enc IS NOT NULL;

UPDATE certificates c SET p12_enc = NULL, medium_destroyed_at = now(),
    medium_destroyed_why = 'migration'
    FROM custody_053 d WHERE d.serial = c.serial;

INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, detail)
    SELECT 'migration:053', 'certificate', d.serial, 'medium destroy', 'held', 'destroyed',
           jsonb_build_object('why', 'migration', 'state', d.state, 'holder', 'agent had the PIN')
    FROM custody_053 d;
