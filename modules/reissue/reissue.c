/*
 * reissue: 介质遗失补办 (seed 004).  The certificate store's side lives in
 * core/reissue.c (serial -> details with the ownership rules, the automatic
 * revocation on approval); the flow's shared steps come from the core's
 * flow kit.  docs/modules/reissue.md.
 *
 *   GET /reissue/serial?serial=   证书序列号查询: the certificate's details as
 *                                 this applicant may see them, and whether it
 *                                 can be reissued
 */
#include <string.h>

#include "hall.h"

static const struct hall_stmt reissue_stmts[] = {
    {NULL, NULL, 0},
};

static const struct hall_pspec serial_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the details of c as JSON: the public lookup's fields, the owner's on top */
static void
cert_json(struct hall_req *req, struct hall_val *v, const struct hall_reissue_cert *c)
{

    hall_val_set_str(req->pool, v, "serial", c->serial);
    hall_val_set_str(req->pool, v, "status", c->status);
    hall_val_set_str(req->pool, v, "status_label", c->status_label);
    hall_val_set_str(req->pool, v, "organization", c->org);
    hall_val_set_str(req->pool, v, "not_before", c->not_before);
    hall_val_set_str(req->pool, v, "not_after", c->not_after);
    hall_val_set_bool(req->pool, v, "own", c->own);
    if (c->own) {
        hall_val_set_str(req->pool, v, "subject", c->cn);
        hall_val_set_str(req->pool, v, "cert_type", c->cert_type);
        hall_val_set_str(req->pool, v, "cert_type_label", c->cert_type_label);
    }
}

static int
serial_lookup(struct hall_req *req)
{
    struct hall_reissue_cert c;
    struct hall_val *v;

    if (hall_reissue_cert_get(req, hall_req_param(req, "serial"), 0, &c) != HALL_OK)
        return hall_resp_busy(req);
    if (c.result == HALL_REISSUE_BAD_SERIAL)
        return hall_resp_error(req, 400, "serial", c.why);
    if (c.result == HALL_REISSUE_NOT_FOUND)
        return hall_resp_error(req, 404, "serial", c.why);
    v = hall_val_obj(req->pool);
    cert_json(req, hall_val_set_obj(req->pool, v, "cert"), &c);
    hall_val_set_bool(req->pool, v, "reissuable", c.result == HALL_REISSUE_OK);
    if (c.result != HALL_REISSUE_OK)
        hall_val_set_str(req->pool, v, "message", c.why);
    return hall_resp_ok(req, v);
}

static const struct hall_route reissue_routes[] = {
    {"GET", "/reissue/serial", serial_lookup, HALL_R_AUTH, serial_params},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_module reissue_module = {
    "reissue",
    reissue_routes,
    reissue_stmts,
    NULL,
};

int
main(int argc, char **argv)
{
    return hall_main(argc, argv, &reissue_module);
}
