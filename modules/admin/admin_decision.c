/*
 * admin_decision.c: the staff decide an order: the reviewer approves or
 * rejects it (POST /admin/order/approve, /admin/order/reject), finance
 * confirms or refuses a corporate transfer (POST /admin/transfer/confirm,
 * /admin/transfer/refuse), each through hall_order_move with its SMS queued
 * in the same transaction; and finance opens a 金融认证 locked after too many
 * wrong codes (POST /admin/finauth/unlock).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

/*
 * The SMS of a decision (seed 002), to the agent for organisation
 * certificates and to the applicant for natural persons; queued in the
 * caller's transaction.  kind: 'A' approved, 'R' rejected (reason), 'F' the
 * transfer voucher refused by finance (reason).  The text is personal data:
 * never logged.
 */
static int
decision_sms(struct hall_req *req, int64_t id, const struct hall_dbres *o,
             const struct hall_val *form, char kind, const char *reason)
{
    const char *cert = hall_dbres_str(o, 0, "cert_type");
    const char *phone =
        hall_val_str(form, strcmp(cert, "person") == 0 ? "app_mobile" : "agent_mobile");
    const char *biz = hall_psprintf(req->pool, "%s%s", hall_dbres_str(o, 0, "sms_business_name"),
                                    admin_business_label(hall_dbres_str(o, 0, "business_type"), 1));
    /* a partner's own site in the texts (seed 003, szjsgws: www.szca.com) */
    const char *site = hall_dbres_str(o, 0, "sms_site");
    const char *partner = hall_dbres_str(o, 0, "partner_code"), *key;
    unsigned char nonce[8];

    if (strlen(phone) != 11 || strspn(phone, "0123456789") != 11) {
        hall_warn(req, "msg=\"decision sms: no recipient\" order=%lld", (long long)id);
        return HALL_OK;
    }
    if (reason != NULL) {
        size_t n = strlen(reason);

        /* the text supplies the full stop after the reason */
        if (n >= 3 && strcmp(reason + n - 3, "。") == 0)
            reason = hall_pstrndup(req->pool, reason, n - 3);
        else if (n >= 1 && reason[n - 1] == '.')
            reason = hall_pstrndup(req->pool, reason, n - 1);
    }
    /* one message per decision, however often the outbox retries it */
    hall_rand_bytes(nonce, sizeof(nonce));
    key = hall_psprintf(req->pool, "sms-review-%lld-%s-%s", (long long)id,
                        kind == 'A'   ? "accepted"
                        : kind == 'R' ? "rejected"
                                      : "refused",
                        hall_hex(req->pool, nonce, sizeof(nonce)));
    if (*site == '\0')
        site = "深圳CA申请页面";
    if (kind == 'F')
        return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_transfer_refused, "business",
                              biz, "reason", reason, "site", site, NULL);
    if (reason == NULL)
        return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_approved, "business", biz,
                              "site", site, NULL);
    if (*hall_dbres_str(o, 0, "sms_site") != '\0')
        return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_rejected_site, "business",
                              biz, "reason", reason, "site", site, NULL);
    return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_rejected, "business", biz,
                          "reason", reason, NULL);
}

/*
 * One status change by staff: the order must exist (404), the move must be
 * allowed from where it is now (409), then the extra update and the SMS in
 * the same transaction.  kind: 'A' approve, 'R' reject, 'C' confirm
 * transfer, 'F' refuse transfer.
 */
