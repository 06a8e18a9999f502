-- 156_service_certs: the hall's own service certificates in the register
-- (issue 63 §9): the 验签报告's signer (hall-pkitool report,
-- tools/pkitool/pkitool_report.c) has a row in certificates as every
-- certificate the CA signs, so that revoking it (the staff's four-eyes
-- 吊销, hall_revoke_cert) lists it in the ecc CA's CRL and the OCSP
-- responder answers 'revoked' for it.
--
-- certificates.kind
--   order    a customer's certificate, or a seal's: order_id names its order
--   service  the hall's own (the 验签报告's signer): no order
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE certificates ADD COLUMN kind text NOT NULL DEFAULT 'order'
    CHECK (kind IN ('order', 'service'));
ALTER TABLE certificates ALTER COLUMN order_id DROP NOT NULL;
-- an order's certificate names its order, a service certificate none
ALTER TABLE certificates ADD CONSTRAINT certificates_kind_order
    CHECK ((kind = 'order') = (order_id IS NOT NULL));
