/*
 * The outbox and the audit log: this file owns both tables (docs/
 * architecture.md, "Who owns each table").  A job is queued and an audit
 * row written inside the caller's transaction; the worker (hall-outbox)
 * records a delivery's outcome here, the console starts a dead job again,
 * and a medium's custody empties the payloads that carried its PIN.
 */
#include <string.h>

#include "store/store.h"

const struct hall_stmt hall_outbox_audit_stmts[] = {
    {"outbox_insert",
     "INSERT INTO outbox (kind, idem_key, payload_enc) VALUES ($1, $2, $3)"
     " ON CONFLICT (idem_key) DO NOTHING",
     3},
    {"audit_insert",
     "INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, detail, ip,"
     " request_id) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
     9},
    /* attempts start again at 0: the job gets outbox_max_attempts more */
    {"outbox_retry",
     "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(),"
     " last_error = NULL WHERE id = $1 AND status = 'dead' RETURNING kind, idem_key",
     1},
    {"job_done",
     "UPDATE outbox SET status = 'done', attempts = attempts + 1, done_at = now(),"
     " last_error = NULL, result = $2::jsonb WHERE id = $1",
     2},
    {"job_retry",
     "UPDATE outbox SET attempts = attempts + 1, last_error = $2, backoff = true,"
     " status = CASE WHEN attempts + 1 >= $3 THEN 'dead' ELSE 'pending' END,"
     " next_attempt_at = now() + make_interval(secs => least(300, power(2, attempts))::int)"
     " WHERE id = $1 RETURNING status",
     3},
    /* a delivery on the lane ($1, $2 as job_claim's): its jobs waiting out
     * a backoff go now (a provider's own limit, job_retry_after, stays) */
    {"lane_release",
     "UPDATE outbox SET next_attempt_at = now(), backoff = false"
     " WHERE status = 'pending' AND backoff AND next_attempt_at > now()"
     " AND CASE WHEN $1 = 'other' THEN split_part(kind, '_', 1) <> ALL ($2::text[])"
     " ELSE split_part(kind, '_', 1) = $1 END",
     2},
    /* the probe ($1, $2 as job_claim's, $3 outbox_probe_s): when every job of
     * the lane waits out a backoff and the lane was not probed for $3 s, the
     * soonest of them, the lane's row (sql/142) locked until the end so the
     * lane's other worker does not probe too */
    {"probe_claim",
     "WITH w AS (SELECT id, next_attempt_at FROM outbox WHERE status = 'pending'"
     " AND backoff AND next_attempt_at > now()"
     " AND CASE WHEN $1 = 'other' THEN split_part(kind, '_', 1) <> ALL ($2::text[])"
     " ELSE split_part(kind, '_', 1) = $1 END),"
     /* the lane's row locked only when there is something to probe: a lock
      * is a write, and this runs at every empty claim */
     " l AS (SELECT lane FROM outbox_lanes WHERE lane = $1 AND EXISTS (SELECT 1 FROM w)"
     " AND probed_at <= now() - make_interval(secs => $3::int) FOR UPDATE SKIP LOCKED),"
     " j AS (SELECT o.id FROM outbox o JOIN w USING (id) WHERE EXISTS (SELECT 1 FROM l)"
     " ORDER BY w.next_attempt_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED),"
     " u AS (UPDATE outbox_lanes SET probed_at = now() WHERE lane IN (SELECT lane FROM l)"
     " AND EXISTS (SELECT 1 FROM j) RETURNING lane)"
     " SELECT o.id, o.kind, o.idem_key, o.payload_enc, o.attempts FROM outbox o JOIN j USING (id)",
     3},
    /* a probe that failed: no attempt counted, the backoff unchanged */
    {"probe_failed", "UPDATE outbox SET last_error = $2 WHERE id = $1", 2},
    /* a provider's limit: the next attempt after its period ($4 seconds) */
    {"job_retry_after",
     "UPDATE outbox SET attempts = attempts + 1, last_error = $2, backoff = false,"
     " status = CASE WHEN attempts + 1 >= $3 THEN 'dead' ELSE 'pending' END,"
     " next_attempt_at = now() + make_interval(secs => $4::int)"
     " WHERE id = $1 RETURNING status",
     4},
    /* a partner's receiver is back: its webhooks waiting out a backoff go
     * now (lane partner, core/biz/partner_hook.c) */
    {"hook_release",
     "UPDATE outbox o SET next_attempt_at = now(), backoff = false FROM partner_events e"
     " WHERE e.outbox_id = o.id AND e.partner_code = $1 AND o.status = 'pending' AND o.backoff"
     " AND o.next_attempt_at > now()",
     1},
    /* a webhook's next try after the published schedule's wait; dead after
     * its last row (partner_hook_delays) */
    {"hook_retry",
     "UPDATE outbox SET attempts = attempts + 1, last_error = $2, backoff = true,"
     " status = CASE WHEN attempts + 1 > (SELECT count(*) FROM partner_hook_delays)"
     " THEN 'dead' ELSE 'pending' END,"
     " next_attempt_at = now() + make_interval(secs => coalesce((SELECT delay_s FROM"
     " partner_hook_delays WHERE attempt = outbox.attempts + 1), 0))"
     " WHERE id = $1 RETURNING status",
     2},
    {"sms_tries_done", "DELETE FROM outbox_sms_tries WHERE outbox_id = $1", 1},
    /* on a connection of its own, committed at once (sms_tries) */
    {"sms_tries_count",
     "INSERT INTO outbox_sms_tries (outbox_id, tries) VALUES ($1, 1)"
     " ON CONFLICT (outbox_id) DO UPDATE SET tries = outbox_sms_tries.tries + 1 RETURNING tries",
     1},
    /* the PIN's SMS, once sent (a dead one stays for staff to retry) */
    {"custody_pin_scrub",
     "UPDATE outbox SET payload_enc = '\\x'::bytea WHERE idem_key = 'sms-pin-' || $1"
     " AND status = 'done'",
     1},
    /* the micro-deposits whose memo carried the PIN (pin_by_memo products),
     * once sent: the bank job's payload holds it */
    {"custody_memo_pins",
     "UPDATE outbox SET payload_enc = '\\x'::bytea WHERE idem_key IN (SELECT 'finauth-' || a.id"
     " FROM finauth_attempts a JOIN certificates c ON c.order_id = a.order_id"
     " WHERE c.serial = $1 AND a.memo_kind = 'pin') AND status = 'done' AND length(payload_enc) > "
     "0",
     1},
    /* every PIN SMS once sent: the hall needs no copy of a PIN (sql/052's
     * outbox_pin_kept finds them); rows in id order, those another tick
     * holds skipped (it empties them), so two ticks at once never wait on
     * each other (they deadlocked when each locked the rows in the order it
     * found them) */
    {"custody_pins_sent",
     "UPDATE outbox SET payload_enc = '\\x'::bytea WHERE id IN (SELECT id FROM outbox"
     " WHERE idem_key LIKE 'sms-pin-%' AND status = 'done' AND length(payload_enc) > 0"
     " ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)",
     0},
    {NULL, NULL, 0},
};

