-- 122_outbox_backoff: whether a pending job waits out the outbox's own
-- backoff after failed attempts (true) or a provider's stated limit
-- (false: job_retry_after).  A job delivered on a lane ends the backoff of
-- that lane's waiting jobs (tools/outbox: lane_release): a provider that
-- answers again answers them all, and a login code held during an outage
-- goes at once instead of up to 300 s later.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE outbox ADD COLUMN backoff boolean NOT NULL DEFAULT false;
