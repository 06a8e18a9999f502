/*
 * admin_approval.c: four eyes (core/biz/approval.c): the pending requests
 * (吊销, 大额退费, staff accounts), who asked, when, why, and the last decided
 * (GET /admin/approvals); a second person approves or refuses one (POST
 * /admin/approvals/approve, /admin/approvals/refuse).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

/* "reviewer,finance" -> "审核员、财务" */
static const char *
roles_label(struct hall_req *req, const char *list)
{
    const char *out = "";
    unsigned bits = hall_staff_roles_parse(list, NULL), bit;

    for (bit = 1; bit <= HALL_ROLE_ADMIN; bit <<= 1)
        if (bits & bit)
            out = hall_psprintf(req->pool, "%s%s%s", out, *out != '\0' ? "、" : "",
                                hall_staff_role_label(bit));
    return out;
}

/* what a request asks, in words (never a password's hash) */
static const char *
approval_what(struct hall_req *req, const char *kind, const char *subject,
              const struct hall_val *payload)
{
    const struct hall_val *amount = payload != NULL ? hall_val_get(payload, "amount_fen") : NULL;

    if (strncmp(kind, "partner_", 8) == 0)
        return admin_partner_what(req, kind, subject, payload);
    if (strcmp(kind, "revoke") == 0 && *hall_val_str(payload, "es_id") != '\0')
        return hall_psprintf(
            req->pool, "注销电子印章 %s 并吊销其专用证书 %s，原因：%s",
            hall_val_str(payload, "es_id"), subject,
            hall_pki_reason_label(hall_pki_reason_code(hall_val_str(payload, "reason"))));
    if (strcmp(kind, "revoke") == 0)
        return hall_psprintf(
            req->pool, "吊销证书 %s，原因：%s", subject,
            hall_pki_reason_label(hall_pki_reason_code(hall_val_str(payload, "reason"))));
    if (strcmp(kind, "refund") == 0)
        return hall_psprintf(req->pool, "退费编号 %s，金额 %s 元", subject,
                             hall_yuan(req->pool, amount != NULL ? amount->i : 0));
    if (strcmp(kind, "staff_add") == 0)
        return hall_psprintf(req->pool, "新建账号 %s，角色：%s", subject,
                             roles_label(req, hall_val_str(payload, "roles")));
    return hall_psprintf(req->pool, "账号 %s 的角色改为：%s", subject,
                         roles_label(req, hall_val_str(payload, "roles")));
}

static void
approval_rows(struct hall_req *req, struct hall_val *ctx, const char *key, struct hall_dbres *res)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, key);
    int i, n = hall_dbres_rows(res), shown = 0;

    for (i = 0; i < n; i++) {
        const char *kind = hall_dbres_str(res, i, "kind"),
                   *payload = hall_dbres_str(res, i, "payload");
        const char *state = hall_dbres_str(res, i, "state");
        int own = hall_dbres_int(res, i, "requested_by") == req->staff->id;
        int may = (req->staff->roles & hall_staff_role_bit(hall_approval_role(kind))) != 0;
        int revoke = strcmp(kind, "revoke") == 0, partner = strncmp(kind, "partner_", 8) == 0;
        struct hall_val *r, *pv;

        /* what the viewer's roles decide, and what they asked themselves:
         * finance is not shown the staff accounts an administrator decides */
        if (!own && !may)
            continue;
        r = hall_val_push_obj(req->pool, list);
        pv = hall_val_parse(req->pool, payload, strlen(payload), NULL, 0);
        shown++;

        hall_val_set_int(req->pool, r, "id", hall_dbres_int(res, i, "id"));
        hall_val_set_str(req->pool, r, "kind", kind);
        hall_val_set_str(req->pool, r, "kind_label", hall_approval_kind_label(kind));
        hall_val_set_str(req->pool, r, "subject", hall_dbres_str(res, i, "subject"));
        hall_val_set_str(req->pool, r, "what",
                         approval_what(req, kind, hall_dbres_str(res, i, "subject"), pv));
        if (*hall_dbres_str(res, i, "order_no") != '\0') {
            struct hall_val *o = hall_val_set_obj(req->pool, r, "order");

            hall_dbres_set(req->pool, o, res, i, "order_no id=order_id:i");
            hall_val_set_fmt(req->pool, r, "what", "业务单 %s：%s",
                             hall_dbres_str(res, i, "order_no"),
                             approval_what(req, kind, hall_dbres_str(res, i, "subject"), pv));
        }
        hall_dbres_set(req->pool, r, res, i, "reason requested_by=requested_login created_at");
        hall_val_set_str(req->pool, r, "state", state);
        hall_val_set_str(req->pool, r, "state_label",
                         strcmp(state, "approved") == 0  ? "已批准"
                         : strcmp(state, "refused") == 0 ? "已拒绝"
                         : strcmp(state, "moot") == 0    ? "已自动关闭"
                                                         : "待批准");
        /* moot (sql/089): nobody decided it, its note says what happened */
        hall_val_set_str(req->pool, r, "decided_by",
                         strcmp(state, "moot") == 0 ? "—"
                                                    : hall_dbres_str(res, i, "decided_login"));
        hall_dbres_set(req->pool, r, res, i, "decided_at decision_note");
        hall_val_set_str(req->pool, r, "role_label",
                         hall_staff_role_label(hall_staff_role_bit(hall_approval_role(kind))));
        hall_val_set_bool(req->pool, r, "own", own);
        hall_val_set_bool(req->pool, r, "can_decide", !own && may);
        /* a revocation is made where the CA keys are (modules/pki); a
         * partner's change answers the page that shows its secret once
         * (admin_partner.c), a plain form post: no data-ajax */
        hall_val_set_str(req->pool, r, "approve_url",
                         revoke    ? "/admin/pki/revoke/approve"
                         : partner ? "/admin/partner/approve"
                                   : "/admin/approvals/approve");
        hall_val_set_str(req->pool, r, "refuse_url",
                         revoke    ? "/admin/pki/revoke/refuse"
                         : partner ? "/admin/partner/refuse"
                                   : "/admin/approvals/refuse");
        hall_val_set_bool(req->pool, r, "reveal", partner);
    }
    hall_val_set_bool(req->pool, ctx, hall_psprintf(req->pool, "%s_empty", key), shown == 0);
}

