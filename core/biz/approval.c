/*
 * Four eyes (sql/075, docs/operations.md "Four eyes"): what one staff member
 * alone could do harm with is a request that a second, different member
 * with the kind's role decides.  Everything here runs inside the caller's
 * transaction with its audit row, so the decision and what it makes happen
 * (the revocation, the refund, the account) commit together or not at all.
 *
 * A request is decided by ONE conditional UPDATE (still pending, not the
 * requester's own, the decider active with the role): of parallel
 * approvals the first takes the row's lock and the others find it decided
 * when it commits (409); if the first rolls back, the next one goes on.
 * The database refuses a self-approval by itself too (CHECK decided_by <>
 * requested_by).
 */
#include <string.h>

#include "biz/biz.h"

/* the role that asks and decides each kind */
#define ROLE_OF_KIND                                                                               \
    "(CASE r.kind WHEN 'revoke' THEN 'operator' WHEN 'refund' THEN 'finance' ELSE 'admin' END)"

const struct hall_stmt hall_approval_stmts[] = {
    /* one pending request per thing: a second one answers 409 */
    {"approval_insert",
     "INSERT INTO staff_requests (kind, subject, payload, requested_by, reason)"
     " VALUES ($1, $2, $3::jsonb, $4, $5)"
     " ON CONFLICT (kind, subject) WHERE state = 'pending' DO NOTHING RETURNING id",
     5},
    {"approval_decide",
     "UPDATE staff_requests r SET state = $3, decided_by = $4, decided_at = now(),"
     " decision_note = nullif($5, '')"
     " WHERE r.id = $1 AND r.kind = ANY (string_to_array($2, ',')) AND r.state = 'pending'"
     " AND r.requested_by <> $4 AND EXISTS (SELECT 1 FROM staff s WHERE s.id = $4 AND s.active"
     " AND " ROLE_OF_KIND " = ANY (s.roles))"
     " RETURNING r.kind, r.subject, r.payload::text AS payload, r.requested_by, r.reason,"
     " (SELECT login FROM staff WHERE id = r.requested_by) AS requested_login",
     5},
    /* why a decision found nothing to decide */
    {"approval_why",
     "SELECT r.state, r.requested_by, EXISTS (SELECT 1 FROM staff s WHERE s.id = $3 AND s.active"
     " AND " ROLE_OF_KIND " = ANY (s.roles)) AS may"
     " FROM staff_requests r WHERE r.id = $1 AND r.kind = ANY (string_to_array($2, ','))",
     3},
    {"approval_pending_of",
     "SELECT r.id, r.requested_by, s.login AS requested_login FROM staff_requests r"
     " JOIN staff s ON s.id = r.requested_by"
     " WHERE r.kind = $1 AND r.subject = $2 AND r.state = 'pending'",
     2},
    /* four eyes (sql/075, sql/089): a staff request to revoke it is moot */
    {"pki_revoke_requests_close",
     "UPDATE staff_requests SET state = 'moot', decided_at = now(), decision_note = $2"
     " WHERE kind = 'revoke' AND subject = $1 AND state = 'pending' RETURNING id",
     2},
    {NULL, NULL, 0},
};

const char *
hall_approval_role(const char *kind)
{
    if (strcmp(kind, "revoke") == 0)
        return "operator";
    if (strcmp(kind, "refund") == 0)
        return "finance";
    return "admin";
}

const char *
hall_approval_kind_label(const char *kind)
{
    if (strcmp(kind, "revoke") == 0)
        return "吊销证书";
    if (strcmp(kind, "refund") == 0)
        return "大额退费";
    if (strcmp(kind, "staff_add") == 0)
        return "新建工作人员账号";
    if (strcmp(kind, "staff_roles") == 0)
        return "变更工作人员角色";
    if (strcmp(kind, "partner_hook") == 0)
        return "合作方回调地址";
    if (strcmp(kind, "partner_hook_secret") == 0)
        return "合作方回调密钥";
    if (strcmp(kind, "partner_key_add") == 0)
        return "新增合作方接口密钥";
    if (strcmp(kind, "partner_key_revoke") == 0)
        return "吊销合作方接口密钥";
    return kind;
}

static const char *
actor_of(struct hall_ctx *cx, int64_t staff_id)
{
    return hall_psprintf(cx->pool, "staff:%lld", (long long)staff_id);
}

