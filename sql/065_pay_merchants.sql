-- 065_pay_merchants.sql: the merchant accounts the hall collects into, one
-- per payment channel and partner, each spoken to by its driver
-- (core/biz/payment.c): 'wechatpay_v3' (WeChat Pay API v3) or 'alipay'
-- (Alipay OpenAPI, RSA2).  A partner without a row of its own collects into
-- the hall's (partner_code NULL), as its transfer payee may differ.
--
-- Nothing secret here: the keys are files under pay_key_dir, in the folder
-- "<channel>-<merchant_id>" (docs/operations.md, "Taking real money"):
--   wechat: apiclient_key.pem, apiclient_cert.pem (its serial is serial_no),
--           apiv3.key (the 32-byte APIv3 key), wechatpay_pub.pem (WeChat Pay's
--           public key, whose ID is platform_key_id)
--   alipay: app_private_key.pem, alipay_public_key.pem
-- gateway_url NULL: the sandbox (sandbox_url + /wxpay or /alipay/gateway.do).
--
-- payments.merchant_ref: the account a trade was opened with; its close,
-- query and refund go to the same account.  payments.pay_mode: how it was
-- opened (native: QR code, h5: a phone's browser, page / wap: Alipay's).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE pay_merchants (
    id              serial PRIMARY KEY,
    partner_code    text NULL REFERENCES partners(code),
    channel         text NOT NULL CHECK (channel IN ('wechat', 'alipay')),
    driver          text NOT NULL CHECK (driver IN ('wechatpay_v3', 'alipay')),
    -- WeChat: mchid; Alipay: app_id
    merchant_id     text NOT NULL CHECK (merchant_id ~ '^[0-9A-Za-z_]{1,32}$'),
    -- WeChat: the appid bound to the mchid; NULL for Alipay
    app_id          text NULL CHECK (app_id ~ '^[0-9A-Za-z_]{1,32}$'),
    -- WeChat: the ID of WeChat Pay's public key (Wechatpay-Serial of its answers)
    platform_key_id text NULL CHECK (platform_key_id ~ '^[0-9A-Za-z_]{1,64}$'),
    gateway_url     text NULL CHECK (gateway_url ~ '^https?://[^\s"<>]{1,200}$'),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((channel = 'wechat') = (driver = 'wechatpay_v3')),
    CHECK (channel <> 'wechat' OR (app_id IS NOT NULL AND platform_key_id IS NOT NULL))
);

-- one account per channel and partner (and one of the hall's own)
CREATE UNIQUE INDEX pay_merchants_partner_uq
    ON pay_merchants (coalesce(partner_code, ''), channel) WHERE active;

-- the sandbox's accounts (script/lib/paykeys.sh makes their keys)
INSERT INTO pay_merchants (partner_code, channel, driver, merchant_id, app_id, platform_key_id)
VALUES (NULL, 'wechat', 'wechatpay_v3', '1900000001', 'wx8888888888888888',
        'PUB_KEY_ID_0119000000012026000000000001'),
       (NULL, 'alipay', 'alipay', '2021000000000001', NULL, NULL);

ALTER TABLE payments
    ADD COLUMN merchant_ref integer NULL REFERENCES pay_merchants(id),
    ADD COLUMN pay_mode text NULL CHECK (pay_mode IN ('native', 'h5', 'page', 'wap')),
    DROP CONSTRAINT payments_pay_url_check,
    ADD CONSTRAINT payments_pay_url_check CHECK (length(pay_url) <= 8192),
    DROP CONSTRAINT payments_callback_raw_check,
    ADD CONSTRAINT payments_callback_raw_check CHECK (length(callback_raw) <= 8192);

-- the workers keep the accounts as reference rows (hall_db_ref, sql/032):
-- a change reaches every worker before its next payment
CREATE TRIGGER pay_merchants_ref AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pay_merchants
    FOR EACH STATEMENT EXECUTE FUNCTION ref_changed();

COMMENT ON TABLE pay_merchants IS 'Merchant accounts at WeChat Pay / Alipay, per partner (NULL: the hall''s)';
