-- 136_partner_api: the partner API's credentials (issue 55, docs/partners.md
-- "The partner API", modules/partner).
--
-- A partner has any number of keys: an id it sends in X-Hall-Key-Id and a
-- secret the requests are signed with (HMAC-SHA256 over the method, the
-- path and query, a timestamp, a nonce and the body), each valid until
-- not_after.  Rotation without downtime: a new key is added, the partner
-- moves to it, the old one is revoked (revoked_at: refused at once).  The
-- nonces seen in the last minutes are kept, so that a request replayed
-- within its timestamp's window is refused.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE partner_api_keys (
    key_id       text PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9_-]{8,64}$'),
    partner_code text NOT NULL REFERENCES partners(code),
    secret       text NOT NULL CHECK (length(secret) BETWEEN 32 AND 200),
    not_after    timestamptz NOT NULL,
    revoked_at   timestamptz NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_api_keys_partner ON partner_api_keys (partner_code);

COMMENT ON TABLE partner_api_keys IS
    'the partner API''s keys: several per partner, each with an expiry; revoked_at refuses it at once';

CREATE TABLE partner_api_nonces (
    key_id  text NOT NULL REFERENCES partner_api_keys(key_id),
    nonce   text NOT NULL CHECK (nonce ~ '^[A-Za-z0-9_-]{16,64}$'),
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX partner_api_nonces_seen ON partner_api_nonces (seen_at);

COMMENT ON TABLE partner_api_nonces IS
    'the partner API''s nonces of the last minutes: a replayed request is refused';

-- the applications the API made: which key, which project
ALTER TABLE partner_links
    ADD COLUMN api_key_id text NULL REFERENCES partner_api_keys(key_id),
    ADD COLUMN project_id text NULL CHECK (project_id ~ '^[A-Za-z0-9_-]{1,64}$');

-- the partner's orders changed since a time, paged (GET /partner-api/v1/orders/changed)
CREATE INDEX orders_partner_changed ON orders (partner_code, updated_at, id);
