-- 070_sms_tencent: a second SMS account, Tencent Cloud SMS (driver
-- 'tencent', core/biz/smsdrv.c), the sandbox's: account_id the SecretId,
-- secret_file its SecretKey; settings: sign, sdk_app_id (SmsSdkAppId),
-- region, templates ({kind: TemplateId}; a kind missing: the digits of the
-- sandbox's code).  No partner uses it until partners.sms_account names it.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO provider_accounts (name, service, driver, account_id, secret_file, settings)
VALUES ('sms-tencent', 'sms', 'tencent', 'AKIDHallSandbox', 'tencent-sms.secret',
        '{"sign": "深圳CA", "sdk_app_id": "1400000000", "region": "ap-guangzhou"}');
