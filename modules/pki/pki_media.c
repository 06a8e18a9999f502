/*
 * modules/pki's part pki_media.c: the media a production left half-made
 * (core/biz/medium_reconcile.c), named on 制作证书's page so that the
 * operator takes each one out of the station: wiped (or spoilt: to be
 * destroyed), nothing issued, its order back in the queue; and what the
 * owner's /pki/medium says when there is no file to hand over.
 */
#include <stdio.h>
#include <string.h>

#include "hall.h"
#include "pki_renew.h"

int
pki_media_halfmade(struct hall_req *req, struct hall_val *ctx)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "media_halfmade");
    struct hall_val *list;
    int i;

    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "halfmade");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *m = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, m, res, i, "serial order_no at");
        hall_val_set_bool(req->pool, m, "spoilt",
                          strcmp(hall_dbres_str(res, i, "state"), "spoilt") == 0);
    }
    hall_val_set_bool(req->pool, ctx, "halfmade_any", hall_dbres_rows(res) > 0);
    return HALL_OK;
}

/* GET /pki/medium with no file to hand over: the certificate revoked
 * (superseded by a 证书变更...), its key born on a USB key or in the
 * holder's browser (no file ever), or not made yet */
int
pki_medium_none(struct hall_req *req, int64_t id)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "medium_revoked", HALL_I64(id), HALL_I64(req->user_id));
    const char *born;

    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0)
        return hall_msg(req, HALL_M_MEDIUM_NOT_YET, NULL);
    if (*hall_dbres_str(r, 0, "cert_revoked") != '\0')
        return hall_msg(req, HALL_M_MEDIUM_REVOKED, NULL,
                        hall_medium_revoked(req, hall_dbres_str(r, 0, "cert_revoked")));
    born = hall_dbres_str(r, 0, "born");
    if (strncmp(born, "medium|", 7) == 0)
        return hall_msg(req, HALL_M_MEDIUM_ON_USB, NULL, born + 7);
    if (strncmp(born, "browser|", 8) == 0)
        return hall_msg(req, HALL_M_MEDIUM_IN_BROWSER, NULL);
    return hall_msg(req, HALL_M_MEDIUM_NOT_YET, NULL);
}
