-- 006_payments.sql: payments (缴费) and financial authentication (金融认证).
--
-- payments: one row per payment attempt of an order.  Online payments
-- (wechat, alipay) get our out_trade_no "<order_no>-<attempt>", sent to the
-- gateway, and the gateway's trade_no; the gateway's signed asynchronous
-- callback turns the row 'paid' once (later copies of the callback only
-- count in callbacks).  Corporate transfers (transfer) point at the uploaded
-- voucher (order_files, kind 'transfer_voucher') and wait 'pending' until
-- finance confirms the money arrived.  Amounts are integer fen.
--
-- finauth_attempts: one row per micro-deposit (0.01 CNY to the unit's basic
-- account).  The memo code (or the certificate PIN, products.pin_by_memo)
-- is kept only as a keyed MAC (core/finauth.c); the clear value travels
-- once, inside the encrypted outbox payload, to the bank.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE payments (
    id              bigserial PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES orders(id),
    attempt         integer NOT NULL CHECK (attempt >= 1),
    method          text NOT NULL CHECK (method IN ('wechat', 'alipay', 'transfer')),
    amount_fen      integer NOT NULL CHECK (amount_fen > 0),
    -- created: trade opened at the gateway (online) | pending: voucher
    -- uploaded, finance to confirm (transfer) | paid | refused: finance
    -- found no money (transfer) | closed: abandoned online trade
    status          text NOT NULL DEFAULT 'created'
                    CHECK (status IN ('created', 'pending', 'paid', 'refused', 'closed')),
    -- online only: ours (unique, sent to the gateway) and the gateway's
    out_trade_no    text NULL UNIQUE CHECK (out_trade_no ~ '^[A-Za-z0-9-]{1,64}$'),
    trade_no        text NULL UNIQUE CHECK (trade_no ~ '^[A-Za-z0-9]{1,64}$'),
    pay_url         text NULL CHECK (length(pay_url) <= 2048),
    -- transfer only: the 汇款凭证
    voucher_file_id bigint NULL REFERENCES order_files(id),
    -- the verified callback exactly as received (trade numbers, amount,
    -- times: nothing personal, no card or account number)
    callback_raw    text NULL CHECK (length(callback_raw) <= 4096),
    callbacks       integer NOT NULL DEFAULT 0,
    -- paid, but the order had already been paid another way: refund it
    surplus         boolean NOT NULL DEFAULT false,
    paid_at         timestamptz NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, attempt),
    CHECK ((method = 'transfer') = (out_trade_no IS NULL)),
    CHECK (method <> 'transfer' OR voucher_file_id IS NOT NULL),
    CHECK ((status = 'paid') = (paid_at IS NOT NULL))
);

CREATE INDEX payments_order_idx ON payments (order_id, attempt DESC);
CREATE INDEX payments_status_idx ON payments (status, created_at) WHERE status IN ('pending', 'created');

CREATE TABLE finauth_attempts (
    id              bigserial PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES orders(id),
    -- what the memo carried: a random code, or the certificate PIN
    memo_kind       text NOT NULL CHECK (memo_kind IN ('code', 'pin')),
    code_hash       bytea NOT NULL CHECK (length(code_hash) = 32),
    -- wrong codes typed; finauth_max_tries of them lock the attempt
    tries           integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    -- queued: transfer not done yet | sent: the bank paid the 0.01 |
    -- failed: the bank refused (wrong account) | verified: code typed |
    -- locked: too many wrong codes
    result          text NOT NULL DEFAULT 'queued'
                    CHECK (result IN ('queued', 'sent', 'failed', 'verified', 'locked')),
    bank_ref        text NULL CHECK (length(bank_ref) <= 64),
    fail_reason     text NULL CHECK (length(fail_reason) <= 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    transferred_at  timestamptz NULL,
    verified_at     timestamptz NULL
);

CREATE INDEX finauth_attempts_order_idx ON finauth_attempts (order_id, id DESC);
