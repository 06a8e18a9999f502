-- 021_seal.sql: the seals of a 电子签章申请 (seed 001) and the GB/T 38540
-- electronic seals (SESeal) made of them.
--
-- A seal order is an orders row (business_type 'seal') with one seal_items
-- row per seal chosen in 签章信息:
--   机构章      kind 'org',          position 0: at most one per order
--   机构业务章  kind 'org_business', position 1..8: at most eight online
--   机构个人章  kind 'org_person',   position 1..50: name and ID number
-- The limits are the table's own (UNIQUE + the position ranges), not only
-- the module's, so no writer can store a second 机构章 or a ninth 业务章.
-- The order's cert_fen is the sum of the items' price_fen (core/sealorder.c,
-- hall_seal_price).  The person's name and ID number are PII: holder_enc
-- holds {"name","ric"} encrypted with the PII key (docs/internals/crypto.md).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE seal_items (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id),
    kind        text NOT NULL CHECK (kind IN ('org', 'org_business', 'org_person')),
    position    smallint NOT NULL,
    product_id  integer NOT NULL REFERENCES products(id),
    years       smallint NOT NULL CHECK (years BETWEEN 1 AND 5),
    -- 签章样式: auto = 工具自动生成, cutout = 根据印模样式抠图
    style       text NOT NULL CHECK (style IN ('auto', 'cutout')),
    -- 印章名称 below the star (合同专用章 ...); NULL for a 机构章 without one
    -- and for personal seals, whose name is the holder's
    seal_name   text NULL CHECK (seal_name IS NULL OR char_length(seal_name) BETWEEN 2 AND 12),
    holder_enc  bytea NULL,
    price_fen   integer NOT NULL CHECK (price_fen >= 0),
    -- the picture (PNG): drawn at once for auto, cut out of the uploaded
    -- impression for cutout (NULL until then)
    image_png   bytea NULL CHECK (image_png IS NULL OR octet_length(image_png) <= 2097152),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind, position),
    CHECK ((kind = 'org') = (position = 0)),
    CHECK (kind <> 'org_business' OR position BETWEEN 1 AND 8),
    CHECK (kind <> 'org_person' OR position BETWEEN 1 AND 50),
    CHECK ((kind = 'org_person') = (holder_enc IS NOT NULL)),
    CHECK (kind <> 'org_business' OR seal_name IS NOT NULL)
);

CREATE INDEX seal_items_order_idx ON seal_items (order_id, kind, position);

-- The SESeal of each approved seal: the DER exactly as signed by the CA's
-- seal maker (var/keys/pki/seal-maker.*), downloadable by the order's owner;
-- cert_serial is the signer's certificate listed in it (the order's).  The
-- public verification page (/seal/verify) reads state and the certificate's
-- state; a revoked seal stays here, with revoked_at.
CREATE TABLE seseals (
    es_id       text PRIMARY KEY CHECK (es_id ~ '^[0-9A-Z]{14,40}$'),
    item_id     bigint NOT NULL REFERENCES seal_items(id),
    order_id    bigint NOT NULL REFERENCES orders(id),
    cert_serial text NULL REFERENCES certificates(serial),
    der         bytea NOT NULL CHECK (octet_length(der) <= 4194304),
    valid_start timestamptz NOT NULL,
    valid_end   timestamptz NOT NULL CHECK (valid_end > valid_start),
    state       text NOT NULL DEFAULT 'valid' CHECK (state IN ('valid', 'revoked')),
    revoked_at  timestamptz NULL CHECK ((state = 'revoked') = (revoked_at IS NOT NULL)),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- one valid SESeal per seal
CREATE UNIQUE INDEX seseals_live_item ON seseals (item_id) WHERE state = 'valid';
CREATE INDEX seseals_order_idx ON seseals (order_id);
