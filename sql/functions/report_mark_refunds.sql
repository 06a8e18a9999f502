-- AFTER a refund's INSERT, DELETE or change of what the report counts: its
-- days dirty for the roll-up (report_mark).
CREATE OR REPLACE FUNCTION report_mark_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark('money',
                        CASE WHEN TG_OP <> 'INSERT' THEN coalesce(OLD.done_at, OLD.decided_at, OLD.created_at) END,
                        CASE WHEN TG_OP <> 'DELETE' THEN coalesce(NEW.done_at, NEW.decided_at, NEW.created_at) END);
    RETURN NULL;
END
$$;
