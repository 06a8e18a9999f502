-- The orders row's rules in one CHECK (orders_row_check): what each
-- constraint checked, IS NOT FALSE as a CHECK reads NULL.  A submit key and
-- a waybill number are measured by length() and matched against their
-- class without bounds: PostgreSQL's regex engine expands a bounded repeat
-- ({16,64}) into as many states, four times as slow.  One CHECK calling a
-- PL/pgSQL function: PostgreSQL reads each CHECK of a table again at every
-- statement that writes it, PL/pgSQL parses this body once per session.
CREATE OR REPLACE FUNCTION orders_row_ok(p_business text, p_cert_type text, p_years smallint,
                                         p_cert_fen integer, p_shipping_fen integer,
                                         p_subject text, p_gift text, p_reissue_of text,
                                         p_submit_key text, p_waybill_no text, p_carrier text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (p_business IN ('new', 'reissue', 'seal', 'finauth', 'renew', 'change', 'unlock'))
               IS NOT FALSE
       AND (p_cert_type IN ('org', 'org_person', 'person', 'org_business')) IS NOT FALSE
       AND (p_years BETWEEN 1 AND 5) IS NOT FALSE
       AND (p_cert_fen >= 0) IS NOT FALSE
       AND (p_shipping_fen >= 0) IS NOT FALSE
       AND (length(p_subject) <= 100) IS NOT FALSE
       AND (length(p_gift) BETWEEN 1 AND 100) IS NOT FALSE
       AND (p_reissue_of IS NULL OR p_business IN ('reissue', 'renew', 'change', 'unlock'))
               IS NOT FALSE
       AND (length(p_submit_key) BETWEEN 16 AND 64 AND p_submit_key ~ '^[A-Za-z0-9_-]+$')
               IS NOT FALSE
       AND (length(p_waybill_no) BETWEEN 4 AND 32 AND p_waybill_no ~ '^[A-Za-z0-9]+$')
               IS NOT FALSE
       AND (length(p_carrier) <= 40) IS NOT FALSE;
END $$;