int
hall_outbox_push(struct hall_ctx *cx, const char *kind, const char *idem_key,
                 const struct hall_val *payload)
{
    unsigned char *enc;
    size_t n, elen;
    char *json = hall_val_json(cx->pool, payload, &n);

    if (json == NULL)
        return HALL_ERR;
    enc = hall_pii_encrypt(cx->pool, json, n, &elen);
    if (hall_db_exec(cx, "outbox_insert", HALL_STR(kind), HALL_STR(idem_key),
                     HALL_BIN(enc, elen)) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_audit(struct hall_ctx *cx, const char *actor, const char *entity, const char *entity_id,
           const char *action, const char *from_state, const char *to_state,
           const struct hall_val *detail)
{
    const char *json = detail != NULL ? hall_val_json(cx->pool, detail, NULL) : NULL;

    if (hall_db_exec(cx, "audit_insert", HALL_STR(actor), HALL_STR(entity), HALL_STR(entity_id),
                     HALL_STR(action), from_state ? HALL_STR(from_state) : HALL_NULLP,
                     to_state ? HALL_STR(to_state) : HALL_NULLP, json ? HALL_STR(json) : HALL_NULLP,
                     cx->remote_addr ? HALL_STR(cx->remote_addr) : HALL_NULLP,
                     cx->request_id ? HALL_STR(cx->request_id) : HALL_NULLP) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

struct hall_dbres *
hall_outbox_retry(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "outbox_retry", HALL_I64(id));
}

int
hall_outbox_done(struct hall_ctx *cx, int64_t id, const char *result)
{
    return hall_db_exec(cx, "job_done", HALL_I64(id),
                        result != NULL ? HALL_STR(result) : HALL_NULLP) != NULL
               ? HALL_OK
               : HALL_ERR;
}

struct hall_dbres *
hall_outbox_failed(struct hall_ctx *cx, int64_t id, const char *error, long max_attempts,
                   long after_s)
{
    if (after_s > 0)
        return hall_db_exec(cx, "job_retry_after", HALL_I64(id), HALL_STR(error),
                            HALL_I64(max_attempts), HALL_I64(after_s));
    return hall_db_exec(cx, "job_retry", HALL_I64(id), HALL_STR(error), HALL_I64(max_attempts));
}

int
hall_outbox_lane_release(struct hall_ctx *cx, const char *lane, const char *lanes)
{
    return hall_db_exec(cx, "lane_release", HALL_STR(lane), HALL_STR(lanes)) != NULL ? HALL_OK
                                                                                     : HALL_ERR;
}

struct hall_dbres *
hall_outbox_probe_claim(struct hall_ctx *cx, const char *lane, const char *lanes, long probe_s)
{
    return hall_db_exec(cx, "probe_claim", HALL_STR(lane), HALL_STR(lanes), HALL_I64(probe_s));
}

int
hall_outbox_probe_failed(struct hall_ctx *cx, int64_t id, const char *error)
{
    return hall_db_exec(cx, "probe_failed", HALL_I64(id), HALL_STR(error)) != NULL ? HALL_OK
                                                                                   : HALL_ERR;
}

int
hall_outbox_partner_release(struct hall_ctx *cx, const char *partner)
{
    return hall_db_exec(cx, "hook_release", HALL_STR(partner)) != NULL ? HALL_OK : HALL_ERR;
}

struct hall_dbres *
hall_outbox_hook_failed(struct hall_ctx *cx, int64_t id, const char *error)
{
    return hall_db_exec(cx, "hook_retry", HALL_I64(id), HALL_STR(error));
}

long
hall_outbox_sms_try(struct hall_ctx *cx, int64_t id)
{
    struct hall_dbres *res = hall_db_exec(cx, "sms_tries_count", HALL_I64(id));

    if (res == NULL || hall_dbres_rows(res) != 1)
        return -1;
    return (long)hall_dbres_int(res, 0, "tries");
}

int
hall_outbox_sms_tries_done(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "sms_tries_done", HALL_I64(id)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_outbox_pins_scrub(struct hall_ctx *cx, const char *serial)
{
    if (serial == NULL)
        return hall_db_exec(cx, "custody_pins_sent") != NULL ? HALL_OK : HALL_ERR;
    return hall_db_exec(cx, "custody_pin_scrub", HALL_STR(serial)) != NULL &&
                   hall_db_exec(cx, "custody_memo_pins", HALL_STR(serial)) != NULL
               ? HALL_OK
               : HALL_ERR;
}
