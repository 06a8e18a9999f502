-- 192_spki_once: one public key, one certificate (issue 70 §4;
-- docs/internals/pki.md, "One key, one certificate").
--
-- A request posted on a second applicant's accepted order was certified
-- with that applicant's name and the first one's public key: proof of
-- possession shows that someone with the key signed the request once, not
-- who holds it.  As Boulder refuses a key already in use, the hall now
-- refuses a public key it has certified before, for anyone, valid or
-- revoked: certificates.spki_sha256 is the SHA-256 of the certificate's
-- SubjectPublicKeyInfo (DER), set by core/pki/ca.c when a request's key is
-- claimed for an intent (before anything is signed) and when any order's
-- certificate is stored; the unique index holds it under parallel
-- requests.  A voided intent frees its key.  The hall's own service
-- certificates (sql/156) are not subscribers' and are left out.
--
-- The rows already stored get their digest here, read from their DER; of
-- rows that already share a key (made before this rule) the first issued
-- keeps the digest and the later ones are left without it, named by a
-- NOTICE: the register cannot unmake them, staff may revoke them.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE certificates ADD COLUMN spki_sha256 bytea NULL
    CHECK (spki_sha256 IS NULL OR length(spki_sha256) = 32);
COMMENT ON COLUMN certificates.spki_sha256 IS
    'SHA-256 of the certified SubjectPublicKeyInfo (DER): one certificate a key, sql/192';

DO $$
DECLARE
    r record;
    d bytea;
    i integer;
    k integer;
    j integer;
    b integer;
    hdr integer;
    len integer;
    h bytea;
BEGIN
    FOR r IN SELECT serial, der FROM certificates
             WHERE der IS NOT NULL AND kind = 'order' AND state <> 'void'
             ORDER BY issued_at NULLS LAST, serial LOOP
        d := r.der;
        i := 0;
        -- Certificate, then TBSCertificate: their headers only
        FOR k IN 1..2 LOOP
            b := get_byte(d, i + 1);
            i := i + 2 + CASE WHEN b < 128 THEN 0 ELSE b - 128 END;
        END LOOP;
        -- [0] version (when there), serialNumber, signature, issuer,
        -- validity, subject: skipped; then the SubjectPublicKeyInfo
        FOR k IN 0..6 LOOP
            IF k = 0 AND get_byte(d, i) <> 160 THEN
                CONTINUE;
            END IF;
            b := get_byte(d, i + 1);
            IF b < 128 THEN
                hdr := 2;
                len := b;
            ELSE
                hdr := 2 + b - 128;
                len := 0;
                FOR j IN 1..(b - 128) LOOP
                    len := len * 256 + get_byte(d, i + 1 + j);
                END LOOP;
            END IF;
            EXIT WHEN k = 6;
            i := i + hdr + len;
        END LOOP;
        h := sha256(substring(d FROM i + 1 FOR hdr + len));
        IF EXISTS (SELECT 1 FROM certificates WHERE spki_sha256 = h) THEN
            RAISE NOTICE 'certificate % certifies a public key certified before: left without spki_sha256',
                r.serial;
        ELSE
            UPDATE certificates SET spki_sha256 = h WHERE serial = r.serial;
        END IF;
    END LOOP;
END
$$;

CREATE UNIQUE INDEX certificates_spki_once ON certificates (spki_sha256)
    WHERE spki_sha256 IS NOT NULL AND state <> 'void';
