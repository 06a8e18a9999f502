-- 056_cert_reminders: the expiry reminders by SMS, 30 and 7 days before a
-- certificate's notAfter (issue 24).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- The expiry reminders sent (core/biz/reminder.c): one row per certificate
-- and reminder (30 and 7 days before notAfter by default), inserted in the
-- transaction that queues its SMS.  The primary key is what makes each
-- reminder go once, however many outbox workers run the tick at once: a
-- second insert of the same row waits for the first and then does nothing.
CREATE TABLE cert_reminders (
    serial  text NOT NULL REFERENCES certificates(serial),
    days    smallint NOT NULL CHECK (days BETWEEN 1 AND 365),
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (serial, days)
);

-- The reminders' scan: the live certificates by their end.
CREATE INDEX certificates_live_not_after ON certificates (not_after) WHERE state = 'issued';
