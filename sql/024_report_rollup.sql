-- 024_report_rollup.sql: daily roll-ups of what the reports read, so that a
-- report over a year of a million orders reads a few thousand summary rows
-- instead of every order (docs/performance.md, "Reports over a million
-- orders"; modules/report/report.c).
--
-- The answers stay exact:
--
-- * report_roll_<kind> holds, per day, the same sums the reports used to
--   compute from the source tables (report_live_<kind>(a, b) computes them
--   for the rows of [a, b); the roll-up is nothing but its stored result).
-- * report_rollup_state.upto: days before it are rolled up; days from it on
--   (yesterday and today, at least) are always read live from the sources.
-- * report_dirty: a day before upto whose source rows changed since it was
--   rolled up.  The triggers below append (kind, day) for every change of a
--   row of a past day (no unique key: no lock shared between writers); a
--   dirty day is read live until the refresh has rolled it up again.
-- * report_rollup_refresh() (hall-outbox, every 10 s, lane "other"): deletes
--   the markers it sees, then recomputes those days and the days between
--   the old and the new upto, in one transaction.  A marker committed after
--   its DELETE stays for the next refresh; one committed before it is seen
--   by the recomputation, which runs in later statements (READ COMMITTED).
--   An advisory lock keeps refreshes from running side by side.
-- * report_<kind>_src(from, to) is what a report reads: the roll-up of the
--   clean days before upto, plus the live figures of the dirty days and of
--   the days from upto on.
--
-- Days are the database session's calendar days (date casts), as they were
-- when the reports read the orders: every module connects with the same
-- settings.  A writer's transaction that stays open for more than a whole
-- day past midnight may be missed by the roll-up (the triggers skip days
-- from the current date on, which are read live).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE report_rollup_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    upto         date NOT NULL DEFAULT '-infinity',
    refreshed_at timestamptz NULL
);
INSERT INTO report_rollup_state DEFAULT VALUES;

CREATE TABLE report_dirty (
    kind text NOT NULL CHECK (kind IN ('orders', 'review', 'money', 'finauth', 'certs')),
    day  date NOT NULL
);
CREATE INDEX report_dirty_idx ON report_dirty (kind, day);

-- orders by the day they were created (the orders and funnel reports)
CREATE TABLE report_roll_orders (
    day           date NOT NULL,
    partner_code  text NOT NULL,
    business_type text NOT NULL,
    status        text NOT NULL,
    reached       smallint NOT NULL,
    n             bigint NOT NULL,
    fen           bigint NOT NULL
);
CREATE INDEX report_roll_orders_idx ON report_roll_orders (day);

-- review decisions by the day decided, with the day submitted (the working
-- days are counted at question time: the holiday calendar may change)
CREATE TABLE report_roll_review (
    day           date NOT NULL,
    partner_code  text NOT NULL,
    business_type text NOT NULL,
    sub_day       date NULL,
    on_time       boolean NOT NULL,
    n             bigint NOT NULL
);
CREATE INDEX report_roll_review_idx ON report_roll_review (day);

-- report_money by the day of the movement
CREATE TABLE report_roll_money (
    day           date NOT NULL,
    partner_code  text NOT NULL,
    business_type text NOT NULL,
    gross         bigint NOT NULL,
    refund        bigint NOT NULL
);
CREATE INDEX report_roll_money_idx ON report_roll_money (day);

-- micro-deposit attempts by the day made
CREATE TABLE report_roll_finauth (
    day          date NOT NULL,
    partner_code text NOT NULL,
    result       text NOT NULL,
    n            bigint NOT NULL
);
CREATE INDEX report_roll_finauth_idx ON report_roll_finauth (day);

-- certificates signed ('i', by issued_at) and revoked ('r', by revoked_at)
CREATE TABLE report_roll_certs (
    day           date NOT NULL,
    kind          "char" NOT NULL CHECK (kind IN ('i', 'r')),
    partner_code  text NOT NULL,
    business_type text NOT NULL,
    n             bigint NOT NULL
);
CREATE INDEX report_roll_certs_idx ON report_roll_certs (day);

