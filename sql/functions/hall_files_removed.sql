-- Marks the replaced uploads removed once their files are gone from disk
-- (core/flow/upload.c, flow_files_removed); the number marked.  One UPDATE
-- per id, planned once per session (one UPDATE over = ANY was planned again
-- at every call), without waiting for the commit's flush.
CREATE OR REPLACE FUNCTION hall_files_removed(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
    k integer;
    n integer := 0;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    IF p_ids IS NULL THEN
        RETURN 0;
    END IF;
    FOREACH v IN ARRAY p_ids LOOP
        UPDATE order_files SET removed_at = now() WHERE id = v AND removed_at IS NULL;
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;
    END LOOP;
    RETURN n;
END
$$;
