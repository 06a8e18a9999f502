/*
 * admin_refund.c: refunds (退费, issue 9) as finance sees them: the list to
 * decide and the last decided (GET /admin/refunds), approve and refuse (POST
 * /admin/refund/approve, /admin/refund/refuse) through core/biz/refund.c;
 * above refund_four_eyes_fen an approval becomes a request that a second
 * finance member decides (admin_approval.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static const char *
refund_kind_label(const char *kind)
{
    return strcmp(kind, "surplus") == 0 ? "重复支付（自动退还）" : "申请退费";
}

const char *
admin_refund_status_label(const char *status)
{
    static const struct {
        const char *code, *label;
    } labels[] = {
        {"requested", "待财务审核"}, {"approved", "退款中"},   {"done", "已退款"},
        {"refused", "未通过"},       {"manual", "已人工退回"}, {NULL, NULL},
    };
    int i;

    for (i = 0; labels[i].code != NULL; i++)
        if (strcmp(labels[i].code, status) == 0)
            return labels[i].label;
    return status;
}

static const char *
method_label(const char *m)
{
    if (strcmp(m, "wechat") == 0)
        return "微信支付";
    if (strcmp(m, "alipay") == 0)
        return "支付宝";
    return "对公转账";
}

static void
refund_rows(struct hall_req *req, struct hall_val *ctx, const char *key, struct hall_dbres *res)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, key);
    const struct hall_dbcols *head, *waiting, *money, *tail;
    int i, n = hall_dbres_rows(res);

    head = hall_dbres_cols(req->pool, res, "id:i kind");
    waiting = hall_dbres_cols(req->pool, res, "awaiting_by");
    money = hall_dbres_cols(req->pool, res,
                            "amount_fen:i reason created_at order_id:i order_no subject method");
    tail = hall_dbres_cols(req->pool, res, "partner_name note done_at");
    for (i = 0; i < n; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, list);
        const char *status = hall_dbres_str(res, i, "status");

        hall_dbres_put(req->pool, r, res, i, head);
        hall_val_set_str(req->pool, r, "kind_label",
                         refund_kind_label(hall_dbres_str(res, i, "kind")));
        hall_val_set_str(req->pool, r, "status", status);
        hall_val_set_str(req->pool, r, "status_label", admin_refund_status_label(status));
        /* four eyes: approved once, waiting for a second finance member */
        hall_dbres_put(req->pool, r, res, i, waiting);
        if (*hall_dbres_str(res, i, "awaiting_by") != '\0')
            hall_val_set_fmt(req->pool, r, "status_label", "待复核（%s已批准）",
                             hall_dbres_str(res, i, "awaiting_by"));
        hall_val_set_bool(req->pool, r, "to_decide",
                          strcmp(status, "requested") == 0 &&
                              *hall_dbres_str(res, i, "awaiting_by") == '\0');
        hall_val_set_str(req->pool, r, "amount",
                         hall_yuan(req->pool, hall_dbres_int(res, i, "amount_fen")));
        hall_dbres_put(req->pool, r, res, i, money);
        hall_val_set_str(req->pool, r, "method_label",
                         method_label(hall_dbres_str(res, i, "method")));
        hall_val_set_bool(req->pool, r, "transfer",
                          strcmp(hall_dbres_str(res, i, "method"), "transfer") == 0);
        hall_dbres_put(req->pool, r, res, i, tail);
    }
    hall_val_set_bool(req->pool, ctx, hall_psprintf(req->pool, "%s_empty", key), n == 0);
}

/* GET /admin/refunds: the finance queue of refunds */
int
admin_refunds_page(struct hall_req *req)
{
    struct hall_dbres *open, *closed;
    struct hall_val *ctx;
    int json = admin_json_asked(req);

    if (admin_partner_path(req))
        return HALL_OK;
    open = hall_db_exec(req->cx, "refunds_open", HALL_STR("t"), HALL_I64(200));
    closed =
        open != NULL ? hall_db_exec(req->cx, "refunds_open", HALL_STR("f"), HALL_I64(30)) : NULL;
    if (closed == NULL)
        return HALL_ERR;
    ctx = json ? hall_val_obj(req->pool) : admin_page_ctx(req, "退费处理");
    refund_rows(req, ctx, "refunds", open);
    refund_rows(req, ctx, "finished", closed);
    hall_val_set_str(req->pool, ctx, "refund_four_eyes",
                     hall_yuan(req->pool, req->app->conf.refund_four_eyes_fen));
    if (json)
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_refunds", ctx);
}

