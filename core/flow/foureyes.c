/*
 * Four eyes (core/biz/approval.c), answered: a staff console's decision on
 * a request that core/biz found nothing to decide, in the console's words.
 * Here, not in core/web beside the other staff helpers, because core/web
 * sits below core/biz and cannot read its answers (tests/unit/layers.sh).
 */
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
