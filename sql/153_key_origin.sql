-- 153_key_origin: where each certificate's key pair was born, and when the
-- hall checked that the requester holds it (docs/internals/pki.md, "Key
-- birth"; issue 64 §4).
--
-- certificates.key_origin
--   hall     the hall generated the key (the PKCS#12 of today's file path,
--            and every seal's certificate, core/biz/sealprod.c): it held
--            the key until handed over or destroyed (p12_enc)
--   medium   born in a USB key of the production station (core/pki/medium.c,
--            sql/145): medium_serial names it, the hall never held the key
--   browser  born in the holder's browser: the hall received the request
--            only
-- certificates.pop_checked_at: when the hall verified the request's
--   signature with its public key (proof of possession); NULL for a key
--   the hall made itself, required for any other.
--
-- The rows already there: 'hall', except those written onto a medium
-- (sql/145), whose request was checked in the production that issued them
-- (their issued_at, seconds later, stands for the check).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE certificates ADD COLUMN key_origin text NOT NULL DEFAULT 'hall'
    CHECK (key_origin IN ('hall', 'medium', 'browser'));
ALTER TABLE certificates ADD COLUMN pop_checked_at timestamptz NULL;

UPDATE certificates SET key_origin = 'medium', pop_checked_at = coalesce(issued_at, created_at)
    WHERE medium_serial IS NOT NULL;

-- a medium's certificate says so, and only it names a medium
ALTER TABLE certificates ADD CONSTRAINT certificates_key_origin_medium
    CHECK ((key_origin = 'medium') = (medium_serial IS NOT NULL));
-- a key the hall did not make: never a copy of it here, and its possession
-- was proven before it was certified
ALTER TABLE certificates ADD CONSTRAINT certificates_key_origin_custody
    CHECK (key_origin = 'hall' OR (p12_enc IS NULL AND (state <> 'issued'
        OR pop_checked_at IS NOT NULL)));
