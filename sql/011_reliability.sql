-- Reliability (issue 7): the PII key a database belongs to, and replaced
-- uploads that are deleted from disk.

-- The fingerprint of the PII key the data was written with: SHA-256 of
-- "hall-pii-key-v1:" and the key file's 128 hex characters (never the key).
-- Recorded by the first program that connects; every module, hall-outbox
-- and script/server refuse to start with a key file that does not match.
CREATE TABLE hall_keys (
    id              integer PRIMARY KEY CHECK (id = 1),
    pii_fingerprint text NOT NULL CHECK (pii_fingerprint ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A replaced upload's file is deleted after the commit that replaced it;
-- the row stays (who uploaded what, when) with the time of the deletion.
ALTER TABLE order_files ADD COLUMN removed_at timestamptz NULL;
-- all the files of an order, replaced ones included: the staff's materials
-- list (modules/admin order_files).  It served the daily upload cap until
-- sql/031 made the cap read user_daily (the database says so: sql/095).
CREATE INDEX order_files_created ON order_files (order_id, created_at);
