-- Password spraying (modules/account, modules/admin): whether a client
-- address has failed a password login on p_max distinct phones within
-- p_window_s seconds; its password logins are then refused (429).  Takes
-- the client's transaction-scoped advisory lock, so that parallel attempts
-- of one client are counted one after another.
CREATE OR REPLACE FUNCTION login_client_blocked(p_client text, p_window_s integer, p_max integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hall-login-client:' || p_client, 0));
    RETURN (SELECT count(*) FROM login_client_failures
             WHERE client = p_client AND at > now() - make_interval(secs => p_window_s)) >= p_max;
END
$$;
