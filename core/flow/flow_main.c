/*
 * flow_main.c: the flow kit as a module.  hall_flow_main joins the routes
 * and statements of every file of the kit (flow.c's lookups and each
 * step's, declared in flow_int.h) with the flow's own, gates a partner's
 * path to a flow it does not sell, and runs the FastCGI loop;
 * hall_core_stmts lists every layer's statements for the modules and the
 * tools.  The steps use flow.c, this file uses them all and nothing uses
 * this file but the modules: no circle (tests/unit/layers.sh).
 */
#include <stdio.h>
#include <stdlib.h>

#include "flow/flow_int.h"

static const struct hall_route *const kit_routes[] = {
    flow_agree_routes, flow_plink_routes, flow_print_routes,  flow_upload_routes,
    flow_phone_routes, flow_entry_routes, flow_lookup_routes, NULL,
};

static const struct hall_stmt *const kit_stmts[] = {
    flow_lookup_stmts, flow_agree_stmts,    flow_plink_stmts,
    flow_entry_stmts,  flow_submit_stmts,   flow_upload_stmts,
    flow_phone_stmts,  flow_sealstep_stmts, NULL,
};

/* a partner's path to a flow it does not sell answers the refusal before
 * any login or form (the generic hall asks the project: checked there) */
static int
flow_gate(struct hall_req *req)
{
    const struct hall_flow *flow = hall_flow_current();
    struct hall_dbres *res;

    if (req->partner[0] == '\0')
        return HALL_OK;
    res = hall_db_ref(req->cx, "flow_sold", HALL_STR(req->partner), HALL_STR(flow->business));
    if (res == NULL)
        return HALL_ERR;
    if (!hall_dbres_bool(res, 0, "sold"))
        return hall_msg(req, HALL_M_NO_PRODUCTS, NULL, hall_business_label(flow->business)),
               HALL_ANSWERED;
    return HALL_OK;
}

const struct hall_stmt *const hall_core_stmts[] = {
    hall_store_stmts,   hall_outbox_audit_stmts, hall_staff_stmts,
    hall_users_stmts,   hall_metrics_stmts,      hall_pki_stmts,
    hall_crl_stmts,     hall_auditanchor_stmts,  hall_order_stmts,
    hall_invoice_stmts, hall_produce_stmts,      hall_sealprod_stmts,
    hall_finauth_stmts, hall_deposit_stmts,      hall_identity_stmts,
    hall_reissue_stmts, hall_replace_stmts,      hall_reminder_stmts,
    hall_custody_stmts, hall_provider_stmts,     hall_courier_stmts,
    hall_payment_stmts, hall_refund_stmts,       hall_approval_stmts,
    hall_partner_stmts, hall_plink_stmts,        hall_psecret_stmts,
    hall_assist_stmts,  hall_renew_assist_stmts, hall_sealverdict_stmts,
    hall_payrule_stmts, hall_pauth_stmts,        NULL,
};

int
hall_flow_main(int argc, char **argv, const struct hall_flow *f)
{
    static struct hall_module mod;
    struct hall_route *routes;
    struct hall_stmt *stmts;
    size_t nk = 0, nf = 0, ks = 0, fs = 0, i, t;

    flow_set_current(f);
    if (hall_business_get(f->business) == NULL) {
        fprintf(stderr, "hall-%s: business type not in core/flow/catalog.def\n", f->business);
        return HALL_EXIT_CONFIG;
    }
    for (t = 0; kit_routes[t] != NULL; t++)
        for (i = 0; kit_routes[t][i].path != NULL; i++)
            nk++;
    while (f->routes != NULL && f->routes[nf].path != NULL)
        nf++;
    for (t = 0; kit_stmts[t] != NULL; t++)
        for (i = 0; kit_stmts[t][i].name != NULL; i++)
            ks++;
    while (f->stmts != NULL && f->stmts[fs].name != NULL)
        fs++;
    /* process lifetime, like the module's own tables */
    routes = calloc(nk + nf + 1, sizeof(*routes));
    stmts = calloc(ks + fs + 1, sizeof(*stmts));
    if (routes == NULL || stmts == NULL)
        return 1;
    /* the flow's own first: it may answer a path the kit also knows */
    for (i = 0; i < nf; i++)
        routes[i] = f->routes[i];
    nk = nf;
    for (t = 0; kit_routes[t] != NULL; t++)
        for (i = 0; kit_routes[t][i].path != NULL; i++) {
            char *path;

            routes[nk] = kit_routes[t][i];
            if (asprintf(&path, "/%s%s", f->business, kit_routes[t][i].path) < 0)
                return 1;
            routes[nk++].path = path;
        }
    ks = 0;
    for (t = 0; kit_stmts[t] != NULL; t++)
        for (i = 0; kit_stmts[t][i].name != NULL; i++)
            stmts[ks++] = kit_stmts[t][i];
    for (i = 0; i < fs; i++)
        stmts[ks + i] = f->stmts[i];
    mod.name = f->business;
    mod.routes = routes;
    mod.stmts = stmts;
    mod.init = f->init;
    mod.gate = flow_gate;
    mod.session_load = flow_session_load;
    mod.at_file = flow_at_file;
    mod.core_stmts = hall_core_stmts;
    return hall_main(argc, argv, &mod);
}
