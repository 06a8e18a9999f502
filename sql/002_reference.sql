-- 002_reference.sql: reference data the flows read but rarely write.
--
-- partners, partner_projects, products, agreements (+ acceptances),
-- divisions (GB/T 2260), banks and branches (keyword search), holidays
-- (working-day SLA).  Seed rows are in 003_seed.sql; divisions are loaded
-- by script/lib/load-divisions.js.  See docs/internals/reference-data.md.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---------------------------------------------------------------------------
-- Partners: a partner is data, not code.

CREATE TABLE partners (
    code                      text PRIMARY KEY
                              CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    short_name                text NOT NULL CHECK (length(short_name) BETWEEN 1 AND 40),
    -- nginx location prefix; '/' for the generic hall, '/<code>/' otherwise
    entry_path                text NOT NULL UNIQUE
                              CHECK (entry_path ~ '^/([a-z0-9_-]+/)?$'),
    requires_project_id       boolean NOT NULL DEFAULT false,
    review_sla_days           integer NOT NULL DEFAULT 3
                              CHECK (review_sla_days BETWEEN 1 AND 30),
    -- "是否办理电子签章" in the new-certificate flow (seed 003)
    seal_offered              boolean NOT NULL DEFAULT false,
    seal_default              boolean NOT NULL DEFAULT false,
    legal_person_auth_allowed boolean NOT NULL DEFAULT true,
    -- HMAC secret for signed redirect links; NULL = partner sends none
    link_secret               text NULL CHECK (link_secret IS NULL OR length(link_secret) >= 16),
    -- inserted into SMS texts ("您提交的<name>新申请业务..."); '' = omitted
    sms_business_name         text NOT NULL DEFAULT '',
    -- 寄付 (prepaid, added to the bill) offered?  到付 carriers otherwise
    shipping_prepaid          boolean NOT NULL DEFAULT false,
    shipping_collect_carriers text[] NOT NULL DEFAULT '{SF,EMS}',
    -- gifts by years, shown as a popup in the new flow (seed 003); NULL = none
    promotion                 jsonb NULL
                              CHECK (promotion IS NULL OR jsonb_typeof(promotion) = 'object'),
    active                    boolean NOT NULL DEFAULT true,
    created_at                timestamptz NOT NULL DEFAULT now(),
    CHECK (seal_offered OR NOT seal_default)
);

COMMENT ON TABLE partners IS 'Partner platforms and the generic hall (code hall)';

