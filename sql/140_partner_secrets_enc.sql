-- 140_partner_secrets_enc: the partners' shared secrets encrypted at rest
-- (issue 51 §2 "Secrets at rest", docs/operations.md "Secrets at rest").
--
-- partners.link_secret (signed links), partners.hook_secret (status
-- webhooks) and partner_api_keys.secret (partner API requests) were kept in
-- clear, so a copy of var/pg (its heap, its WAL) or a pg_dump gave them
-- away.  They now live in *_enc, AES-256-GCM under the PII key, as the
-- personal data does (core/base/crypto.c, hall_pii_encrypt), written only by
-- hall-pkitool (partner-secret, partner-key), which reads the secret from
-- its standard input.  The clear columns stay for the installations that
-- have values in them: hall-pkitool partner-secrets, run at every start
-- (script/lib/common.sh, start_all), moves each into its *_enc and clears
-- it, in one transaction; from now on a clear one cannot be written
-- (sql/triggers/partners_secret_clear.sql, partner_api_keys_secret_clear.sql:
-- a value left by an older hall passes unchanged until it is moved).
--
-- partner_secret_seeds: the development secrets hall-pkitool partner-secrets
-- sets once, encrypted, on a fresh database (the dev link secret of hunan,
-- that 003_seed.sql wrote in clear before).  A fresh database is one whose
-- 003_seed is applied in this same run (its applied_at is this
-- transaction's now()); a database that had it already keeps what it has.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE partners
    ADD COLUMN link_secret_enc bytea NULL,
    ADD COLUMN hook_secret_enc bytea NULL;
ALTER TABLE partner_api_keys
    ADD COLUMN secret_enc bytea NULL,
    ALTER COLUMN secret DROP NOT NULL;

-- a webhook needs its key, clear (not moved yet) or encrypted
DO $$
DECLARE
    c text;
BEGIN
    SELECT conname INTO c FROM pg_constraint
     WHERE conrelid = 'partners'::regclass AND contype = 'c'
       AND pg_get_constraintdef(oid) LIKE '%hook_url IS NULL%hook_secret IS NOT NULL%';
    IF c IS NOT NULL THEN
        EXECUTE format('ALTER TABLE partners DROP CONSTRAINT %I', c);
    END IF;
END $$;
ALTER TABLE partners
    ADD CONSTRAINT partners_hook_has_secret
        CHECK (hook_url IS NULL OR hook_secret_enc IS NOT NULL OR hook_secret IS NOT NULL);
ALTER TABLE partner_api_keys
    ADD CONSTRAINT partner_api_keys_has_secret CHECK (secret_enc IS NOT NULL OR secret IS NOT NULL);

COMMENT ON COLUMN partners.link_secret_enc IS
    'signed links: the HMAC-SHA256 key, encrypted under the PII key (hall-pkitool partner-secret CODE link)';
COMMENT ON COLUMN partners.hook_secret_enc IS
    'status webhooks: the HMAC-SHA256 key of X-Hall-Signature, encrypted under the PII key (hall-pkitool partner-secret CODE hook)';
COMMENT ON COLUMN partner_api_keys.secret_enc IS
    'the key''s secret, encrypted under the PII key (hall-pkitool partner-key)';
COMMENT ON COLUMN partners.link_secret IS
    'before 140: the link key in clear; moved into link_secret_enc at start (hall-pkitool partner-secrets), never written again';
COMMENT ON COLUMN partners.hook_secret IS
    'before 140: the webhook key in clear; moved into hook_secret_enc at start, never written again';
COMMENT ON COLUMN partner_api_keys.secret IS
    'before 140: the secret in clear; moved into secret_enc at start, never written again';

CREATE TABLE partner_secret_seeds (
    partner_code text NOT NULL REFERENCES partners(code),
    kind         text NOT NULL CHECK (kind IN ('link', 'hook')),
    PRIMARY KEY (partner_code, kind)
);
COMMENT ON TABLE partner_secret_seeds IS
    'development secrets hall-pkitool partner-secrets sets once (encrypted) on a fresh database, then forgets';

INSERT INTO partner_secret_seeds (partner_code, kind)
SELECT 'hunan', 'link' FROM schema_migrations m
 WHERE m.version = '003_seed' AND m.applied_at = now()
   AND EXISTS (SELECT 1 FROM partners WHERE code = 'hunan');
