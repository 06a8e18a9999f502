-- AFTER an order's INSERT (of one the roll-up must hear of), DELETE or
-- change: the days of its creation and, when the review's figures change,
-- of its decision dirty for the roll-up (report_mark).
CREATE OR REPLACE FUNCTION report_mark_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM report_mark('orders', NULL, NEW.created_at);
        PERFORM report_mark('review', NULL, NEW.decided_at);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM report_mark('orders', OLD.created_at, NULL);
        PERFORM report_mark('review', OLD.decided_at, NULL);
    ELSE
        PERFORM report_mark('orders', OLD.created_at, NEW.created_at);
        IF (OLD.decided_at, OLD.submitted_at, OLD.review_due, OLD.partner_code, OLD.business_type)
           IS DISTINCT FROM
           (NEW.decided_at, NEW.submitted_at, NEW.review_due, NEW.partner_code, NEW.business_type) THEN
            PERFORM report_mark('review', OLD.decided_at, NEW.decided_at);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