static int
decide(struct hall_req *req, char kind)
{
    /* declared (and so checked) for reject and refuse only */
    const char *reason = kind == 'R' || kind == 'F' ? hall_req_param(req, "reason") : NULL;
    const char *from = "review", *to, *done;
    struct hall_val *detail = NULL, *form;
    struct hall_dbres *o, *res = NULL, *accepted = NULL;
    int64_t id;
    int rc;

    if (admin_partner_path(req))
        return HALL_OK;
    o = admin_order_load(req);
    if (o == NULL)
        return HALL_ERR;
    id = hall_dbres_int(o, 0, "id");
    switch (kind) {
    case 'A':
        to = "accepted";
        done = "已审核通过（成功受理），短信已发送";
        break;
    case 'R':
        to = "rejected";
        done = "已审核驳回，短信已发送";
        break;
    case 'C':
        from = "transfer_review";
        to = "review";
        done = "已确认到账，业务单进入审核";
        break;
    default:
        from = "transfer_review";
        to = "unpaid";
        done = "已退回，业务单回到待支付";
        break;
    }
    if (reason != NULL && *reason != '\0') {
        detail = hall_val_obj(req->pool);
        /* the audit row keeps it masked: it may quote an ID number */
        hall_val_set_str(req->pool, detail, "reason", hall_partner_mask_digits(req->pool, reason));
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_order_move(req->cx, id, from, to, hall_staff_actor(req), detail);
    if (rc == HALL_CONFLICT) {
        const char *label = hall_order_label(hall_dbres_str(o, 0, "status"));

        return hall_msg(req, HALL_M_DECIDE_STATE, NULL,
                        label != NULL ? label : hall_dbres_str(o, 0, "status"));
    }
    if (rc != HALL_OK)
        return HALL_ERR;
    if (kind == 'A') {
        /* 介质遗失补办: the old certificate is revoked with the approval
         * (core/flow/reissue_review.c) */
        const char *why;

        rc = hall_replace_approved(req, id, hall_staff_actor(req), &why);
        if (rc == HALL_CONFLICT)
            return hall_resp_error(req, 409, NULL, why);
        if (rc != HALL_OK)
            return HALL_ERR;
        accepted = hall_order_accepted(req->cx, id);
        if (accepted == NULL)
            return HALL_ERR;
        /* seeds 001/002: the e-invoice once the application is approved
         * (审核通过后…开具电子发票), once per order (core/biz/invoice.c) */
        if (hall_invoice_queue(req->cx, id) != HALL_OK)
            return HALL_ERR;
        /* seed 004: 审核成功后 the 0.01 deposit with the new certificate's PIN */
        res = hall_db_exec(req->cx, "order_pin_deposit", HALL_I64(id));
        if (res == NULL || hall_dbres_rows(res) == 0)
            return HALL_ERR;
        if (hall_dbres_bool(res, 0, "due") && hall_finauth_queue(req, id) != HALL_OK)
            return hall_req_failed(req);
    }
    if (kind == 'C' || kind == 'F') {
        rc = hall_payment_transfer_decided(req->cx, id, kind == 'C', kind == 'F' ? reason : "");
        if (rc == HALL_ERR)
            return HALL_ERR;
        if (rc == 0)
            hall_warn(req, "msg=\"transfer decided without a pending payment\" order=%lld",
                      (long long)id);
    }
    if (kind == 'F') {
        /* the applicant learns why, once: the move above let one click through */
        form = admin_form_of(req, o, hall_dbres_col(o, "form_enc"));
        if (form == NULL || form->type != HALL_V_OBJ) {
            hall_err(req, "msg=\"order form unreadable\" order=%lld", (long long)id);
            return HALL_ERR;
        }
        if (decision_sms(req, id, o, form, 'F', reason) != HALL_OK)
            return hall_req_failed(req);
        done = "已退回，业务单回到待支付，退回原因已短信通知申请人";
    }
    if (kind == 'R')
        res = hall_order_rejected(req->cx, id, reason);
    else if (kind == 'A')
        res = accepted;
    if (kind == 'A' || kind == 'R') {
        if (res == NULL || hall_dbres_rows(res) == 0)
            return HALL_ERR;
        form = admin_form_of(req, res, hall_dbres_col(res, "form_enc"));
        if (form == NULL || form->type != HALL_V_OBJ) {
            hall_err(req, "msg=\"order form unreadable\" order=%lld", (long long)id);
            return HALL_ERR;
        }
        if (decision_sms(req, id, o, form, kind, kind == 'R' ? reason : NULL) != HALL_OK)
            return hall_req_failed(req);
    }
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"staff decision\" staff=%lld order=%lld from=%s to=%s",
              (long long)req->staff->id, (long long)id, from, to);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/order?id=%lld", (long long)id), done);
}

int
admin_do_approve(struct hall_req *req)
{
    return decide(req, 'A');
}

int
admin_do_reject(struct hall_req *req)
{
    return decide(req, 'R');
}

int
admin_do_confirm(struct hall_req *req)
{
    return decide(req, 'C');
}

int
admin_do_refuse(struct hall_req *req)
{
    return decide(req, 'F');
}

/* ---- finance: a locked financial authentication ------------------------------ */

/*
 * The agent typed finauth_max_tries wrong codes: the newest attempt is
 * 'locked' (modules/finauth).  Finance, having checked who is asking, opens
 * it again with its count at 0; the memo code stays the one the bank sent.
 */
/*
 * POST /admin/unlock/code-reset: the reviewer voids a USB key 证书解锁's
 * code (locked by wrong tries, or thought seen by another); the holder
 * takes a new one on the order's page.  A code is shown to its holder
 * only: staff never see one.
 */
int
admin_do_unlock_code_reset(struct hall_req *req)
{
    struct hall_dbres *o;
    int64_t id;
    int rc;

    if (admin_partner_path(req))
        return HALL_OK;
    o = admin_order_load(req);
    if (o == NULL)
        return HALL_ERR;
    id = hall_dbres_int(o, 0, "id");
    rc = hall_assist_staff_reset(req->cx, id, hall_staff_actor(req));
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_ASSIST_RESET_NONE, "id");
    if (rc != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"unlock code reset\" staff=%lld order=%lld", (long long)req->staff->id,
              (long long)id);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/order?id=%lld", (long long)id),
                        "解锁码已作废，持有人可在业务单详情页重新获取");
}

int
admin_do_finauth_unlock(struct hall_req *req)
{
    struct hall_dbres *o, *a;
    struct hall_val *detail;
    int64_t id;

    if (admin_partner_path(req))
        return HALL_OK;
    o = admin_order_load(req);
    if (o == NULL)
        return HALL_ERR;
    id = hall_dbres_int(o, 0, "id");
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    a = hall_db_exec(req->cx, "finauth_lock", HALL_I64(id));
    if (a == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(a) == 0 || strcmp(hall_dbres_str(a, 0, "result"), "locked") != 0)
        return hall_msg(req, HALL_M_FINAUTH_NOT_LOCKED, NULL);
    if (hall_finauth_unlock(req->cx, hall_dbres_int(a, 0, "id")) != HALL_OK)
        return HALL_ERR;
    detail = hall_val_obj(req->pool);
    hall_dbres_set(req->pool, detail, a, 0, "attempt_id=id:i tries:i");
    if (hall_audit(req->cx, hall_staff_actor(req), "order", hall_dbres_str(o, 0, "id"),
                   "finauth_unlock", NULL, NULL, detail) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"finauth unlocked\" staff=%lld order=%lld", (long long)req->staff->id,
              (long long)id);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/order?id=%lld", (long long)id),
                        hall_psprintf(req->pool, "金融认证已解锁，经办人可重新输入%s",
                                      hall_finauth_code_name(
                                          strcmp(hall_dbres_str(a, 0, "memo_kind"), "pin") == 0)));
}
