-- 135_partner_hooks: status webhooks to partner platforms (issue 55,
-- docs/partners.md "Status webhooks").
--
-- A partner that wants to hear what becomes of its users' orders has, as
-- data: the URL the hall POSTs to, the events it wants, the secret of the
-- HMAC-SHA256 in the headers, and whether the agent's name and phone go in
-- clear (its contract) or masked (the default).
--
-- Each event is a row of partner_events, written by the triggers of
-- sql/triggers/*_partner*.sql in the transaction of the change itself
-- (sql/functions/partner_event_add.sql), with its outbox job (kind
-- partner_hook, key partner-event-ID): hall-outbox delivers it in the
-- partner's own lane (tools/outbox/partner_lane.c), the events of one order
-- in the order they happened, on the schedule of partner_hook_delays.  The
-- id is the event's stable id: the partner drops a duplicate by it.  body
-- is what was sent, byte for byte, fixed at the first try (every retry and
-- a replay from the staff console sends the same body).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE partners
    ADD COLUMN hook_url text NULL
        CHECK (hook_url IS NULL OR (length(hook_url) <= 500 AND hook_url ~ '^https?://[^[:space:]]+$')),
    ADD COLUMN hook_events text[] NOT NULL DEFAULT '{}'
        CHECK (hook_events <@ ARRAY['order.submitted', 'order.rejected', 'order.approved',
                                    'order.paid', 'cert.issued', 'order.shipped',
                                    'cert.revoked', 'seal.made']::text[]),
    ADD COLUMN hook_secret text NULL CHECK (hook_secret IS NULL OR length(hook_secret) >= 16),
    ADD COLUMN hook_clear_agent boolean NOT NULL DEFAULT false,
    ADD CHECK (hook_url IS NULL OR hook_secret IS NOT NULL);

COMMENT ON COLUMN partners.hook_url IS 'status webhooks: where the hall POSTs each event (NULL: none)';
COMMENT ON COLUMN partners.hook_events IS 'status webhooks: the events the partner wants';
COMMENT ON COLUMN partners.hook_secret IS 'status webhooks: the HMAC-SHA256 key of X-Hall-Signature';
COMMENT ON COLUMN partners.hook_clear_agent IS 'status webhooks: the agent''s name and phone in clear (contract), else masked';

CREATE TABLE partner_events (
    id           bigserial PRIMARY KEY,
    partner_code text NOT NULL REFERENCES partners(code),
    order_id     bigint NOT NULL REFERENCES orders(id),
    event        text NOT NULL CHECK (event IN ('order.submitted', 'order.rejected',
                     'order.approved', 'order.paid', 'cert.issued', 'order.shipped',
                     'cert.revoked', 'seal.made')),
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- what the event says beyond the order (reason, serial and validity, waybill ...)
    data         jsonb NOT NULL DEFAULT '{}',
    outbox_id    bigint NOT NULL UNIQUE REFERENCES outbox(id),
    body         text NULL CHECK (length(body) <= 16384),
    delivered_at timestamptz NULL
);

CREATE INDEX partner_events_order ON partner_events (partner_code, order_id, id);

COMMENT ON TABLE partner_events IS
    'status webhooks to partners: one row per event, delivered by the outbox job partner_hook';

-- The published retry schedule (docs/partners.md): the wait after the
-- n-th failed try; after the last try the job is dead (14 tries over
-- 10 h 38 min 45 s).
CREATE TABLE partner_hook_delays (
    attempt  integer PRIMARY KEY CHECK (attempt BETWEEN 1 AND 13),
    delay_s  integer NOT NULL CHECK (delay_s > 0)
);
INSERT INTO partner_hook_delays (attempt, delay_s) VALUES
    (1, 15), (2, 30), (3, 60), (4, 120), (5, 300), (6, 600), (7, 1200), (8, 1800),
    (9, 1800), (10, 3600), (11, 3600), (12, 7200), (13, 18000);

COMMENT ON TABLE partner_hook_delays IS
    'status webhooks: the wait after each failed try; a 14th failure is dead';