-- A certificate carries its order's partner and business (copied when it
-- is written, by trigger): the certificates expiring within 90 days, read
-- live on every certificate report, are then one index-only scan instead of
-- tens of thousands of lookups into orders.
ALTER TABLE certificates ADD COLUMN partner_code text NULL;
ALTER TABLE certificates ADD COLUMN business_type text NULL;
UPDATE certificates c SET partner_code = o.partner_code, business_type = o.business_type
  FROM orders o WHERE o.id = c.order_id;

CREATE FUNCTION certificates_order_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT o.partner_code, o.business_type INTO NEW.partner_code, NEW.business_type
      FROM orders o WHERE o.id = NEW.order_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER certificates_order_keys BEFORE INSERT OR UPDATE OF order_id ON certificates
    FOR EACH ROW EXECUTE FUNCTION certificates_order_keys();

-- the live reads of the days from upto on
CREATE INDEX certificates_issued_idx ON certificates (issued_at) WHERE state IN ('issued', 'revoked');
CREATE INDEX certificates_revoked_at_idx ON certificates (revoked_at) WHERE state = 'revoked';
-- the certificates expiring in the next 90 days (always read live)
CREATE INDEX certificates_expiry_idx ON certificates (not_after) INCLUDE (partner_code, business_type)
    WHERE state = 'issued';

-- ---- the sums of [a, b), as the roll-up stores them ------------------------

-- The partner and business of a payment, micro-deposit or certificate are
-- its order's, looked up by primary key for each row (LATERAL ... OFFSET 0):
-- the live reads are a few thousand rows, for which the planner would rather
-- hash the whole orders table.

CREATE FUNCTION report_live_orders(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, business_type text, status text, reached smallint,
               n bigint, fen bigint)
LANGUAGE sql STABLE AS $$
    SELECT o.created_at::date, o.partner_code, o.business_type, o.status, o.reached,
           count(*), coalesce(sum(o.amount_fen), 0)
      FROM orders o
     WHERE o.created_at >= a AND o.created_at < b
     GROUP BY 1, 2, 3, 4, 5
$$;

CREATE FUNCTION report_live_review(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, business_type text, sub_day date, on_time boolean,
               n bigint)
LANGUAGE sql STABLE AS $$
    SELECT o.decided_at::date, o.partner_code, o.business_type, o.submitted_at::date,
           o.decided_at::date <= o.review_due, count(*)
      FROM orders o
     WHERE o.decided_at >= a AND o.decided_at < b AND o.review_due IS NOT NULL
     GROUP BY 1, 2, 3, 4, 5
$$;

CREATE FUNCTION report_live_money(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, business_type text, gross bigint, refund bigint)
LANGUAGE sql STABLE AS $$
    SELECT m.at::date, o.partner_code, o.business_type,
           coalesce(sum(m.fen) FILTER (WHERE m.fen > 0), 0)::bigint,
           coalesce(-sum(m.fen) FILTER (WHERE m.fen < 0), 0)::bigint
      FROM report_money m
           JOIN LATERAL (SELECT o.partner_code, o.business_type FROM orders o WHERE o.id = m.order_id OFFSET 0) o ON true
     WHERE m.at >= a AND m.at < b
     GROUP BY 1, 2, 3
$$;

