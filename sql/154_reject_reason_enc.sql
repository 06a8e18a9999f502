-- 154_reject_reason_enc: a reviewer's rejection reason encrypted at rest
-- (issue 63 §6, docs/internals/crypto.md).
--
-- A reason may quote an ID number, a bank account or a phone ("身份证号
-- 440301… 与证件不符").  It was kept in clear in orders.reject_reason, in the
-- audit row of the move (audit_log.detail) and in the partner's
-- order.rejected event (partner_events.data); only the copy sent to the
-- partner was masked.  Now the reason lives in reject_reason_enc,
-- AES-256-GCM under the PII key (hall_pii_encrypt, core/biz/order.c
-- hall_order_rejected), shown decrypted to the applicant and the staff;
-- reject_reason keeps it with every run of digits masked
-- (hall_partner_mask_digits), which is what the partner's event and API
-- read; the audit row gets the masked text.  The database has no key: the
-- reasons written before are encrypted and masked, with their events, by
-- hall-pkitool partner-secrets at every start (hall_order_reasons_seal).
-- Audit rows already written stay as they are: they are append-only and
-- hash-chained (sql/077), a rewrite would break the chain.
--
-- Also here: 湖南's guide names the collection form as every page does,
-- 电子签章采集表 (seed 001's name of it, issue 63 §6).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE orders ADD COLUMN reject_reason_enc bytea NULL;

UPDATE partners SET guide_body = replace(guide_body, '数字证书印章采集表', '电子签章采集表')
 WHERE guide_body LIKE '%数字证书印章采集表%';
