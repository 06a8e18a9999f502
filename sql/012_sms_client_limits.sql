-- How many SMS codes each client asked for, per clock hour (issue 7, item
-- 14): one row per key and hour, counted by core/sms.c in the transaction
-- that queues the SMS, so several hall hosts share one count.
--   key: 'ip:<client address>' (as audit_log.ip keeps it) or
--        'session:<hex SHA-256 of the visitor's hall_sid or hall_pre cookie>'
CREATE TABLE sms_send_counts (
    key             text NOT NULL CHECK (length(key) <= 100),
    hour            timestamptz NOT NULL,
    n               integer NOT NULL CHECK (n > 0),
    PRIMARY KEY (key, hour)
);
CREATE INDEX sms_send_counts_hour ON sms_send_counts (hour);