int
hall_approval_request(struct hall_ctx *cx, const char *kind, const char *subject,
                      const struct hall_val *payload, int64_t staff_id, const char *reason,
                      int64_t *id)
{
    const char *json = payload != NULL ? hall_val_json(cx->pool, payload, NULL) : "{}";
    struct hall_dbres *res;
    struct hall_val *detail;

    if (json == NULL)
        return HALL_ERR;
    res = hall_db_exec(cx, "approval_insert", HALL_STR(kind), HALL_STR(subject), HALL_STR(json),
                       HALL_I64(staff_id), HALL_STR(reason));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_CONFLICT;
    *id = hall_dbres_int(res, 0, "id");
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "kind", kind);
    hall_val_set_str(cx->pool, detail, "subject", subject);
    hall_val_set_str(cx->pool, detail, "reason", reason);
    return hall_audit(cx, actor_of(cx, staff_id), "staff_request",
                      hall_psprintf(cx->pool, "%lld", (long long)*id), "request", NULL, "pending",
                      detail);
}

int
hall_approval_decide(struct hall_ctx *cx, int64_t id, const char *kinds, int64_t staff_id,
                     int approve, const char *note, struct hall_approval *out)
{
    const char *state = approve ? "approved" : "refused";
    struct hall_dbres *res;
    struct hall_val *detail;
    const char *payload;

    memset(out, 0, sizeof(*out));
    res = hall_db_exec(cx, "approval_decide", HALL_I64(id), HALL_STR(kinds), HALL_STR(state),
                       HALL_I64(staff_id), HALL_STR(note != NULL ? note : ""));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        res = hall_db_exec(cx, "approval_why", HALL_I64(id), HALL_STR(kinds), HALL_I64(staff_id));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 0)
            return HALL_APPROVAL_UNKNOWN;
        if (strcmp(hall_dbres_str(res, 0, "state"), "pending") != 0)
            return HALL_CONFLICT;
        if (hall_dbres_int(res, 0, "requested_by") == staff_id)
            return HALL_APPROVAL_SELF;
        if (!hall_dbres_bool(res, 0, "may"))
            return HALL_APPROVAL_ROLE;
        return HALL_CONFLICT; /* decided between the two statements */
    }
    out->id = id;
    out->kind = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "kind"));
    out->subject = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "subject"));
    out->reason = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "reason"));
    out->requested_by = hall_dbres_int(res, 0, "requested_by");
    out->requested_login = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "requested_login"));
    payload = hall_dbres_str(res, 0, "payload");
    out->payload = hall_val_parse(cx->pool, payload, strlen(payload), NULL, 0);
    if (out->payload == NULL || out->payload->type != HALL_V_OBJ)
        return HALL_ERR;
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "kind", out->kind);
    hall_val_set_str(cx->pool, detail, "subject", out->subject);
    hall_val_set_str(cx->pool, detail, "requested_by", actor_of(cx, out->requested_by));
    if (note != NULL && *note != '\0')
        hall_val_set_str(cx->pool, detail, "note", note);
    return hall_audit(cx, actor_of(cx, staff_id), "staff_request",
                      hall_psprintf(cx->pool, "%lld", (long long)id),
                      approve ? "approve" : "refuse", "pending", state, detail);
}

int
hall_approval_pending_of(struct hall_ctx *cx, const char *kind, const char *subject,
                         struct hall_approval *out)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "approval_pending_of", HALL_STR(kind), HALL_STR(subject));

    memset(out, 0, sizeof(*out));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return 0;
    out->id = hall_dbres_int(res, 0, "id");
    out->kind = kind;
    out->subject = subject;
    out->requested_by = hall_dbres_int(res, 0, "requested_by");
    out->requested_login = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "requested_login"));
    return 1;
}

/*
 * A staff member's pending request to revoke the serial (four eyes,
 * core/biz/approval.c) has nothing left to decide once it is revoked by
 * another path: closed as 'moot' in this transaction, with why, audited.
 * The approval's own revocation finds its request already approved.
 */
static int
requests_close(struct hall_ctx *cx, const char *serial, int reason, const char *actor)
{
    const char *note = hall_psprintf(cx->pool, "%s（%s），申请自动关闭",
                                     strncmp(actor, "user:", 5) == 0 ? "证书已由持有人撤销"
                                                                     : "证书已在其他业务中吊销",
                                     hall_pki_reason_label(reason));
    struct hall_dbres *res =
        hall_db_exec(cx, "pki_revoke_requests_close", HALL_STR(serial), HALL_STR(note));
    int i, n;

    if (res == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *detail = hall_val_obj(cx->pool);

        hall_val_set_str(cx->pool, detail, "kind", "revoke");
        hall_val_set_str(cx->pool, detail, "subject", serial);
        hall_val_set_str(cx->pool, detail, "note", note);
        if (hall_audit(cx, actor, "staff_request", hall_dbres_str(res, i, "id"), "moot", "pending",
                       "moot", detail) != HALL_OK)
            return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_revoke_cert(struct hall_ctx *cx, const char *serial, int reason, const char *actor,
                 const char **ca)
{
    int rc = hall_pki_revoke(cx, serial, reason, actor, ca);

    if (rc != HALL_OK)
        return rc;
    return requests_close(cx, serial, reason, actor);
}
