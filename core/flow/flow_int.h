/*
 * flow_int.h: what the flow kit's files share and nothing else uses: flow.c,
 * flow_main.c (the module) and the steps cut from it, agree.c, plink.c, entry.c,
 * submit.c, print.c, upload.c and phone.c.  Not part of flow.h's API: the
 * modules and the other files of core/flow include flow.h.
 */
#ifndef HALL_FLOW_INT_H
#define HALL_FLOW_INT_H

#include "flow/flow.h"

/* a link's ticket or token: 32 random bytes in base64url, 43 characters */
#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* each step's routes, below the flow's path, and its statements, which
 * hall_flow_main (flow_main.c) joins with the flow's own (the lookups'
 * are flow.c's) */
extern const struct hall_route flow_lookup_routes[], flow_agree_routes[], flow_plink_routes[],
    flow_entry_routes[], flow_print_routes[], flow_upload_routes[], flow_phone_routes[];
extern const struct hall_stmt flow_lookup_stmts[], flow_agree_stmts[], flow_plink_stmts[],
    flow_entry_stmts[], flow_submit_stmts[], flow_upload_stmts[], flow_phone_stmts[],
    flow_sealstep_stmts[];

/* the flow this process runs (flow.c; hall_flow_current reads it) */
void flow_set_current(const struct hall_flow *f);

/* a form's order id (POST /F/printed, /F/uploaded, /F/resubmit) */
extern const struct hall_pspec flow_id_params[];

/* the module's hooks (submit.c): the session read with what the request
 * brings (an upload's order, a submit's carrier pass and daily count) */
int flow_session_load(struct hall_req *req);
void flow_at_file(struct hall_req *req);

/* the order an upload's session read brought: set by flow_session_load,
 * taken once by hall_flow_order (flow.c) */
struct flow_pre_order {
    const struct hall_req *req;
    const char *request_id;
    int64_t id;
    struct hall_dbres *res;
};
extern struct flow_pre_order flow_pre_order;

#endif
