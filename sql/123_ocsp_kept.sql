-- 123_ocsp_kept: the OCSP answers signed for reuse (requests without a
-- nonce about one certificate, docs/modules/ocsp.md "Signed once,
-- reused"), kept where a restarted responder finds them: while the token
-- cannot sign, an answer still valid (this_update + 1 h) is answered again
-- instead of tryLater.  key: the CA, the CertID's hash, the serial and the
-- status the database gave (state, revocation time, reason), as the
-- workers' memory keys them; written by core/pki/ca.c's pki_ocsp_keep.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE ocsp_kept (
    key         text PRIMARY KEY CHECK (length(key) < 96),
    der         bytea NOT NULL CHECK (length(der) < 16384),
    this_update timestamptz NOT NULL,
    produced    timestamptz NOT NULL
);
COMMENT ON TABLE ocsp_kept IS
    'signed OCSP answers kept for reuse across restarts (core/pki/ocsp_answer.c); pruned by the CA tick';
