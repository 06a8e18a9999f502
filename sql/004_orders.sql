-- 004_orders.sql: applications (业务单) of every business flow, their
-- revisions and uploaded materials.
--
-- The status column moves only along the transitions of core/order.c
-- (hall_order_move), which writes the audit row in the same transaction.
-- Everything the applicant types is kept in form_enc: one JSON document,
-- encrypted with the PII key (AES-256-GCM), because it holds ID numbers,
-- phones and bank accounts.  Only what lists and reports need is kept in
-- clear: subject (机构名称, or the applicant's name for natural persons),
-- amounts, dates, status.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE SEQUENCE order_no_seq;

CREATE TABLE orders (
    id              bigserial PRIMARY KEY,
    -- 申请单号 shown to users: business letter + date + sequence
    order_no        text NOT NULL UNIQUE,
    user_id         bigint NOT NULL REFERENCES users(id),
    partner_code    text NOT NULL REFERENCES partners(code),
    project_id      text NULL,
    business_type   text NOT NULL CHECK (business_type IN ('new', 'reissue', 'seal', 'finauth')),
    product_id      integer NOT NULL REFERENCES products(id),
    cert_type       text NOT NULL CHECK (cert_type IN ('org', 'org_person', 'person', 'org_business')),
    years           smallint NOT NULL CHECK (years BETWEEN 1 AND 5),
    seal            boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'draft',
    -- the furthest step of the flow the applicant has completed
    step            text NOT NULL DEFAULT 'choose',
    subject         text NOT NULL DEFAULT '' CHECK (length(subject) <= 100),
    cert_fen        integer NOT NULL CHECK (cert_fen >= 0),
    shipping_fen    integer NOT NULL DEFAULT 0 CHECK (shipping_fen >= 0),
    amount_fen      integer GENERATED ALWAYS AS (cert_fen + shipping_fen) STORED,
    form_enc        bytea NULL,
    form_rev        integer NOT NULL DEFAULT 0,
    printed_at      timestamptz NULL,
    submitted_at    timestamptz NULL,
    review_due      date NULL,
    reject_reason   text NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_status_idx ON orders (status, review_due);

-- Every saved version of the form: a rejected order that is edited and
-- resubmitted keeps what it said before, so the reviewer sees the change.
CREATE TABLE order_revisions (
    order_id    bigint NOT NULL REFERENCES orders(id),
    rev         integer NOT NULL,
    form_enc    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, rev)
);

-- Uploaded materials: the file lives outside the web root under a random
-- name; kind is the material (申请表扫描件 ...), mime decided by content.
CREATE TABLE order_files (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id),
    kind        text NOT NULL CHECK (kind ~ '^[a-z_]{1,32}$'),
    stored_name text NOT NULL UNIQUE CHECK (stored_name ~ '^[A-Za-z0-9_-]{20,64}$'),
    mime        text NOT NULL,
    size        integer NOT NULL CHECK (size BETWEEN 1 AND 2097152),
    sha256      bytea NOT NULL,
    replaced_at timestamptz NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX order_files_order_idx ON order_files (order_id, kind) WHERE replaced_at IS NULL;
