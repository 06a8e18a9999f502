-- 087_carrier_passes: a passed carrier real-name check is remembered for
-- its applicant (issue 27, information entry; carrier_pass_keep_s in
-- docs/operations.md).
--
-- 实名电信认证 asks the carrier whether a phone is registered to a name and
-- ID number; each query is paid, and it was asked again at every
-- information entry, also when the same applicant saved the same agent a
-- second time.  A passed check is now kept per applicant for
-- carrier_pass_keep_s (one day by default): within it, the same three
-- values are not sent again.  key is the HMAC (core/base/crypto.c,
-- hall_mac, purpose 'carrier-pass') of the name, the ID number and the
-- phone: the values themselves are not stored here.  passed_at and
-- request_id name the check that passed (the worker's log line of that
-- request has the call); the request that reused it logs "carrier check
-- passed earlier" with passed_at.  A failed check is never written, so a
-- mismatch is asked again each time.  Keeping a pass removes that
-- applicant's passes older than 30 days, the longest carrier_pass_keep_s.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE carrier_passes (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key        bytea NOT NULL CHECK (octet_length(key) = 32),
    passed_at  timestamptz NOT NULL DEFAULT now(),
    request_id text,
    PRIMARY KEY (user_id, key)
);
