-- A failed password login (an unknown phone too) of a client address,
-- remembered by the phone's keyed index (never the number); that client's
-- rows older than a day go.
CREATE OR REPLACE FUNCTION login_client_failed(p_client text, p_phone_idx bytea)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO login_client_failures AS f (client, phone_idx) VALUES (p_client, p_phone_idx)
        ON CONFLICT (client, phone_idx) DO UPDATE SET at = now();
    DELETE FROM login_client_failures WHERE client = p_client AND at < now() - interval '1 day';
$$;
