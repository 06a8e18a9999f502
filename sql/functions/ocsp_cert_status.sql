-- The OCSP responder's read of a certificate's status, safe for a short
-- per-worker cache (core/pki, docs/modules/ocsp.md).
--
-- Each hall-ocsp worker keeps a certificate's 'issued' (or final 'revoked'
-- / 'void') status for at most 500 ms after it asked, so that a busy
-- responder does not ask PostgreSQL for every request.  A revocation must
-- still show at once, on every host: hall_pki_revoke takes the advisory
-- lock of the serial exclusively before its UPDATE and commits no sooner
-- than 500 ms (plus a margin) after it has it.  This function takes the same
-- lock shared, then reads with a new snapshot (a VOLATILE function takes
-- one per statement), so a read either ended before the revocation took
-- the lock (its cached answer expires before the revocation commits) or
-- waited for the commit and sees 'revoked'.  Advisory locks are in memory:
-- no transaction ID, no WAL.
CREATE OR REPLACE FUNCTION ocsp_cert_status(p_serial text, p_ca text)
RETURNS TABLE (o_state text, o_revoked bigint, o_reason integer)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('hall-ocsp:' || p_serial, 0));
    RETURN QUERY
        SELECT c.state, coalesce(floor(extract(epoch FROM c.revoked_at))::bigint, 0),
               coalesce(c.revoke_reason, 0)::integer
          FROM certificates c
         WHERE c.serial = p_serial AND c.ca = p_ca;
END
$$;
