-- The unit's code, extension 1.2.156.10260.4.1.4 (a UTF8String), in a
-- certificate's DER, NULL when it has none: the public 证书状态查询 finds
-- organisation certificates by 机构名称 and this code (sql/051).  The hall
-- encodes it as Extension ::= SEQUENCE { OID, [BOOLEAN,] OCTET STRING {
-- UTF8String } } with short lengths; anything else is NULL.
-- certificates.subject_org_code is GENERATED ... STORED from it: a change of
-- this body leaves the rows already stored as they are until a numbered
-- migration rewrites them (UPDATE certificates SET der = der).
CREATE OR REPLACE FUNCTION cert_org_code(der bytea) RETURNS text
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
