-- AFTER a payment's INSERT, DELETE or change of what the report counts: its
-- days dirty for the roll-up (report_mark).
CREATE OR REPLACE FUNCTION report_mark_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark('money',
                        CASE WHEN TG_OP <> 'INSERT' THEN OLD.paid_at END,
                        CASE WHEN TG_OP <> 'DELETE' THEN NEW.paid_at END);
    RETURN NULL;
END
$$;
