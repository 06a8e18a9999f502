/*
 * modules/pki's part pki_media.c: the media a production left half-made
 * (core/biz/medium_reconcile.c), named on 制作证书's page so that the
 * operator takes each one out of the station: wiped (or spoilt: to be
 * destroyed), nothing issued, its order back in the queue.
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
