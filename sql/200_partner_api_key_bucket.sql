-- 200_partner_api_key_bucket: the partner API's rate per key, counted
-- after the signature (issue 72 §1, docs/partners.md "Limits").
--
-- nginx counted a bucket per X-Hall-Key-Id before any signature was
-- checked: a stranger who knew a partner's key id could spend its bucket
-- with unsigned calls and the partner's own calls got 429.  nginx now
-- limits the partner API per client address only; the bucket per key
-- (10 calls a second, a burst of 40) is kept here and spent by the module
-- once the signature and the nonce are checked, in one statement that
-- refills, tests and spends (core/biz/partner_hook.c, papi_key_bucket),
-- so that parallel calls of a key in several workers cannot pass it
-- together.
--
-- A known key's refusals (bad signature, stale timestamp, revoked, expired,
-- replayed nonce) are counted per key and minute: the first of a minute is
-- a row of the hash-chained audit log, with how many the minute before it
-- had; the rest are counted (/metrics/partner) and sampled in partner.log.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE partner_api_key_bucket (
    key_id text PRIMARY KEY REFERENCES partner_api_keys(key_id) ON DELETE CASCADE,
    tokens double precision NOT NULL,
    at     timestamptz NOT NULL
);

COMMENT ON TABLE partner_api_key_bucket IS
    'partner API: each key''s token bucket (10 a second, burst 40), spent after the signature';

CREATE TABLE partner_api_refusals (
    key_id       text PRIMARY KEY REFERENCES partner_api_keys(key_id) ON DELETE CASCADE,
    minute       timestamptz NOT NULL,
    refused      integer NOT NULL,
    prev_minute  timestamptz NULL,
    prev_refused integer NOT NULL DEFAULT 0
);

COMMENT ON TABLE partner_api_refusals IS
    'partner API: a known key''s 401s in its latest minute (and the one before), one audit row a minute';
