-- A new outbox row wakes hall-outbox (LISTEN outbox) when its transaction
-- commits.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', NEW.kind);
    RETURN NEW;
END $$;
