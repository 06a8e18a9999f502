-- 签署 (issue 73, first slice; docs/modules/contract.md): a contract that
-- several companies and people sign in turn, each with its own key.
--   sign_flows           one flow: its initiator, order, deadline, state
--   sign_flow_revisions  the document at each revision: revision 1 the
--                        initiator's upload, each later one a party's
--                        signature appended to the one before (the
--                        object store's key, its SHA-256 and size)
--   sign_flow_parties    who signs, in which order, its 签署区, its state
--   sign_flow_events     what happened, when (created, notified, signed,
--                        refused, withdrawn, completed)
-- A party's mobile and ID number are personal data: encrypted at rest
-- (hall_pii_encrypt) with a blind index for the mobile (hall_pii_index
-- "phone", as users.phone_idx), so that a logged-in user finds the flows
-- waiting for the number it logged in with.
CREATE TABLE sign_flows (
    id            bigserial PRIMARY KEY,
    initiator_id  bigint NOT NULL REFERENCES users(id),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    message       text NOT NULL DEFAULT '' CHECK (length(message) <= 500),
    ordering      text NOT NULL CHECK (ordering IN ('sequential', 'parallel')),
    deadline      date NOT NULL,
    state         text NOT NULL DEFAULT 'signing'
                  CHECK (state IN ('signing', 'completed', 'refused', 'withdrawn', 'expired')),
    revision      integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CHECK ((state = 'signing') = (finished_at IS NULL))
);
CREATE INDEX sign_flows_initiator ON sign_flows (initiator_id, id DESC);

CREATE TABLE sign_flow_revisions (
    flow_id     bigint NOT NULL REFERENCES sign_flows(id),
    revision    integer NOT NULL CHECK (revision >= 1),
    object_key  text NOT NULL,
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    size        bigint NOT NULL CHECK (size > 0),
    party_id    bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (flow_id, revision)
);

CREATE TABLE sign_flow_parties (
    id           bigserial PRIMARY KEY,
    flow_id      bigint NOT NULL REFERENCES sign_flows(id),
    position     integer NOT NULL CHECK (position BETWEEN 1 AND 20),
    kind         text NOT NULL CHECK (kind IN ('org', 'person')),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    uscc         text NOT NULL DEFAULT '',
    mobile_enc   bytea NOT NULL,
    mobile_idx   bytea NOT NULL,
    ric_enc      bytea,
    page         integer NOT NULL DEFAULT 1 CHECK (page >= 1),
    x_mm         numeric(6, 1) NOT NULL DEFAULT 150,
    y_mm         numeric(6, 1) NOT NULL DEFAULT 240,
    state        text NOT NULL DEFAULT 'waiting'
                 CHECK (state IN ('waiting', 'notified', 'signed', 'refused')),
    notified_at  timestamptz,
    signed_at    timestamptz,
    cert_serial  text,
    reason       text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    UNIQUE (flow_id, position),
    CHECK (kind = 'person' OR uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    CHECK ((state = 'signed') = (signed_at IS NOT NULL AND cert_serial IS NOT NULL))
);
CREATE INDEX sign_flow_parties_mobile ON sign_flow_parties (mobile_idx);
ALTER TABLE sign_flow_revisions ADD FOREIGN KEY (party_id) REFERENCES sign_flow_parties(id);

CREATE TABLE sign_flow_events (
    id        bigserial PRIMARY KEY,
    flow_id   bigint NOT NULL REFERENCES sign_flows(id),
    party_id  bigint REFERENCES sign_flow_parties(id),
    kind      text NOT NULL
              CHECK (kind IN ('created', 'notified', 'signed', 'refused', 'withdrawn', 'completed')),
    detail    text NOT NULL DEFAULT '',
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_flow_events_flow ON sign_flow_events (flow_id, id);