CREATE TABLE partner_projects (
    partner_code text NOT NULL REFERENCES partners(code),
    project_id   text NOT NULL CHECK (project_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name         text NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    PRIMARY KEY (partner_code, project_id)
);

-- ---------------------------------------------------------------------------
-- Products: what a partner sells, and for how much.
--
-- total (fen) = price_per_year_fen * years
--             + (seal chosen ? seal_fee_per_year_fen * years : 0)
--             + fixed_fee_fen
-- plus prepaid shipping, which is not a product property.
-- cert_type 'org_business' (机构业务证书/机构业务章, seed 001) exists only for seals.

CREATE TABLE products (
    id                    serial PRIMARY KEY,
    partner_code          text NOT NULL REFERENCES partners(code),
    business_type         text NOT NULL
                          CHECK (business_type IN ('new', 'reissue', 'seal', 'finauth')),
    cert_type             text NOT NULL
                          CHECK (cert_type IN ('org', 'org_person', 'person', 'org_business')),
    name                  text NOT NULL,
    price_per_year_fen    integer NOT NULL CHECK (price_per_year_fen BETWEEN 0 AND 100000000),
    -- one-off part, e.g. the medium fee of a reissue (seed 004)
    fixed_fee_fen         integer NOT NULL DEFAULT 0 CHECK (fixed_fee_fen BETWEEN 0 AND 100000000),
    -- added per year when the partner's seal option is chosen (seal_offered)
    seal_fee_per_year_fen integer NOT NULL DEFAULT 0
                          CHECK (seal_fee_per_year_fen BETWEEN 0 AND 100000000),
    -- display split of one year's price (price_per_year_fen + fixed_fee_fen),
    -- e.g. {"证书费":20000,"介质费":10000,"签章费":5000}
    breakdown             jsonb NOT NULL DEFAULT '{}'
                          CHECK (jsonb_typeof(breakdown) = 'object'),
    min_years             smallint NOT NULL DEFAULT 1,
    max_years             smallint NOT NULL DEFAULT 5,
    -- how many of this item one order may hold (seal: 机构章 1, 业务章 8); NULL = no limit
    max_count             smallint NULL CHECK (max_count IS NULL OR max_count >= 1),
    -- true: the certificate PIN travels in the micro-deposit memo;
    -- false: the memo carries a random code the agent types in
    pin_by_memo           boolean NOT NULL DEFAULT true,
    active                boolean NOT NULL DEFAULT true,
    sort_order            smallint NOT NULL DEFAULT 0,
    UNIQUE (partner_code, business_type, cert_type),
    CHECK (min_years >= 1 AND max_years <= 5 AND min_years <= max_years),
    CHECK (cert_type <> 'org_business' OR business_type = 'seal')
);

-- breakdown, when present, must add up to the price of one year
-- (price_per_year_fen + fixed_fee_fen)
CREATE FUNCTION products_breakdown_ok(b jsonb, price integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT b = '{}'::jsonb
        OR (SELECT bool_and(jsonb_typeof(v) = 'number') AND sum(v::text::numeric) = price
              FROM jsonb_each(b) AS e(k, v))
$$;

ALTER TABLE products
    ADD CONSTRAINT products_breakdown_sums
    CHECK (products_breakdown_ok(breakdown, price_per_year_fen + fixed_fee_fen));

-- ---------------------------------------------------------------------------
-- Agreements and their acceptance record.
--
-- The current version of a code is the one with the latest effective_at
-- that is not in the future.  partner_code NULL = every partner.  A
-- partner-specific row may replace a generic code for that partner
-- (szjsgws's 《隐私保护》 replaces 《个人信息保护政策》, seed 003).
-- checkbox_group: the seeds show two tick boxes; the sensitive-data
-- authorisation is consented to separately (group 2).

CREATE TABLE agreements (
    code           text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,47}$'),
    version        text NOT NULL CHECK (length(version) BETWEEN 1 AND 20),
    title          text NOT NULL,
    body           text NOT NULL,
    partner_code   text NULL REFERENCES partners(code),
    replaces       text NULL,
    -- NULL = shown in every business type
    business_types text[] NULL
                   CHECK (business_types IS NULL
                          OR business_types <@ '{new,reissue,seal,finauth}'::text[]),
    checkbox_group smallint NOT NULL DEFAULT 1 CHECK (checkbox_group IN (1, 2)),
    sort_order     smallint NOT NULL DEFAULT 0,
    effective_at   timestamptz NOT NULL,
    PRIMARY KEY (code, version),
    CHECK (replaces IS NULL OR partner_code IS NOT NULL)
);

-- Agreements to show (and record) for a partner and business type: the
-- current version of each code, generic rows minus the ones the partner
-- replaces.
CREATE FUNCTION agreements_for(p_partner text, p_business text, p_at timestamptz DEFAULT now())
RETURNS TABLE (code text, version text, title text, checkbox_group smallint, sort_order smallint)
LANGUAGE sql STABLE AS $$
    WITH cur AS (
        SELECT DISTINCT ON (a.code) a.*
          FROM agreements a
         WHERE a.effective_at <= p_at
           AND (a.partner_code IS NULL OR a.partner_code = p_partner)
           AND (a.business_types IS NULL OR p_business = ANY (a.business_types))
         ORDER BY a.code, a.effective_at DESC
    )
    SELECT c.code, c.version, c.title, c.checkbox_group, c.sort_order
      FROM cur c
     WHERE c.code NOT IN (SELECT r.replaces FROM cur r WHERE r.replaces IS NOT NULL)
     ORDER BY c.checkbox_group, c.sort_order, c.code
$$;

CREATE TABLE agreement_acceptances (
    id                bigserial PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users(id),
    agreement_code    text NOT NULL,
    agreement_version text NOT NULL,
    partner_code      text NULL REFERENCES partners(code),
    accepted_at       timestamptz NOT NULL DEFAULT now(),
    ip                inet NULL,
    -- what the acceptance was for: 'flow:new', 'order:<id>', ...
    context           text NOT NULL CHECK (length(context) BETWEEN 1 AND 100),
    FOREIGN KEY (agreement_code, agreement_version) REFERENCES agreements(code, version)
);

CREATE INDEX agreement_acceptances_user_idx ON agreement_acceptances (user_id, accepted_at);

-- ---------------------------------------------------------------------------
-- Administrative divisions, GB/T 2260 (6 digits: 省 level 1, 市 level 2,
-- 区县 level 3) and the statistics bureau's 9-digit 乡镇/街道 codes (level 4).
-- Cities without counties (东莞, 中山, 儋州) have level-4 children directly.

CREATE TABLE divisions (
    code        text PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    parent_code text NULL REFERENCES divisions(code),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
    CHECK ((level < 4 AND code ~ '^[0-9]{6}$') OR (level = 4 AND code ~ '^[0-9]{9}$')),
    CHECK ((level = 1) = (parent_code IS NULL))
);

CREATE INDEX divisions_parent_idx ON divisions (parent_code);

-- ---------------------------------------------------------------------------
-- Banks and branches for the 基本户开户行 keyword search.

CREATE TABLE banks (
    id         serial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    short_name text NOT NULL,
    -- search keywords: 工商, 工行, ICBC ...
    aliases    text[] NOT NULL DEFAULT '{}'
);

CREATE INDEX banks_aliases_idx ON banks USING gin (aliases);

CREATE TABLE bank_branches (
    id      serial PRIMARY KEY,
    bank_id integer NOT NULL REFERENCES banks(id),
    name    text NOT NULL UNIQUE CHECK (length(name) BETWEEN 2 AND 100),
    city    text NOT NULL,
    -- 12-digit CNAPS (大额支付行号); NULL when unknown
    cnaps   text NULL CHECK (cnaps IS NULL OR cnaps ~ '^[0-9]{12}$'),
    active  boolean NOT NULL DEFAULT true
);

CREATE INDEX bank_branches_bank_idx ON bank_branches (bank_id);
CREATE INDEX bank_branches_name_trgm_idx ON bank_branches USING gin (name gin_trgm_ops);

-- Keyword search: every whitespace-separated term must match the branch
-- name, the bank name, or (case-insensitively, as a prefix) a bank alias,
-- so '工商' and 'icbc 福田' both find 中国工商银行深圳福田支行.
-- LIKE metacharacters in the input are matched literally.
CREATE FUNCTION bank_branch_search(p_query text, p_limit integer DEFAULT 20)
RETURNS TABLE (branch_id integer, branch_name text, bank_id integer, bank_name text,
               city text, cnaps text)
LANGUAGE sql STABLE AS $$
    WITH terms AS (
        SELECT t, replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') AS esc
          FROM regexp_split_to_table(btrim(coalesce(p_query, '')), '\s+') AS t
         WHERE t <> ''
         LIMIT 5
    )
    SELECT br.id, br.name, b.id, b.name, br.city, br.cnaps
      FROM bank_branches br
      JOIN banks b ON b.id = br.bank_id
     WHERE br.active
       AND EXISTS (SELECT 1 FROM terms)
       AND NOT EXISTS (
           SELECT 1 FROM terms
            WHERE NOT (br.name ILIKE '%' || terms.esc || '%'
                    OR b.name ILIKE '%' || terms.esc || '%'
                    OR EXISTS (SELECT 1 FROM unnest(b.aliases) AS al
                                WHERE al ILIKE terms.esc || '%')))
     ORDER BY similarity(br.name, btrim(p_query)) DESC, br.name
     LIMIT least(greatest(coalesce(p_limit, 20), 1), 50)
$$;

-- ---------------------------------------------------------------------------
-- Public holidays and 调休 working days (State Council notices).  A day
-- without a row is a working day when it is Monday to Friday.

CREATE TABLE holidays (
    day        date PRIMARY KEY,
    is_workday boolean NOT NULL,
    name       text NOT NULL
);

CREATE FUNCTION is_workday(p_day date)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT h.is_workday FROM holidays h WHERE h.day = p_day),
                    extract(isodow FROM p_day) < 6)
$$;

-- The date n working days after p_day (p_day itself not counted); n = 0
-- gives p_day.  SLA deadline of an order submitted on day d with an SLA of
-- k working days: add_workdays(d, k).
CREATE FUNCTION add_workdays(p_day date, n integer)
RETURNS date LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN n <= 0 THEN p_day ELSE (
        SELECT d::date
          FROM generate_series(p_day + 1, p_day + 10 + n * 3, interval '1 day') AS g(d)
         WHERE is_workday(d::date)
         ORDER BY d
        OFFSET n - 1 LIMIT 1)
    END
$$;

-- Working days in (p_from, p_to]: how many working days a review took.
CREATE FUNCTION workdays_between(p_from date, p_to date)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_to <= p_from THEN 0 ELSE (
        SELECT count(*)::integer
          FROM generate_series(p_from + 1, p_to, interval '1 day') AS g(d)
         WHERE is_workday(d::date))
    END
$$;
