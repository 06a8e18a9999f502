-- One row per certificate signed (issued, or revoked since): its order,
-- partner, business and dates.
CREATE OR REPLACE VIEW report_certificates AS
    SELECT c.order_id, o.partner_code, o.business_type,
           c.issued_at, c.revoked_at, c.not_after
      FROM certificates c JOIN orders o ON o.id = c.order_id
     WHERE c.state IN ('issued', 'revoked');

COMMENT ON VIEW report_certificates IS 'certificates signed, from the certificates table (017)';
