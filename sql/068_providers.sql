-- 068_providers: the accounts the hall holds with outside providers, and
-- which partner uses which (issue 25: going live is configuration).
--
-- * provider_accounts: one row per account.  service 'sms' or 'courier';
--   driver the protocol spoken (core/biz/smsdrv.c, core/biz/courier.c);
--   endpoint the provider's base URL, NULL for the hall's sandbox_url (the
--   sandbox speaks every driver's protocol); account_id the provider's id
--   of the account (Alibaba Cloud AccessKeyId, SF 顾客编码 ...); secret_file
--   the file under provider_key_dir holding its secret (AccessKey secret,
--   SF checkWord): never the secret itself; settings what else the driver
--   needs (SMS: "sign", "templates" {kind: approved TemplateCode}; courier:
--   monthly card, sender).  The default account of a service is the row
--   named as the service ('sms') or, for couriers, as the carrier's code.
-- * partners.sms_account / sms_sign: a partner's own SMS account and
--   signature name (NULL: the default account, and its settings' "sign").
-- * partner_couriers: a partner's own account with a carrier.
--
-- The rows below are the sandbox's: script/server and script/test write the
-- matching secret files (script/lib/common.sh).  docs/operations.md, "SMS
-- and courier accounts", says what an operator changes to go live.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE provider_accounts (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
    service     text NOT NULL CHECK (service IN ('sms', 'courier')),
    driver      text NOT NULL CHECK (driver ~ '^[a-z0-9-]{1,32}$'),
    endpoint    text NULL CHECK (endpoint ~ '^https?://[^[:space:]/?#]+(/[^[:space:]?#]*)?$'),
    account_id  text NOT NULL CHECK (length(account_id) BETWEEN 1 AND 128),
    secret_file text NOT NULL CHECK (secret_file ~ '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$'),
    settings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object')
);

ALTER TABLE partners
    ADD COLUMN sms_account text NULL REFERENCES provider_accounts (name),
    ADD COLUMN sms_sign text NULL CHECK (sms_sign ~ '^[^【】[:space:]]{2,12}$');

CREATE TABLE partner_couriers (
    partner_code text NOT NULL REFERENCES partners (code),
    carrier      text NOT NULL CHECK (carrier IN ('SF', 'JD', 'EMS')),
    account      text NOT NULL REFERENCES provider_accounts (name),
    PRIMARY KEY (partner_code, carrier)
);

-- the sandbox's SMS account (Alibaba Cloud's protocol): the seeds' 【深圳CA】
INSERT INTO provider_accounts (name, service, driver, account_id, secret_file, settings)
VALUES ('sms', 'sms', 'aliyun', 'LTAI5tHallSandbox', 'aliyun-sms.secret', '{"sign": "深圳CA"}');

-- SendSms has no idempotency key: before each call for an outbox job of
-- kind 'sms' the worker counts the call here on a connection of its own, so
-- the count survives a worker killed mid-call (the job's own transaction
-- rolls back); a job called before asks the provider first whether its SMS
-- went out (QuerySendDetails by OutId).  No foreign key: the job's row is
-- locked FOR UPDATE while this is written.  Deleted with the job's success.
CREATE TABLE outbox_sms_tries (
    outbox_id bigint PRIMARY KEY,
    tries     integer NOT NULL
);
