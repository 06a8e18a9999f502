-- 069_courier_accounts: the carriers' accounts (provider_accounts, sql/068),
-- one per carrier, named by its code; the sandbox's.
--
-- * sf: SF Express open platform (丰桥), driver 'sf' (core/biz/courier.c):
--   account_id the 顾客编码 (partnerID), secret_file its checkWord;
--   settings: monthly_card (月结卡号, charged for 寄付), express_type_id (2:
--   顺丰标快), sender (the CA's sending address, contactType 1).
-- * jd, ems: 京东快递 and EMS, driver 'sandbox': the sandbox's JSON, no real
--   protocol yet (docs/operations.md, "SMS and courier accounts").
-- Every carrier's route push is verified with the account's secret.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

INSERT INTO provider_accounts (name, service, driver, account_id, secret_file, settings) VALUES
    ('sf', 'courier', 'sf', 'HALLSFSANDBOX', 'sf.checkword',
     '{"monthly_card": "7551234567", "express_type_id": "2",
       "sender": {"company": "深圳CA", "contact": "证书寄送组", "tel": "400-112-3838",
                  "province": "广东省", "city": "深圳市", "county": "福田区",
                  "address": "沙箱寄件地址（上线前改为本CA的寄件地址）"}}'),
    ('jd', 'courier', 'sandbox', 'HALLJDSANDBOX', 'jd.secret', '{}'),
    ('ems', 'courier', 'sandbox', 'HALLEMSSANDBOX', 'ems.secret', '{}');