CREATE FUNCTION report_live_finauth(a timestamptz, b timestamptz)
RETURNS TABLE (day date, partner_code text, result text, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT f.created_at::date, o.partner_code, f.result, count(*)
      FROM finauth_attempts f
           JOIN LATERAL (SELECT o.partner_code, o.business_type FROM orders o WHERE o.id = f.order_id OFFSET 0) o ON true
     WHERE f.created_at >= a AND f.created_at < b
     GROUP BY 1, 2, 3
$$;

CREATE FUNCTION report_live_certs(a timestamptz, b timestamptz)
RETURNS TABLE (day date, kind "char", partner_code text, business_type text, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.issued_at::date, 'i'::"char", c.partner_code, c.business_type, count(*)
      FROM certificates c
     WHERE c.state IN ('issued', 'revoked') AND c.issued_at >= a AND c.issued_at < b
     GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT c.revoked_at::date, 'r'::"char", c.partner_code, c.business_type, count(*)
      FROM certificates c
     WHERE c.state = 'revoked' AND c.revoked_at >= a AND c.revoked_at < b
     GROUP BY 1, 2, 3, 4
$$;

-- ---- what the reports read: roll-up of clean days + live days ---------------

-- The query that reads kind over [p_from, p_to]: the roll-up's rows of the
-- clean days before upto, report_live_<kind> over [max(p_from, upto),
-- p_to] and over each dirty day.  The bounds and the dirty days are written
-- into the text as literals, so that each call is planned for them (a
-- generic plan guesses a third of the table for a range and scans it all).
CREATE FUNCTION report_src_sql(p_kind text, p_from date, p_to date)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_upto date;
    v_dirty date[];
    v_q text;
BEGIN
    SELECT upto INTO v_upto FROM report_rollup_state;
    SELECT coalesce(array_agg(DISTINCT r.day), '{}') INTO v_dirty FROM report_dirty r
     WHERE r.kind = p_kind AND r.day >= p_from AND r.day <= p_to AND r.day < v_upto;
    v_q := format('SELECT r.* FROM report_roll_%s r WHERE r.day >= %L AND r.day < %L'
                  ' AND r.day <> ALL (%L::date[])', p_kind, p_from, least(p_to + 1, v_upto), v_dirty);
    IF p_to >= v_upto THEN
        v_q := v_q || format(' UNION ALL SELECT * FROM report_live_%s(%L, %L)', p_kind,
                             greatest(p_from, v_upto)::timestamptz, (p_to + 1)::timestamptz);
    END IF;
    IF cardinality(v_dirty) > 0 THEN
        v_q := v_q || format(' UNION ALL SELECT l.* FROM unnest(%L::date[]) d,'
                             ' report_live_%s(d::timestamptz, (d + 1)::timestamptz) l', v_dirty, p_kind);
    END IF;
    RETURN v_q;
END
$$;

CREATE FUNCTION report_orders_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, business_type text, status text, reached smallint,
               n bigint, fen bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('orders', p_from, p_to);
END
$$;

CREATE FUNCTION report_review_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, business_type text, sub_day date, on_time boolean,
               n bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('review', p_from, p_to);
END
$$;

CREATE FUNCTION report_money_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, business_type text, gross bigint, refund bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('money', p_from, p_to);
END
$$;

CREATE FUNCTION report_finauth_src(p_from date, p_to date)
RETURNS TABLE (day date, partner_code text, result text, n bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE report_src_sql('finauth', p_from, p_to);
END
$$;

-- Certificates: issued and revoked in [p_from, p_to] per partner and
-- business, a row (of zeros, maybe) for every pair that has a signed
-- certificate at all (so all days are read), and the certificates expiring
-- within 30, 60, 90 days of now, live.
CREATE FUNCTION report_certs_src(p_from date, p_to date)
RETURNS TABLE (partner_code text, business_type text, issued bigint, revoked bigint,
               e30 bigint, e60 bigint, e90 bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT c.partner_code, c.business_type,'
        ' coalesce(sum(c.n) FILTER (WHERE c.kind = ''i'' AND c.day >= $1 AND c.day <= $2), 0)::bigint,'
        ' coalesce(sum(c.n) FILTER (WHERE c.kind = ''r'' AND c.day >= $1 AND c.day <= $2), 0)::bigint,'
        ' 0::bigint, 0::bigint, 0::bigint'
        ' FROM (' || report_src_sql('certs', '-infinity', '9999-12-30') || ') c GROUP BY 1, 2'
        ' UNION ALL'
        ' SELECT c.partner_code, c.business_type, 0::bigint, 0::bigint,'
        ' count(*) FILTER (WHERE c.not_after < now() + interval ''30 days''),'
        ' count(*) FILTER (WHERE c.not_after < now() + interval ''60 days''), count(*)'
        ' FROM certificates c'
        ' WHERE c.state = ''issued'' AND c.not_after >= now()'
        ' AND c.not_after < now() + interval ''90 days'' GROUP BY 1, 2'
        USING p_from, p_to;
END
$$;

-- ---- the refresh ----------------------------------------------------------------

-- recompute one kind's days: p_days (dirty, before the old upto) and [p_a, p_b)
CREATE FUNCTION report_rollup_days(p_kind text, p_days date[], p_a date, p_b date)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM report_roll_%s WHERE day = ANY ($1) OR (day >= $2 AND day < $3)', p_kind)
        USING p_days, p_a, p_b;
    IF p_a < p_b THEN
        EXECUTE format('INSERT INTO report_roll_%1$s SELECT * FROM report_live_%1$s($1, $2)', p_kind)
            USING p_a::timestamptz, p_b::timestamptz;
    END IF;
    EXECUTE format('INSERT INTO report_roll_%1$s SELECT l.* FROM unnest($1::date[]) d,'
                   ' report_live_%1$s(d::timestamptz, (d + 1)::timestamptz) l', p_kind)
        USING p_days;
END
$$;

-- -1 when another refresh runs, else the number of dirty days recomputed
CREATE FUNCTION report_rollup_refresh() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_old date;
    v_new date := current_date - 1;
    v_kind text;
    v_days date[];
    v_n integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('report_rollup_refresh')) THEN
        RETURN -1;
    END IF;
    SELECT upto INTO v_old FROM report_rollup_state FOR UPDATE;
    IF v_new < v_old THEN
        v_new := v_old;
    END IF;
    FOREACH v_kind IN ARRAY ARRAY['orders', 'review', 'money', 'finauth', 'certs'] LOOP
        WITH d AS (DELETE FROM report_dirty WHERE kind = v_kind RETURNING day)
        SELECT coalesce(array_agg(DISTINCT d.day) FILTER (WHERE d.day < v_old), '{}')
          INTO v_days FROM d;
        PERFORM report_rollup_days(v_kind, v_days, v_old, v_new);
        v_n := v_n + cardinality(v_days);
    END LOOP;
    UPDATE report_rollup_state SET upto = v_new, refreshed_at = now();
    RETURN v_n;
END
$$;

-- ---- the markers ------------------------------------------------------------------

CREATE FUNCTION report_mark(p_kind text, p_old timestamptz, p_new timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- days from today on are read live whatever the roll-up holds
    IF p_old IS NOT NULL AND p_old::date < current_date THEN
        INSERT INTO report_dirty (kind, day) VALUES (p_kind, p_old::date);
    END IF;
    IF p_new IS NOT NULL AND p_new::date < current_date
       AND (p_old IS NULL OR p_new::date <> p_old::date) THEN
        INSERT INTO report_dirty (kind, day) VALUES (p_kind, p_new::date);
    END IF;
END
$$;

CREATE FUNCTION report_mark_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM report_mark('orders', NULL, NEW.created_at);
        PERFORM report_mark('review', NULL, NEW.decided_at);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM report_mark('orders', OLD.created_at, NULL);
        PERFORM report_mark('review', OLD.decided_at, NULL);
    ELSE
        PERFORM report_mark('orders', OLD.created_at, NEW.created_at);
        IF (OLD.decided_at, OLD.submitted_at, OLD.review_due, OLD.partner_code, OLD.business_type)
           IS DISTINCT FROM
           (NEW.decided_at, NEW.submitted_at, NEW.review_due, NEW.partner_code, NEW.business_type) THEN
            PERFORM report_mark('review', OLD.decided_at, NEW.decided_at);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER report_mark_orders AFTER INSERT OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION report_mark_orders();
CREATE TRIGGER report_mark_orders_update AFTER UPDATE ON orders
    FOR EACH ROW WHEN ((OLD.status, OLD.reached, OLD.amount_fen, OLD.partner_code, OLD.business_type,
                        OLD.created_at, OLD.submitted_at, OLD.decided_at, OLD.review_due)
                       IS DISTINCT FROM
                       (NEW.status, NEW.reached, NEW.amount_fen, NEW.partner_code, NEW.business_type,
                        NEW.created_at, NEW.submitted_at, NEW.decided_at, NEW.review_due))
    EXECUTE FUNCTION report_mark_orders();

CREATE FUNCTION report_mark_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark('money',
                        CASE WHEN TG_OP <> 'INSERT' THEN OLD.paid_at END,
                        CASE WHEN TG_OP <> 'DELETE' THEN NEW.paid_at END);
    RETURN NULL;
END
$$;

CREATE TRIGGER report_mark_payments AFTER INSERT OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION report_mark_payments();
CREATE TRIGGER report_mark_payments_update AFTER UPDATE ON payments
    FOR EACH ROW WHEN ((OLD.paid_at, OLD.amount_fen, OLD.order_id)
                       IS DISTINCT FROM (NEW.paid_at, NEW.amount_fen, NEW.order_id))
    EXECUTE FUNCTION report_mark_payments();

CREATE FUNCTION report_mark_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark('money',
                        CASE WHEN TG_OP <> 'INSERT' THEN coalesce(OLD.done_at, OLD.decided_at, OLD.created_at) END,
                        CASE WHEN TG_OP <> 'DELETE' THEN coalesce(NEW.done_at, NEW.decided_at, NEW.created_at) END);
    RETURN NULL;
END
$$;

CREATE TRIGGER report_mark_refunds AFTER INSERT OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION report_mark_refunds();
CREATE TRIGGER report_mark_refunds_update AFTER UPDATE ON refunds
    FOR EACH ROW WHEN ((OLD.status, OLD.amount_fen, OLD.done_at, OLD.decided_at, OLD.created_at, OLD.order_id)
                       IS DISTINCT FROM
                       (NEW.status, NEW.amount_fen, NEW.done_at, NEW.decided_at, NEW.created_at, NEW.order_id))
    EXECUTE FUNCTION report_mark_refunds();

CREATE FUNCTION report_mark_finauth() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark('finauth',
                        CASE WHEN TG_OP <> 'INSERT' THEN OLD.created_at END,
                        CASE WHEN TG_OP <> 'DELETE' THEN NEW.created_at END);
    RETURN NULL;
END
$$;

CREATE TRIGGER report_mark_finauth AFTER INSERT OR DELETE ON finauth_attempts
    FOR EACH ROW EXECUTE FUNCTION report_mark_finauth();
CREATE TRIGGER report_mark_finauth_update AFTER UPDATE ON finauth_attempts
    FOR EACH ROW WHEN ((OLD.result, OLD.created_at, OLD.order_id)
                       IS DISTINCT FROM (NEW.result, NEW.created_at, NEW.order_id))
    EXECUTE FUNCTION report_mark_finauth();

CREATE FUNCTION report_mark_certs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM report_mark('certs', OLD.issued_at, OLD.revoked_at);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM report_mark('certs', NEW.issued_at, NEW.revoked_at);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER report_mark_certs AFTER INSERT OR DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION report_mark_certs();
CREATE TRIGGER report_mark_certs_update AFTER UPDATE ON certificates
    FOR EACH ROW WHEN ((OLD.state, OLD.issued_at, OLD.revoked_at, OLD.order_id)
                       IS DISTINCT FROM (NEW.state, NEW.issued_at, NEW.revoked_at, NEW.order_id))
    EXECUTE FUNCTION report_mark_certs();

COMMENT ON TABLE report_dirty IS 'days before report_rollup_state.upto whose source rows changed since rolled up (024)';
COMMENT ON FUNCTION report_rollup_refresh() IS 'rolls up dirty days and the days before yesterday; hall-outbox every 10 s (024)';
