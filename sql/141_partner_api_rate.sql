-- 141_partner_api_rate: the partner API's rate per partner (issue 55,
-- docs/partners.md "Signing a request").
--
-- nginx limits requests per key id before the hall (a flood guard that
-- needs no database); a partner with several keys, though, would get that
-- rate once per key.  The partner's own limit is data, like everything
-- else about partners: api_rate_per_min calls a minute over all its keys,
-- counted after the signature is checked (a stranger who sends a partner's
-- key id with a bad signature uses none of it), one row per partner and
-- minute, whose UPSERT counts and refuses in one statement, so parallel
-- calls cannot pass it together (core/biz/partner_hook.c, papi_rate).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE partners
    ADD COLUMN api_rate_per_min integer NOT NULL DEFAULT 600
        CHECK (api_rate_per_min BETWEEN 1 AND 100000);

COMMENT ON COLUMN partners.api_rate_per_min IS
    'partner API: signed calls a minute over all the partner''s keys; above it 429';

CREATE TABLE partner_api_rate (
    partner_code text NOT NULL REFERENCES partners(code),
    minute       timestamptz NOT NULL,
    calls        integer NOT NULL,
    PRIMARY KEY (partner_code, minute)
);

COMMENT ON TABLE partner_api_rate IS
    'the partner API''s calls per partner and minute (partners.api_rate_per_min), the last hour kept';
