/*
 * Four eyes (core/biz/approval.c), answered: a staff console's decision on
 * a request that core/biz found nothing to decide, in the console's words;
 * and what an approved staff_add / staff_roles asked, written by the staff
 * table's owner (core/web/staff.c).
 * Here, not in core/web beside the other staff helpers, because core/web
 * sits below core/biz and cannot read its answers (tests/unit/layers.sh).
 */
#include <string.h>

#include "flow/flow.h"

int
hall_foureyes_refused(struct hall_req *req, int rc)
{
    if (rc == HALL_APPROVAL_UNKNOWN)
        return hall_msg(req, HALL_M_APPROVAL_NOT_FOUND, NULL);
    if (rc == HALL_APPROVAL_SELF)
        return hall_msg(req, HALL_M_APPROVAL_SELF, NULL);
    if (rc == HALL_APPROVAL_ROLE)
        return hall_msg(req, HALL_M_APPROVAL_ROLE, NULL);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_APPROVAL_DECIDED, NULL);
    return HALL_ERR; /* the store's failure, answered by the finish */
}

int
hall_approval_staff_apply(struct hall_ctx *cx, const struct hall_approval *a, int64_t approver)
{
    const char *login = hall_val_str(a->payload, "login"),
               *roles = hall_val_str(a->payload, "roles");
    struct hall_dbres *res;
    struct hall_val *detail = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, detail, "request_id", a->id);
    hall_val_set_str(cx->pool, detail, "requested_by",
                     hall_psprintf(cx->pool, "staff:%lld", (long long)a->requested_by));
    hall_val_set_str(cx->pool, detail, "roles", roles);
    if (strcmp(a->kind, "staff_add") == 0) {
        res = hall_staff_add(cx, login, hall_val_str(a->payload, "password_hash"), roles);
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 0)
            return HALL_CONFLICT; /* the login was taken meanwhile */
        return hall_audit(cx, hall_psprintf(cx->pool, "staff:%lld", (long long)approver), "staff",
                          hall_dbres_str(res, 0, "id"), "create", NULL, "active", detail);
    }
    if (strcmp(a->kind, "staff_roles") == 0) {
        res = hall_staff_roles_set(cx, login, roles);
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 0)
            return HALL_CONFLICT;
        return hall_audit(cx, hall_psprintf(cx->pool, "staff:%lld", (long long)approver), "staff",
                          hall_dbres_str(res, 0, "id"), "roles_change",
                          hall_dbres_str(res, 0, "old"), roles, detail);
    }
    return HALL_ERR;
}
