-- 142_outbox_probe: when a lane's provider is back.  While every job of a
-- lane waits out its backoff (up to 300 s after an outage), one worker of
-- the lane tries one of them every outbox_probe_s seconds; the try counts
-- no attempt when it fails, and when it succeeds lane_release lets the
-- others go (tools/outbox: the probe).  The row of a lane is the probe's
-- clock and its lock: the worker probing holds it (SKIP LOCKED for the
-- other) until its transaction ends.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE outbox_lanes (
    lane      text PRIMARY KEY,
    probed_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO outbox_lanes (lane) VALUES ('sms'), ('bank'), ('pay'), ('other');
