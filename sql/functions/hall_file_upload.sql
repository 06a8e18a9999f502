-- POST /new/upload (core/flow/flow.c, flow_upload; docs/modules/new.md): the
-- applicant's lock, the order still editable and at the revision the page
-- showed (p_form_rev), the daily cap counted (user_daily), the files of the
-- same kind replaced, the new row and its audit row, in one call.  Answers
-- one row per outcome: 'ok' with file_id and the replaced (old_id,
-- old_name), or 'locked', 'stale', 'capped'.  hall.writer is set around the
-- INSERT: user_daily_uploads then leaves the count to this function.
CREATE OR REPLACE FUNCTION hall_file_upload(
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
    v_n      integer;
    v_id     bigint;
    v_ids    bigint[];
    v_names  text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('hall-user:' || p_user_id::text, 0));
    SELECT o.status, o.form_rev INTO v_status, v_rev
      FROM orders o WHERE o.id = p_order_id AND o.user_id = p_user_id FOR SHARE;
    IF v_status IS NULL OR v_status NOT IN ('draft', 'rejected') THEN
        outcome := 'locked';
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_rev <> p_form_rev THEN
        outcome := 'edited';
        RETURN NEXT;
        RETURN;
    END IF;
    -- the cap's check and this file's count in one statement
    IF p_daily_max > 0 THEN
        INSERT INTO user_daily AS d (user_id, day, uploads)
        VALUES (p_user_id, beijing_day(now()), 1)
        ON CONFLICT (user_id, day) DO UPDATE SET uploads = d.uploads + 1
         WHERE d.uploads < p_daily_max
        RETURNING d.uploads INTO v_n;
    END IF;
    IF v_n IS NULL THEN
        outcome := 'capped';
        RETURN NEXT;
        RETURN;
    END IF;
    -- replaced, and removed with the commit: the caller unlinks their files
    WITH r AS (
        UPDATE order_files f SET replaced_at = now(), removed_at = now()
         WHERE f.order_id = p_order_id AND f.kind = p_kind AND f.replaced_at IS NULL
        RETURNING f.id, f.stored_name)
    SELECT array_agg(r.id ORDER BY r.id), array_agg(r.stored_name ORDER BY r.id)
      INTO v_ids, v_names FROM r;
    PERFORM set_config('hall.writer', 'hall_file_upload', true);
    INSERT INTO order_files (order_id, kind, stored_name, mime, size, sha256)
    VALUES (p_order_id, p_kind, p_stored, p_mime, p_size, p_sha256)
    RETURNING order_files.id INTO v_id;
    PERFORM set_config('hall.writer', '', true);
    INSERT INTO audit_log (actor, entity, entity_id, action, detail, ip, request_id)
    VALUES (p_actor, 'order', p_order_id::text, 'upload', p_detail::jsonb, p_ip, p_request_id);
    outcome := 'stored';
    file_id := v_id;
    IF v_ids IS NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;
    FOR i IN 1 .. array_length(v_ids, 1) LOOP
        old_id := v_ids[i];
        old_name := v_names[i];
        RETURN NEXT;
    END LOOP;
END
$$;
