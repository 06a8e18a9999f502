-- 051_cert_org_code: the public 证书状态查询 finds certificates by 机构名称 +
-- 统一社会信用代码 (seed 004's ocspList), both exact.
--
-- The code is in the certificate itself: core/pki/pki.c writes the unit's
-- 18-character unified social credit code into the GM/T 0015 extension
-- 1.2.156.10260.4.1.4 (a UTF8String) of every organisation certificate
-- (机构证书, 机构业务证书, 机构个人证书 and the seals' certificates).  The
-- column below is read from the signed DER, so it is what the certificate
-- says and nothing has to remember to fill it: PostgreSQL computes it for
-- the rows already there and for each DER stored later.  The code of a
-- unit is public registration data, not personal data.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- The extension's value in a certificate's DER, NULL when it has none.
-- The hall encodes it as Extension ::= SEQUENCE { OID, [BOOLEAN,] OCTET
-- STRING { UTF8String } } with short lengths; anything else is NULL.
CREATE FUNCTION cert_org_code(der bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    -- OBJECT IDENTIFIER 1.2.156.10260.4.1.4
    oid constant bytea := '\x06082a811cd014040104';
    n   integer := length(der);
    i   integer;
    len integer;
BEGIN
    i := position(oid IN der);
    IF i = 0 THEN
        RETURN NULL;
    END IF;
    i := i - 1 + length(oid);          -- 0-based: the byte after the OID
    IF i + 3 <= n AND get_byte(der, i) = 1 THEN
        i := i + 3;                    -- critical BOOLEAN
    END IF;
    IF i + 4 > n OR get_byte(der, i) <> 4 OR get_byte(der, i + 1) >= 128
       OR get_byte(der, i + 2) <> 12 THEN
        RETURN NULL;                   -- OCTET STRING { UTF8String }
    END IF;
    len := get_byte(der, i + 3);
    IF len >= 128 OR i + 4 + len > n THEN
        RETURN NULL;
    END IF;
    RETURN convert_from(substring(der FROM i + 5 FOR len), 'UTF8');
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

ALTER TABLE certificates
    ADD COLUMN subject_org_code text GENERATED ALWAYS AS (cert_org_code(der)) STORED;

CREATE INDEX certificates_org_lookup ON certificates (subject_org, subject_org_code)
    WHERE state IN ('issued', 'revoked');
