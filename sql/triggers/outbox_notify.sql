-- hall-outbox woken by a new outbox row: sql/functions/outbox_notify.sql
CREATE OR REPLACE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_notify();
