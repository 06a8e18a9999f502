-- 048_login_client: password spraying — one client trying one password on
-- many accounts never reaches any account's own lock (users.failed_logins).
-- Each failed password login (an unknown phone too) is remembered per client
-- address and phone (by the phone's keyed index, never the number); once a
-- client has failed on login_client_max distinct phones within the window,
-- its password logins are refused (429) until the window moves on.  Its
-- owners are not locked out: other addresses are untouched, and a login by
-- SMS code (which proves the phone) still works from the same one.
--
-- login_client_blocked takes a transaction-scoped advisory lock per client,
-- so parallel attempts from one client are counted one after another.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE login_client_failures (
    client    text NOT NULL CHECK (length(client) BETWEEN 1 AND 64),
    phone_idx bytea NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, phone_idx)
);

CREATE FUNCTION login_client_blocked(p_client text, p_window_s integer, p_max integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hall-login-client:' || p_client, 0));
    RETURN (SELECT count(*) FROM login_client_failures
             WHERE client = p_client AND at > now() - make_interval(secs => p_window_s)) >= p_max;
END
$$;

CREATE FUNCTION login_client_failed(p_client text, p_phone_idx bytea)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO login_client_failures AS f (client, phone_idx) VALUES (p_client, p_phone_idx)
        ON CONFLICT (client, phone_idx) DO UPDATE SET at = now();
    DELETE FROM login_client_failures WHERE client = p_client AND at < now() - interval '1 day';
$$;
