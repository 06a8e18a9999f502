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
    {"approval_staff_add",
     "INSERT INTO staff (login, display_name, password_hash, roles)"
     " VALUES ($1, $1, $2, string_to_array($3, ',')) ON CONFLICT (login) DO NOTHING RETURNING id",
     3},
    {"approval_staff_roles",
     "UPDATE staff s SET roles = string_to_array($2, ','), updated_at = now()"
     " FROM (SELECT id, array_to_string(roles, ',') AS old FROM staff WHERE login = $1"
     " FOR UPDATE) o WHERE s.id = o.id RETURNING s.id, o.old",
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

int
hall_approval_staff_apply(struct hall_ctx *cx, const struct hall_approval *a, int64_t approver)
{
    const char *login = hall_val_str(a->payload, "login"),
               *roles = hall_val_str(a->payload, "roles");
    struct hall_dbres *res;
    struct hall_val *detail = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, detail, "request_id", a->id);
    hall_val_set_str(cx->pool, detail, "requested_by", actor_of(cx, a->requested_by));
    hall_val_set_str(cx->pool, detail, "roles", roles);
    if (strcmp(a->kind, "staff_add") == 0) {
        res = hall_db_exec(cx, "approval_staff_add", HALL_STR(login),
                           HALL_STR(hall_val_str(a->payload, "password_hash")), HALL_STR(roles));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 0)
            return HALL_CONFLICT; /* the login was taken meanwhile */
        return hall_audit(cx, actor_of(cx, approver), "staff", hall_dbres_str(res, 0, "id"),
                          "create", NULL, "active", detail);
    }
    if (strcmp(a->kind, "staff_roles") == 0) {
        res = hall_db_exec(cx, "approval_staff_roles", HALL_STR(login), HALL_STR(roles));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 0)
            return HALL_CONFLICT;
        return hall_audit(cx, actor_of(cx, approver), "staff", hall_dbres_str(res, 0, "id"),
                          "roles_change", hall_dbres_str(res, 0, "old"), roles, detail);
    }
    return HALL_ERR;
}
