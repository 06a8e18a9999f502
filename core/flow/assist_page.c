/*
 * assist_page.c: the holder's page of a USB key's order that the 证书助手
 * finishes on the medium (证书解锁: modules/unlock/unlock_assist.c, 证书更新:
 * modules/renew/renew_assist.c; docs/modules/assist.md).  One page and one
 * code button for both: the order's medium, the step the holder is at, and
 * once it is 成功受理 a one-time code with the exact command.  The code is
 * shown to its holder once and stored as its SHA-256 only (core/biz).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "flow/flow.h"

/* the module the medium was made with: its maker's driver, installed at
 * the same path by the driver's package on the holder's machine */
static const char *
module_of(struct hall_req *req)
{
    const char *m = req->app->conf.medium_module;

    return m != NULL && *m != '\0' ? m : "libszca-pkcs11.so";
}

static struct hall_val *
page_ctx(struct hall_req *req, const struct hall_assist_flow *f, struct hall_dbres *o, int64_t id)
{
    struct hall_val *ctx = hall_flow_page(req, f->title, NULL);
    const char *st = hall_dbres_str(o, 0, "status");
    int accepted = strcmp(st, "accepted") == 0;
    /* 更新: the certificate issued, the tool not yet done writing it */
    int issued =
        f->issued_col != NULL && strcmp(hall_dbres_str(o, 0, f->issued_col), "issued") == 0;

    hall_val_set_int(req->pool, ctx, "id", id);
    hall_dbres_set(req->pool, ctx, o, 0, f->shown);
    hall_val_set_str(req->pool, ctx, "status", hall_order_label(st));
    hall_val_set_bool(req->pool, ctx, "ready", accepted && !issued);
    if (f->issued_col != NULL)
        hall_val_set_bool(req->pool, ctx, "issued", accepted && issued);
    hall_val_set_bool(req->pool, ctx, "done", strcmp(st, "delivered") == 0);
    /* before 成功受理; not an order that ended otherwise (取消, 退费) */
    hall_val_set_bool(req->pool, ctx, "waiting",
                      !accepted && strcmp(st, "delivered") != 0 && strcmp(st, "cancelled") != 0 &&
                          strcmp(st, "refunded") != 0 && strcmp(st, "refund_requested") != 0);
    hall_val_set_str(req->pool, ctx, "module", module_of(req));
    hall_val_set_str(req->pool, ctx, "hall", req->app->conf.public_url);
    return ctx;
}

/* the holder's order of a medium's certificate: HALL_OK, HALL_ANSWERED
 * after a refusal, HALL_ERR when the store failed (unanswered) */
static int
order_of(struct hall_req *req, const struct hall_assist_flow *f, int64_t id,
         struct hall_dbres **out)
{
    struct hall_dbres *o =
        hall_db_exec(req->cx, f->order_stmt, HALL_I64(id), HALL_I64(req->user_id));

    if (o == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, "id"), HALL_ANSWERED;
    if (*hall_dbres_str(o, 0, "medium_serial") == '\0' ||
        strcmp(hall_dbres_str(o, 0, "medium_state"), "issued") != 0)
        return hall_msg(req, f->not_medium, "id"), HALL_ANSWERED;
    *out = o;
    return HALL_OK;
}

int
hall_assist_page(struct hall_req *req, const struct hall_assist_flow *f)
{
    int64_t id = 0;
    struct hall_dbres *o;
    int rc;

    (void)hall_req_param_i64(req, "id", &id);
    rc = order_of(req, f, id, &o);
    if (rc != HALL_OK)
        return rc == HALL_ANSWERED ? HALL_OK : HALL_ERR;
    return hall_resp_page(req, 200, f->tpl, page_ctx(req, f, o, id));
}

int
hall_assist_code(struct hall_req *req, const struct hall_assist_flow *f)
{
    int64_t id = 0;
    struct hall_dbres *o;
    char code[HALL_ASSIST_CODE_LEN + 4], hex[65];
    const char *medium, *url = req->app->conf.public_url;
    struct hall_val *v;
    int rc;

    (void)hall_req_param_i64(req, "id", &id);
    rc = order_of(req, f, id, &o);
    if (rc != HALL_OK)
        return rc == HALL_ANSWERED ? HALL_OK : HALL_ERR;
    medium = hall_dbres_str(o, 0, "medium_serial");
    if (strcmp(hall_dbres_str(o, 0, "status"), "accepted") != 0)
        return hall_msg(req, f->not_accepted, "id",
                        hall_order_label(hall_dbres_str(o, 0, "status")));
    if (!hall_dbres_bool(o, 0, f->live_col))
        return hall_msg(req, f->cert_gone, "id", hall_dbres_str(o, 0, "cert_serial"));
    hall_assist_code_new(code);
    if (hall_assist_code_hash(code, hex) != HALL_OK || hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = f->ticket_code(req->cx, id, hall_dbres_str(o, 0, "cert_serial"), medium, hex);
    if (rc == HALL_CONFLICT) {
        hall_db_rollback(req->cx);
        return hall_msg(req, f->used, "id");
    }
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"%s: assist code taken\" order=%lld medium=%s", f->verb, (long long)id,
              medium);
    v = hall_req_wants_json(req) ? hall_val_obj(req->pool) : page_ctx(req, f, o, id);
    hall_val_set_str(req->pool, v, "ticket", code);
    hall_val_set_str(req->pool, v, "medium", medium);
    hall_val_set_fmt(req->pool, v, "command",
                     "hall-assist %s --module %s --token %s --ticket %s --hall %s", f->verb,
                     module_of(req), medium, code, url);
    hall_val_set_fmt(req->pool, v, "message",
                     "%s：%s（仅显示这一次，只能使用一次）。请插入USB Key %s，在本机运行证书助手："
                     "hall-assist %s --module %s --token %s --ticket %s --hall %s",
                     f->code_word, code, medium, f->verb, module_of(req), medium, code, url);
    OPENSSL_cleanse(code, sizeof(code));
    if (!hall_req_wants_json(req))
        return hall_resp_page(req, 200, f->tpl, v);
    return hall_resp_ok(req, v);
}
