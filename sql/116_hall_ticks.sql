-- 116_hall_ticks: periodic work that must run once per period whatever the
-- number of hosts running hall-outbox (issue 43: the object store's sweep
-- of objects without a row, tools/outbox/hall_outbox.c objstore_tick).
--
-- One row per kind of work.  A worker that finds its period over claims
-- the run with one upsert that moves last_at only when the period has
-- passed since the last claim (tick_claim in core/store/db.c): of the
-- workers of every host that try at once, one gets the row back and runs
-- the work; the others get nothing and wait for the next period.  No lock
-- is held while the work runs (an S3 listing may take minutes).
--   name:    the work ('objstore_sweep')
--   last_at: when its last run was claimed
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE hall_ticks (
    name    text PRIMARY KEY CHECK (name ~ '^[a-z_]{1,32}$'),
    last_at timestamptz NOT NULL
);

COMMENT ON TABLE hall_ticks IS
    'periodic work run once per period across hosts: the last claim of each (hall-outbox)';
