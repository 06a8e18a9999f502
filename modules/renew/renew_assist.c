/*
 * 在线更新 of a USB key, by the 证书助手 (hall-assist renew;
 * docs/modules/assist.md; core/biz/medium_renew.c, sql/157).  A certificate
 * made onto a medium is renewed on that medium: once its 证书更新 order is
 * 成功受理, the holder takes a one-time code here and runs the command the
 * page shows; the tool generates the new key on the medium and asks the
 * hall (modules/pki/pki_renew.c, which holds the CA keys) for the new
 * certificate.  No courier, no new medium.
 *
 *   GET  /renew/assist?id=         what the 证书助手 does for this order, the
 *                                  command, the code button once accepted
 *   POST /renew/assist/ticket {id} the holder's one-time code for the
 *                                  order's medium, and the exact command
 *
 * The code is shown to its holder once and stored as its SHA-256 only.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "hall.h"
#include "renew.h"

const struct hall_pspec renew_assist_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const char *
module_of(struct hall_req *req)
{
    const char *m = req->app->conf.medium_module;

    return m != NULL && *m != '\0' ? m : "libszca-pkcs11.so";
}

static struct hall_val *
page_ctx(struct hall_req *req, struct hall_dbres *o, int64_t id)
{
    struct hall_val *ctx = hall_flow_page(req, "证书更新 · 用证书助手在线更新USB Key", NULL);
    const char *st = hall_dbres_str(o, 0, "status"), *ts = hall_dbres_str(o, 0, "ticket_state");

    hall_val_set_int(req->pool, ctx, "id", id);
    hall_dbres_set(req->pool, ctx, o, 0, "medium=medium_serial cert_serial new_serial");
    hall_val_set_str(req->pool, ctx, "status", hall_order_label(st));
    hall_val_set_bool(req->pool, ctx, "ready",
                      strcmp(st, "accepted") == 0 && strcmp(ts, "issued") != 0);
    hall_val_set_bool(req->pool, ctx, "issued",
                      strcmp(st, "accepted") == 0 && strcmp(ts, "issued") == 0);
    hall_val_set_bool(req->pool, ctx, "done", strcmp(st, "delivered") == 0);
    hall_val_set_bool(req->pool, ctx, "waiting",
                      strcmp(st, "accepted") != 0 && strcmp(st, "delivered") != 0);
    hall_val_set_str(req->pool, ctx, "module", module_of(req));
    hall_val_set_str(req->pool, ctx, "hall", req->app->conf.public_url);
    return ctx;
}

/* the holder's renewal order of a medium's certificate: HALL_OK,
 * HALL_ANSWERED after a refusal, HALL_ERR when the store failed */
static int
order_of(struct hall_req *req, int64_t id, struct hall_dbres **out)
{
    struct hall_dbres *o =
        hall_db_exec(req->cx, "renew_assist_order", HALL_I64(id), HALL_I64(req->user_id));

    if (o == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, "id"), HALL_ANSWERED;
    if (*hall_dbres_str(o, 0, "medium_serial") == '\0' ||
        strcmp(hall_dbres_str(o, 0, "medium_state"), "issued") != 0)
        return hall_msg(req, HALL_M_RENEW_ASSIST_NOT_MEDIUM, "id"), HALL_ANSWERED;
    *out = o;
    return HALL_OK;
}

/* GET /renew/assist?id= */
int
renew_assist_page(struct hall_req *req)
{
    int64_t id = 0;
    struct hall_dbres *o;
    int rc;

    (void)hall_req_param_i64(req, "id", &id);
    rc = order_of(req, id, &o);
    if (rc != HALL_OK)
        return rc == HALL_ANSWERED ? HALL_OK : HALL_ERR;
    return hall_resp_page(req, 200, "renew_assist", page_ctx(req, o, id));
}

/* POST /renew/assist/ticket */
int
renew_assist_ticket(struct hall_req *req)
{
    int64_t id = 0;
    struct hall_dbres *o;
    char code[HALL_ASSIST_CODE_LEN + 4], hex[65];
    const char *medium, *url = req->app->conf.public_url;
    struct hall_val *v;
    int rc;

    (void)hall_req_param_i64(req, "id", &id);
    rc = order_of(req, id, &o);
    if (rc != HALL_OK)
        return rc == HALL_ANSWERED ? HALL_OK : HALL_ERR;
    medium = hall_dbres_str(o, 0, "medium_serial");
    if (strcmp(hall_dbres_str(o, 0, "status"), "accepted") != 0)
        return hall_msg(req, HALL_M_RENEW_ASSIST_NOT_ACCEPTED, "id",
                        hall_order_label(hall_dbres_str(o, 0, "status")));
    if (!hall_dbres_bool(o, 0, "usable"))
        return hall_msg(req, HALL_M_RENEW_ASSIST_CERT_GONE, "id",
                        hall_dbres_str(o, 0, "cert_serial"));
    hall_assist_code_new(code);
    if (hall_assist_code_hash(code, hex) != HALL_OK || hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_renew_ticket_code(req->cx, id, hall_dbres_str(o, 0, "cert_serial"), medium, hex);
    if (rc == HALL_CONFLICT) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_RENEW_ASSIST_USED, "id");
    }
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"renew: assist code taken\" order=%lld medium=%s", (long long)id, medium);
    v = hall_req_wants_json(req) ? hall_val_obj(req->pool) : page_ctx(req, o, id);
    hall_val_set_str(req->pool, v, "ticket", code);
    hall_val_set_str(req->pool, v, "medium", medium);
    hall_val_set_fmt(req->pool, v, "command",
                     "hall-assist renew --module %s --token %s --ticket %s --hall %s",
                     module_of(req), medium, code, url);
    hall_val_set_fmt(
        req->pool, v, "message",
        "更新码：%s（仅显示这一次，只能使用一次）。请插入USB Key %s，在本机运行证书助手："
        "hall-assist renew --module %s --token %s --ticket %s --hall %s",
        code, medium, module_of(req), medium, code, url);
    OPENSSL_cleanse(code, sizeof(code));
    if (!hall_req_wants_json(req))
        return hall_resp_page(req, 200, "renew_assist", v);
    return hall_resp_ok(req, v);
}
