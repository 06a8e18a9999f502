-- The partners' shared secrets are kept encrypted under the PII key
-- (sql/140_partner_secrets_enc.sql; written by core/biz/partner_secret.c for
-- hall-pkitool partner-secret / partner-key): a clear value is refused in
-- the columns that held them before (TG_ARGV: their names), where it would
-- reach the cluster's files, its WAL and every dump.  A value an older hall
-- left there passes unchanged (another column of its row may change) until
-- hall-pkitool partner-secrets moves it at the next start.
CREATE OR REPLACE FUNCTION partner_secret_clear_refused() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text;
    v text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        v := to_jsonb(NEW) ->> col;
        IF v IS NOT NULL AND (TG_OP = 'INSERT' OR v IS DISTINCT FROM (to_jsonb(OLD) ->> col)) THEN
            RAISE EXCEPTION '%.% is not kept in clear: set the secret with hall-pkitool (partner-secret CODE link|hook, partner-key CODE KEY_ID), which encrypts it',
                TG_TABLE_NAME, col USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NEW;
END $$;
