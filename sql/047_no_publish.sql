-- 047_no_publish: the agreement's clause 3 (seeds 001/002: 用户如不同意SZCA
-- 发布数字证书至OCSP等信息库的，应在申请时提出): the applicant may say so on
-- the agreements page.  The choice is recorded with each acceptance of that
-- page, and an order takes the choice of its applicant's latest acceptance
-- for its flow when it is created (the agreements come first), so the
-- reviewer sees it and the certificate it produces is not listed by name:
-- the public lookup answers its status by serial without the holder's name,
-- and OCSP and the CRL answer for it as for any other (relying parties
-- need them).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE agreement_acceptances ADD COLUMN no_publish boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN no_publish boolean NOT NULL DEFAULT false;

CREATE FUNCTION orders_no_publish() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.no_publish := coalesce((SELECT a.no_publish FROM agreement_acceptances a
                                 WHERE a.user_id = NEW.user_id
                                   AND a.context = 'flow:' || NEW.business_type
                                 ORDER BY a.accepted_at DESC, a.id DESC LIMIT 1), false);
    RETURN NEW;
END
$$;

CREATE TRIGGER orders_no_publish BEFORE INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_no_publish();
