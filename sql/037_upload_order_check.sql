-- 037_upload_order_check: an upload lands on the order the module checked.
--
-- POST /F/upload checks, before its transaction, that the order may still
-- change (draft or rejected) and that it asks for this kind of material;
-- the kinds follow the order's form (a unit's 营业执照, each 机构个人章's
-- holder_id_N).  An edit of the form or a submission committed between
-- that check and the upload's transaction went unnoticed: the upload
-- replaced a file of an order already with the reviewers, or put one
-- holder's ID scan under the row the edit had just given to another holder
-- (and, as the edit's move of the holders' scans took the order's lock and
-- the upload the applicant's, could leave two current scans of one kind).
--
-- Now the upload takes the order's row lock (FOR SHARE: an edit, a
-- submission or a payment of the order waits for it, and it waits for
-- them) and goes on only if the order is still in the state the module
-- checked: 'locked' when it can no longer change, 'edited' when its form
-- was saved again since (form_rev), and nothing is written either way.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

DROP FUNCTION hall_file_upload(bigint, bigint, text, text, text, integer, bytea, bigint, text,
                               text, text, text);

-- outcome 'capped' (the applicant's uploads of today have reached
-- p_daily_max), 'locked' or 'edited' (above): nothing written; or 'stored'
-- with the new row's id, one row for each row it replaced (old_id,
-- old_name: their files are the caller's to delete after the commit), or
-- one row with old_id NULL when it replaced none
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
    p_request_id text,
    p_form_rev   integer)
RETURNS TABLE (outcome text, file_id bigint, old_id bigint, old_name text)
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_rev    integer;
    v_id     bigint;
    v_ids    bigint[];
    v_names  text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0));
    SELECT o.status, o.form_rev INTO v_status, v_rev
      FROM orders o WHERE o.id = p_order_id AND o.user_id = p_user_id FOR SHARE;
    IF v_status IS NULL OR v_status NOT IN ('draft', 'rejected') THEN
        RETURN QUERY SELECT 'locked'::text, NULL::bigint, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF v_rev <> p_form_rev THEN
        RETURN QUERY SELECT 'edited'::text, NULL::bigint, NULL::bigint, NULL::text;
        RETURN;
    END IF;
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
