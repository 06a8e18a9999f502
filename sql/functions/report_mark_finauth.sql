-- AFTER a micro-deposit verification's INSERT, DELETE or change of what the
-- report counts: its days dirty for the roll-up (report_mark).
CREATE OR REPLACE FUNCTION report_mark_finauth() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark('finauth',
                        CASE WHEN TG_OP <> 'INSERT' THEN OLD.created_at END,
                        CASE WHEN TG_OP <> 'DELETE' THEN NEW.created_at END);
    RETURN NULL;
END
$$;
