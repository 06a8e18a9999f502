/*
 * admin_queue.c: what waits for the staff: the start page (GET /admin), the
 * review queue (GET /admin/review, by SLA due date, searched by order number
 * or 主题), finance's queue of corporate transfers (GET /admin/finance), and
 * the outbox's dead jobs, which finance sends again (GET /admin/outbox, POST
 * /admin/outbox/retry).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define QUEUE_PAGE 50 /* orders a page of a queue */

int
admin_home_page(struct hall_req *req)
{
    struct hall_val *ctx, *roles;
    unsigned bit;

    if (admin_partner_path(req))
        return HALL_OK;
    ctx = admin_page_ctx(req, "管理后台");
    roles = hall_val_set_list(req->pool, ctx, "roles");
    for (bit = 1; bit <= HALL_ROLE_ADMIN; bit <<= 1)
        if (req->staff->roles & bit)
            hall_val_push_str(req->pool, roles, hall_staff_role_label(bit));
    return hall_resp_page(req, 200, "admin_home", ctx);
}

/* the review queue and the finance queue: same shape, other statements */
static int
queue(struct hall_req *req, const char *stmt, const char *count_stmt, const char *title,
      const char *tmpl)
{
    struct hall_dbres *res, *cnt;
    struct hall_val *ctx, *list;
    struct admin_order_cols oc;
    const char *q;
    int64_t page = 1, total, pages;
    int i, n;

    if (admin_partner_path(req))
        return HALL_OK;
    if (hall_req_param(req, "page") != NULL && *hall_req_param(req, "page") != '\0')
        hall_req_param_i64(req, "page", &page);
    /* 申请单号, or part of the 主题 */
    q = hall_req_param(req, "q");
    if (q == NULL)
        q = "";
    cnt = hall_db_exec(req->cx, count_stmt, HALL_STR(q));
    res = hall_db_exec(req->cx, stmt, HALL_I64(QUEUE_PAGE), HALL_I64((page - 1) * QUEUE_PAGE),
                       HALL_STR(q));
    if (cnt == NULL || res == NULL)
        return HALL_ERR;
    total = hall_dbres_int(cnt, 0, "total");
    pages = total == 0 ? 1 : (total + QUEUE_PAGE - 1) / QUEUE_PAGE;
    ctx = admin_json_asked(req) ? hall_val_obj(req->pool) : admin_page_ctx(req, title);
    list = hall_val_set_list(req->pool, ctx, "orders");
    n = hall_dbres_rows(res);
    admin_order_cols(req, res, &oc);
    for (i = 0; i < n; i++)
        admin_order_val(req, hall_val_push_obj(req->pool, list), res, i, &oc);
    hall_val_set_int(req->pool, ctx, "total", total);
    hall_dbres_set(req->pool, ctx, cnt, 0, "overdue_total:i");
    hall_val_set_int(req->pool, ctx, "page", page);
    hall_val_set_int(req->pool, ctx, "pages", pages);
    hall_val_set_str(req->pool, ctx, "q", q);
    if (admin_json_asked(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_bool(req->pool, ctx, "empty", n == 0);
    if (page > 1)
        hall_val_set_int(req->pool, ctx, "prev_page", page - 1);
    if (page < pages)
        hall_val_set_int(req->pool, ctx, "next_page", page + 1);
    return hall_resp_page(req, 200, tmpl, ctx);
}

/* an order number as hall_order_apply makes them: the business's letter,
 * the day (8 digits) and a serial of 6 digits or more (sql/104) */
static int
order_no_shaped(const char *q)
{
    size_t n = q != NULL ? strlen(q) : 0;

    return n >= 15 && n <= 32 && q[0] >= 'A' && q[0] <= 'Z' && strspn(q + 1, "0123456789") == n - 1;
}

int
admin_review_queue(struct hall_req *req)
{
    /* a queue holds days of a CA's orders (thousands): searched for a 主题
     * it is read whole, an order number is found by its index instead (no
     * 主题 looks like one) */
    if (order_no_shaped(hall_req_param(req, "q")))
        return queue(req, "queue_review_no", "queue_review_no_count", "审核队列", "admin_review");
    return queue(req, "queue_review", "queue_review_count", "审核队列", "admin_review");
}

int
admin_finance_queue(struct hall_req *req)
{
    return queue(req, "queue_finance", "queue_finance_count", "对公转账到账确认", "admin_finance");
}

/* ---- the outbox's dead jobs (finance) ------------------------------------------ */

/* dead jobs: what they are and why they died; never their payload */
int
admin_outbox_page(struct hall_req *req)
{
    struct hall_dbres *res;
    struct hall_val *ctx, *list;
    const struct hall_dbcols *job;
    int i, n;

    if (admin_partner_path(req))
        return HALL_OK;
    res = hall_db_exec(req->cx, "outbox_dead");
    if (res == NULL)
        return HALL_ERR;
    ctx = admin_json_asked(req) ? hall_val_obj(req->pool) : admin_page_ctx(req, "失败的外部调用");
    list = hall_val_set_list(req->pool, ctx, "jobs");
    n = hall_dbres_rows(res);
    job = hall_dbres_cols(req->pool, res,
                          "id:i kind idem_key attempts:i last_error created_at "
                          "last_attempt_at=next_attempt_at");
    for (i = 0; i < n; i++)
        hall_dbres_put(req->pool, hall_val_push_obj(req->pool, list), res, i, job);
    hall_val_set_bool(req->pool, ctx, "empty", n == 0);
    if (admin_json_asked(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_outbox", ctx);
}

/* a dead job gets outbox_max_attempts more; its idempotency key is kept, so
 * a provider that did act before answers with its first result */
int
admin_do_outbox_retry(struct hall_req *req)
{
    struct hall_dbres *res;
    struct hall_val *detail;
    const char *sid;
    int64_t id;

    if (admin_partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    sid = hall_psprintf(req->pool, "%lld", (long long)id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_outbox_retry(req->cx, id);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        /* no such job (404) is not a job that is not dead (409) */
        res = hall_db_exec(req->cx, "outbox_exists", HALL_I64(id));
        if (res == NULL)
            return HALL_ERR;
        return hall_msg(
            req, hall_dbres_rows(res) == 0 ? HALL_M_OUTBOX_NOT_FOUND : HALL_M_OUTBOX_NOT_DEAD,
            NULL);
    }
    detail = hall_val_obj(req->pool);
    hall_dbres_set(req->pool, detail, res, 0, "kind idem_key");
    if (hall_audit(req->cx, hall_staff_actor(req), "outbox", sid, "retry", "dead", "pending",
                   detail) != HALL_OK ||
        hall_db_exec(req->cx, "outbox_wake", HALL_STR(hall_dbres_str(res, 0, "kind"))) == NULL ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"outbox retry\" staff=%lld job=%lld", (long long)req->staff->id,
              (long long)id);
    return hall_resp_go(req, "/admin/outbox", "已重新加入发送队列");
}
