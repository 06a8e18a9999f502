-- AFTER a certificate's INSERT, DELETE or change of what the report counts:
-- its days dirty for the roll-up (report_mark).
CREATE OR REPLACE FUNCTION report_mark_certs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM report_mark('certs', OLD.issued_at, OLD.revoked_at);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM report_mark('certs', NEW.issued_at, NEW.revoked_at);
    END IF;
    RETURN NULL;
END
$$;
