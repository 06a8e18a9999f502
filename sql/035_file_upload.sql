-- 035_file_upload: an upload's transaction in one round trip (issue 10).
--
-- POST /new/upload used to make six round trips inside its transaction
-- (BEGIN, the applicant's lock, the daily count, the replaced rows, the
-- new row, the audit row, COMMIT) and then a seventh, committed on its own
-- with a WAL flush, to mark each replaced file removed.  perf under load:
-- PostgreSQL 1.8 ms of CPU per upload, twice what an information entry's
-- whole transaction costs.  The same statements, in the same order and
-- under the same lock, now run in one call; the removal mark commits
-- without waiting for its WAL flush (see hall_files_removed).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

-- outcome 'capped' (nothing written: the applicant's uploads of today have
-- reached p_daily_max) or 'stored' with the new row's id, one row for each
-- row it replaced (old_id, old_name: their files are the caller's to delete
-- after the commit), or one row with old_id NULL when it replaced none
CREATE FUNCTION hall_file_upload(
    p_order_id   bigint,
    p_user_id    bigint,
    p_kind       text,
    p_stored     text,
    p_mime       text,
    p_size       integer,
    p_sha256     bytea,
    p_daily_max  bigint,
    p_actor      text,
    p_detail     text,
    p_ip         text,
    p_request_id text)
RETURNS TABLE (outcome text, file_id bigint, old_id bigint, old_name text)
LANGUAGE plpgsql AS $$
DECLARE
    v_id    bigint;
    v_ids   bigint[];
    v_names text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0));
    IF user_today(p_user_id, 'uploads') >= p_daily_max THEN
        RETURN QUERY SELECT 'capped'::text, NULL::bigint, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    WITH r AS (
        UPDATE order_files f SET replaced_at = now()
         WHERE f.order_id = p_order_id AND f.kind = p_kind AND f.replaced_at IS NULL
        RETURNING f.id, f.stored_name)
    SELECT array_agg(r.id ORDER BY r.id), array_agg(r.stored_name ORDER BY r.id)
      INTO v_ids, v_names FROM r;
    INSERT INTO order_files (order_id, kind, stored_name, mime, size, sha256)
    VALUES (p_order_id, p_kind, p_stored, p_mime, p_size, p_sha256)
    RETURNING order_files.id INTO v_id;
    INSERT INTO audit_log (actor, entity, entity_id, action, detail, ip, request_id)
    VALUES (p_actor, 'order', p_order_id::text, 'upload', p_detail::jsonb, p_ip, p_request_id);
    RETURN QUERY SELECT 'stored'::text, v_id, o.id, o.name
                   FROM unnest(coalesce(v_ids, '{NULL}'), coalesce(v_names, '{NULL}')) AS o(id, name);
END
$$;

-- Marks replaced files removed once their files are deleted.  The mark only
-- tells staff the file is gone (the admin's order page); a crash may lose
-- a mark of the last moments, never a file or a row, so its commit does not
-- wait for the WAL flush (synchronous_commit off for this transaction
-- only: a second flush per upload cost as much as the upload's own).
CREATE FUNCTION hall_files_removed(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE order_files SET removed_at = now() WHERE id = ANY (p_ids) AND removed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
