-- 112_alipay_seller_id.sql: the seller of an Alipay account.
--
-- Alipay's asynchronous notification (异步通知) is to be checked for its
-- out_trade_no, total_amount, seller_id and app_id before it is believed
-- (docs/operations.md, "The providers' rules").  The app_id names the
-- account (merchant_id); seller_id is the merchant's own Alipay user id
-- (PID, 2088 and 12 digits), shown in the Alipay merchant console.  An
-- Alipay account without it has its notifications refused (the trade
-- query of the pay_check job still confirms its payments).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

ALTER TABLE pay_merchants
    ADD COLUMN seller_id text NULL CHECK (seller_id ~ '^2088[0-9]{12}$'),
    ADD CONSTRAINT pay_merchants_seller_alipay CHECK (seller_id IS NULL OR channel = 'alipay');

-- the sandbox's account (sandbox/sandbox.js sells as 2088000000000001)
UPDATE pay_merchants SET seller_id = '2088000000000001'
 WHERE channel = 'alipay' AND merchant_id = '2021000000000001' AND gateway_url IS NULL;

COMMENT ON COLUMN pay_merchants.seller_id IS
    'Alipay: the seller''s user id (PID) its notifications must name; NULL for WeChat';
