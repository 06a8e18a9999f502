-- 139_root_crl: the root's CRL (an ARL, RFC 5280 §5) kept beside the
-- issuing CAs' (core/pki/crl.c): the row 'root' holds the CRL the root key
-- signs over the certificates it issued (the issuing and timestamp CAs').
-- A PAdES B-LT stamp keeps it in its /DSS as the TSA certificate's and the
-- CA certificate's revocation evidence (docs/internals/stamp.md §1a).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.
ALTER TABLE pki_crls DROP CONSTRAINT pki_crls_ca_check;
ALTER TABLE pki_crls ADD CONSTRAINT pki_crls_ca_check CHECK (ca IN ('ecc', 'sm2', 'root'));