/* GET /admin/approvals: the pending requests the viewer may decide or
 * asked, who asked, when and why; then the decided ones likewise */
int
admin_approvals_page(struct hall_req *req)
{
    struct hall_dbres *open, *closed;
    struct hall_val *ctx;
    int json = admin_json_asked(req);

    if (admin_partner_path(req))
        return HALL_OK;
    open = hall_db_exec(req->cx, "approvals_list", HALL_STR("t"), HALL_I64(200));
    closed =
        open != NULL ? hall_db_exec(req->cx, "approvals_list", HALL_STR("f"), HALL_I64(30)) : NULL;
    if (closed == NULL)
        return HALL_ERR;
    ctx = json ? hall_val_obj(req->pool) : admin_page_ctx(req, "待批准");
    approval_rows(req, ctx, "pending", open);
    approval_rows(req, ctx, "decided", closed);
    hall_val_set_str(req->pool, ctx, "refund_four_eyes",
                     hall_yuan(req->pool, req->app->conf.refund_four_eyes_fen));
    if (json)
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_approvals", ctx);
}

/*
 * A second person decides a refund or a staff account's request: in one
 * transaction the request is decided (once, never by its requester, by a
 * member with the kind's role) and, approved, what it asked is done, all
 * audited.  Revocations are decided in modules/pki (/admin/pki/revoke/...).
 */
static int
approvals_decide(struct hall_req *req, int approve)
{
    const char *note = hall_req_param(req, "note"), *done = "已批准";
    struct hall_approval a;
    int64_t id;
    int rc;

    if (admin_partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_approval_decide(req->cx, id, "refund,staff_add,staff_roles", req->staff->id, approve,
                              note, &a);
    if (rc != HALL_OK)
        return hall_foureyes_refused(req, rc);
    if (!approve) {
        done = strcmp(a.kind, "refund") == 0 ? "已拒绝，该退费回到待财务审核" : "已拒绝该申请";
    } else if (strcmp(a.kind, "refund") == 0) {
        struct hall_refund rf;

        rc = hall_refund_lock(req->cx, strtoll(a.subject, NULL, 10), &rf);
        if (rc == HALL_ERR)
            return HALL_ERR;
        if (rc == 0)
            return hall_msg(req, HALL_M_REFUND_NOT_FOUND, NULL);
        if (strcmp(rf.status, "requested") != 0)
            return hall_msg(req, HALL_M_APPROVAL_STALE, NULL, admin_refund_status_label(rf.status));
        rc = admin_refund_apply(req, &rf, 'A', hall_val_str(a.payload, "note"),
                                hall_psprintf(req->pool, "staff:%lld", (long long)a.requested_by),
                                &done);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_ORDER_CHANGED, NULL);
    } else {
        rc = hall_approval_staff_apply(req->cx, &a, req->staff->id);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_APPROVAL_STALE, NULL,
                            strcmp(a.kind, "staff_add") == 0 ? "登录名已存在" : "账号不存在");
        done = strcmp(a.kind, "staff_add") == 0 ? "已批准，账号已创建" : "已批准，角色已变更";
    }
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"staff request decided\" staff=%lld request=%lld kind=%s approved=%d",
              (long long)req->staff->id, (long long)id, a.kind, approve);
    return hall_resp_go(req, "/admin/approvals", done);
}

int
admin_do_approvals_approve(struct hall_req *req)
{
    return approvals_decide(req, 1);
}

int
admin_do_approvals_refuse(struct hall_req *req)
{
    return approvals_decide(req, 0);
}