/*
 * What a finance decision on a refund does, inside the caller's transaction
 * (rf locked, still 'requested'): core/biz/refund.c's hall_refund_decide.
 * 'A' approve: an online payment goes back through the gateway (refund
 * approved, the outbox job pay_refund does the rest: 已退费 + SMS); a
 * corporate transfer cannot, finance pays it back by hand and records how
 * (note required): 已退费 + SMS at once.  'R' refuse with a reason: the
 * order goes back where it was and the applicant reads the reason in the
 * personal center and by SMS.  first: the actor of the first of two
 * approvals (four eyes), or NULL.  *done: what the page says.
 */
int
admin_refund_apply(struct hall_req *req, const struct hall_refund *rf, char kind, const char *note,
                   const char *first, const char **done)
{
    const char *status;
    int rc;

    rc = hall_refund_decide(req->cx, rf, kind == 'A', note, hall_staff_actor(req), first, &status);
    if (kind == 'R')
        *done = "已拒绝退费，业务单已恢复原状态，短信已发送";
    else if (strcmp(status, "manual") == 0)
        *done = "已记录人工退款，业务单已退费，短信已发送";
    else
        *done = "已同意退费，款项将通过支付渠道原路退回";
    if (rc == HALL_OK)
        hall_info(req, "msg=\"refund decided\" staff=%lld refund=%lld order=%lld status=%s",
                  (long long)req->staff->id, (long long)rf->id, (long long)rf->order_id, status);
    return rc;
}

/* a JSON answer with the new request's id, or the page it waits on */
static int
resp_requested(struct hall_req *req, const char *message, int64_t request_id)
{
    struct hall_val *v;

    if (!admin_json_asked(req))
        return hall_resp_redirect(req, "/admin/approvals");
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "redirect", "/admin/approvals");
    hall_val_set_str(req->pool, v, "message", message);
    hall_val_set_int(req->pool, v, "request_id", request_id);
    return hall_resp_ok(req, v);
}

/*
 * Finance decides a refund request, in one transaction, audited.  A refund
 * above refund_four_eyes_fen is four eyes: this approval becomes a request
 * (staff_requests) that a second finance member approves on
 * /admin/approvals; nothing is paid back before.  While it waits, the
 * refund is neither approved nor refused here again.
 */
static int
refund_decide(struct hall_req *req, char kind)
{
    const char *note = hall_req_param(req, kind == 'A' ? "note" : "reason");
    const char *done = NULL, *sid;
    struct hall_approval a;
    struct hall_refund rf;
    int64_t id, amount;
    int rc;

    if (admin_partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    sid = hall_psprintf(req->pool, "%lld", (long long)id);
    if (note == NULL)
        note = "";
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_refund_lock(req->cx, id, &rf);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == 0)
        return hall_msg(req, HALL_M_REFUND_NOT_FOUND, NULL);
    if (strcmp(rf.status, "requested") != 0)
        return hall_msg(req, HALL_M_REFUND_DECIDE_STATE, NULL,
                        admin_refund_status_label(rf.status));
    rc = hall_approval_pending_of(req->cx, "refund", sid, &a);
    if (rc < 0)
        return HALL_ERR;
    if (rc > 0)
        return hall_msg(req, HALL_M_REFUND_AWAITING, NULL, a.requested_login);
    amount = rf.amount_fen;
    if (kind == 'A' && strcmp(rf.method, "transfer") == 0 && *note == '\0')
        return hall_msg(req, HALL_M_REFUND_NOTE_NEEDED, "note");
    if (kind == 'A' && amount > req->app->conf.refund_four_eyes_fen) {
        struct hall_val *payload = hall_val_obj(req->pool);
        int64_t rid = 0;

        hall_val_set_str(req->pool, payload, "note", note);
        hall_val_set_int(req->pool, payload, "amount_fen", amount);
        rc = hall_approval_request(req->cx, "refund", sid, payload, req->staff->id,
                                   hall_psprintf(req->pool, "同意退费 %s 元（%s）",
                                                 hall_yuan(req->pool, amount), rf.order_no),
                                   &rid);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_APPROVAL_DECIDED, NULL);
        if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_info(req, "msg=\"refund approval requested\" staff=%lld refund=%lld request=%lld",
                  (long long)req->staff->id, (long long)id, (long long)rid);
        return resp_requested(
            req,
            hall_psprintf(req->pool,
                          "退费金额超过 %s 元，已提交，须由另一位财务人员在“待批准”中复核",
                          hall_yuan(req->pool, req->app->conf.refund_four_eyes_fen)),
            rid);
    }
    rc = admin_refund_apply(req, &rf, kind, note, NULL, &done);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_ORDER_CHANGED, NULL);
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return hall_resp_go(req, "/admin/refunds", done);
}

int
admin_do_refund_approve(struct hall_req *req)
{
    return refund_decide(req, 'A');
}

int
admin_do_refund_refuse(struct hall_req *req)
{
    return refund_decide(req, 'R');
}
