-- 008_partner_links.sql: signed redirect links from partner platforms.
--
-- A partner (Hunan) sends its user in with the certificate type and the
-- unit or person data, signed with HMAC-SHA256 under partners.link_secret
-- over the sorted parameters, a timestamp and a nonce (docs/partners.md).
-- A verified link becomes a ticket: the pre-filled data, encrypted (it can
-- hold an ID number and a phone), claimed by the first applicant who logs
-- in with it.  The nonce is unique per partner, so a link works once.

CREATE TABLE partner_links (
    id          bigserial PRIMARY KEY,
    partner_code text NOT NULL REFERENCES partners(code),
    nonce       text NOT NULL CHECK (length(nonce) BETWEEN 8 AND 64),
    ticket_hash bytea NOT NULL UNIQUE,
    prefill_enc bytea NOT NULL,
    claimed_by  bigint NULL REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (partner_code, nonce)
);
