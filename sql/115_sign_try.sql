-- 115_sign_try: the 免费体验 stamps each client address asked for, per day
-- (issue 41, modules/sign: POST /sign/try).
--
-- One row per client address and Beijing calendar day, counted by
-- modules/sign in the transaction that answers the stamp (an upsert that
-- locks the row until commit, so parallel requests from one address are
-- counted one after another, as sms_send_counts does for SMS codes); the
-- module refuses with 429 above sign_try_daily_max.  Rows older than two
-- days are pruned by the same requests.
--   addr: 'ip:<client address>' as nginx passes REMOTE_ADDR (audit_log.ip
--         keeps the same form)
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE sign_try_counts (
    addr            text NOT NULL CHECK (length(addr) BETWEEN 1 AND 100),
    day             date NOT NULL,
    n               integer NOT NULL CHECK (n > 0),
    PRIMARY KEY (addr, day)
);
CREATE INDEX sign_try_counts_day ON sign_try_counts (day);

COMMENT ON TABLE sign_try_counts IS
    '免费体验 stamps per client address and Beijing day (modules/sign, sign_try_daily_max)';
