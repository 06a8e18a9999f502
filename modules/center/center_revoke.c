/*
 * center_revoke.c: 撤销, the holder's own revocation of a certificate: the
 * page (GET /center/cert/revoke), the SMS code to the account's phone (POST
 * /center/cert/revoke/code), the revocation confirmed (POST
 * /center/cert/revoke).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center.h"

/*
 * From 我的证书, for a valid or expiring certificate: the page shows the
 * certificate, the reasons, that it cannot be undone, the seals it signs
 * and the orders under way that replace it; an SMS code to the account's
 * phone confirms.  The revocation is hall_pki_revoke's (the OCSP answer
 * changes at once, core/pki/ca.c), the CRL follows within hall-outbox's CA
 * tick; no fee.  docs/modules/center.md.
 */

/* the reasons a holder may give for 撤销 (the CRL's, RFC 5280);
 * center.c's route names them as its parameter's choices */
const char *const center_revoke_reasons[] = {"keyCompromise", "affiliationChanged",
                                             "cessationOfOperation", "superseded", NULL};

/* the reasons as the holder reads them (the CRL's reason codes, RFC 5280) */
static const char *const revoke_reason_words[] = {
    "证书私钥或介质丢失、被盗，或可能被他人知悉",
    "证书中的机构名称、法定代表人等信息已发生变化",
    "不再需要使用该证书",
    "已有新证书代替该证书",
};

/* what becomes of an order under way that replaces the certificate */
static const char *
revoke_order_effect(const char *status, int *cancel)
{
    *cancel = strcmp(status, "draft") == 0 || strcmp(status, "unpaid") == 0;
    if (*cancel)
        return "尚未缴费，将随撤销自动取消";
    if (strcmp(status, "accepted") == 0)
        return "已受理，新证书照常制作";
    if (strcmp(status, "refund_requested") == 0)
        return "退费审核中，不受影响";
    return "原证书撤销后不能再通过审核，已缴费用可在“我的业务单”申请退费";
}

/* the account's phone as the header shows it (138****1234) */
static const char *
revoke_who(const struct hall_req *req)
{
    if (req->session != NULL && req->session->who != NULL && *req->session->who != '\0')
        return req->session->who;
    return "账号手机";
}

/* the account's own phone, decrypted; NULL on failure */
static const char *
revoke_phone(struct hall_req *req)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "revoke_phone", HALL_I64(req->user_id));
    const unsigned char *enc;
    size_t n;

    if (res == NULL || hall_dbres_rows(res) == 0)
        return NULL;
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "phone_enc"), &n);
    return enc != NULL ? hall_pii_decrypt(req->pool, enc, n) : NULL;
}

/* the serial of a request: 400 or 404 answered (*rc) when it is not one of
 * the applicant's signed certificates, *rc HALL_ERR unanswered when the
 * store failed; the row otherwise */
static struct hall_dbres *
revoke_cert(struct hall_req *req, const char *serial, int *rc)
{
    struct hall_dbres *res;

    if (!hall_pki_serial_ok(serial)) {
        *rc = hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
        return NULL;
    }
    res = hall_db_exec(req->cx, "revoke_cert", HALL_STR(serial), HALL_I64(req->user_id));
    if (res == NULL) {
        *rc = HALL_ERR;
        return NULL;
    }
    /* another's serial answers as one that does not exist */
    if (hall_dbres_rows(res) == 0) {
        *rc = hall_msg(req, HALL_M_MYCERT_NOT_FOUND, "serial");
        return NULL;
    }
    return res;
}

int
center_revoke_page(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial");
    struct hall_dbres *res, *seals, *orders;
    struct hall_val *ctx, *cert, *list;
    const char *kind, *label, *code;
    int i, rc, cancel;

    res = revoke_cert(req, serial, &rc);
    if (res == NULL)
        return rc;
    seals = hall_db_exec(req->cx, "revoke_seals", HALL_STR(serial));
    orders = seals != NULL ? hall_db_exec(req->cx, "revoke_orders", HALL_STR(serial)) : NULL;
    if (orders == NULL)
        return HALL_ERR;
    if (hall_req_wants_json(req)) {
        ctx = hall_val_obj(req->pool);
    } else {
        ctx = hall_page_ctx(req);
        hall_val_set_str(req->pool, ctx, "title", "撤销证书");
    }
    cert = hall_val_set_obj(req->pool, ctx, "cert");
    kind = hall_dbres_str(res, 0, "seal_kind");
    code = center_cert_state(hall_dbres_str(res, 0, "state"), hall_dbres_bool(res, 0, "expired"), 0,
                             &label);
    hall_val_set_str(req->pool, cert, "serial", serial);
    hall_val_set_str(req->pool, cert, "subject",
                     hall_pki_subject_text(req->pool, hall_dbres_str(res, 0, "subject_cn"),
                                           hall_dbres_str(res, 0, "subject_org")));
    hall_val_set_str(req->pool, cert, "cert_type_label",
                     hall_cert_type_label(*kind != '\0' && strcmp(kind, "org") != 0
                                              ? kind
                                              : hall_dbres_str(res, 0, "cert_type")));
    hall_val_set_str(req->pool, cert, "ca_label", center_ca_label(hall_dbres_str(res, 0, "ca")));
    hall_dbres_set(req->pool, cert, res, 0, "not_before not_after");
    hall_val_set_str(req->pool, cert, "state", code);
    hall_val_set_str(req->pool, cert, "state_label", label);
    hall_dbres_set(req->pool, cert, res, 0, "order_id order_no");
    if (strcmp(code, "revoked") == 0) {
        int reason = (int)hall_dbres_int(res, 0, "revoke_reason");

        hall_dbres_set(req->pool, cert, res, 0, "revoked_at");
        hall_val_set_str(req->pool, cert, "revoke_reason_label", hall_pki_reason_label(reason));
    }
    /* only a live certificate is revoked; an expired one is already of no use */
    hall_val_set_bool(req->pool, ctx, "revocable", strcmp(code, "valid") == 0);
    list = hall_val_set_list(req->pool, ctx, "reasons");
    for (i = 0; center_revoke_reasons[i] != NULL; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, list);
        int c = hall_pki_reason_code(center_revoke_reasons[i]);

        hall_val_set_str(req->pool, r, "name", center_revoke_reasons[i]);
        hall_val_set_str(req->pool, r, "label", hall_pki_reason_label(c));
        hall_val_set_str(req->pool, r, "words", revoke_reason_words[i]);
    }
    list = hall_val_set_list(req->pool, ctx, "seals");
    for (i = 0; i < hall_dbres_rows(seals); i++) {
        struct hall_val *it = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, it, "kind_label",
                         hall_seal_kind_text(hall_dbres_str(seals, i, "kind")));
        hall_val_set_str(req->pool, it, "name", hall_seal_shown_name(req->cx, seals, i));
        hall_dbres_set(req->pool, it, seals, i, "es_id");
    }
    hall_val_set_bool(req->pool, ctx, "has_seals", hall_dbres_rows(seals) > 0);
    list = hall_val_set_list(req->pool, ctx, "orders");
    for (i = 0; i < hall_dbres_rows(orders); i++) {
        struct hall_val *it = hall_val_push_obj(req->pool, list);
        const char *st = hall_dbres_str(orders, i, "status");

        hall_dbres_set(req->pool, it, orders, i, "id order_no");
        hall_val_set_str(req->pool, it, "business",
                         center_business_label(hall_dbres_str(orders, i, "business_type")));
        hall_val_set_str(req->pool, it, "status", st);
        hall_val_set_str(req->pool, it, "status_label", hall_order_label(st));
        hall_val_set_str(req->pool, it, "effect", revoke_order_effect(st, &cancel));
        hall_val_set_bool(req->pool, it, "cancelled_by_revoke", cancel);
    }
    hall_val_set_bool(req->pool, ctx, "has_orders", hall_dbres_rows(orders) > 0);
    hall_val_set_str(req->pool, ctx, "phone_masked", revoke_who(req));
    hall_val_set_str(req->pool, ctx, "fee", "0.00");
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "center_revoke", ctx);
}

/* the state that refuses a revocation, answered; 0 when it may go on */
static int
revoke_refused(struct hall_req *req, const char *state, int expired, int *rc)
{
    if (strcmp(state, "issued") != 0)
        *rc = hall_msg(req, HALL_M_REVOKE_DONE, "serial");
    else if (expired)
        *rc = hall_msg(req, HALL_M_REVOKE_EXPIRED, "serial");
    else
        return 0;
    return 1;
}

/* 获取验证码: a code of purpose "revoke" for this certificate to the
 * account's own phone (core/flow/sms.c: it confirms the revocation of this
 * one only) */
int
center_revoke_code(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial"), *phone;
    struct hall_dbres *res;
    enum hall_sms_result r;
    struct hall_val *v;
    int rc;

    res = revoke_cert(req, serial, &rc);
    if (res == NULL)
        return rc;
    if (revoke_refused(req, hall_dbres_str(res, 0, "state"), hall_dbres_bool(res, 0, "expired"),
                       &rc))
        return rc;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    phone = revoke_phone(req);
    if (phone == NULL || strlen(phone) != 11)
        return HALL_ERR;
    r = hall_sms_client_limit(req);
    if (r == HALL_SMS_OK)
        r = hall_sms_object_code_send(req, phone, "revoke", hall_dbres_str(res, 0, "serial"),
                                      HALL_SMST_revoke_code);
    if (r == HALL_SMS_DB_ERROR)
        return HALL_ERR;
    if (r == HALL_SMS_TOO_SOON)
        return hall_msg(req, HALL_M_SMS_TOO_SOON, "code", req->app->conf.sms_code_interval_s);
    if (r != HALL_SMS_OK)
        return hall_resp_error(req, 429, "code", hall_sms_result_msg(r));
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    v = hall_val_obj(req->pool);
    hall_val_set_fmt(req->pool, v, "message", "验证码已发送至%s，%ld分钟内有效", revoke_who(req),
                     req->app->conf.sms_code_ttl_s / 60);
    hall_val_set_int(req->pool, v, "resend_after", req->app->conf.sms_code_interval_s);
    return hall_resp_ok(req, v);
}

/*
 * 确认撤销: one transaction.  The certificate's row first (FOR UPDATE: a
 * second confirmation waits here and then finds it revoked; only the
 * orders replacing it are locked before it), the code, the
 * revocation, the orders under way that replace it (cancelled when nothing
 * was paid, told in their history otherwise), the audit, the SMS to the
 * holder and the agent.
 */
int
center_revoke_confirm(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial");
    const char *reason_name = hall_req_param(req, "reason");
    int reason = hall_pki_reason_code(reason_name);
    const char *actor = hall_req_actor(req), *phone, *ca, *at;
    struct hall_val *params;
    struct hall_dbres *res, *orders, *cert;
    struct hall_val *detail, *v, *cancelled;
    enum hall_sms_result r;
    int i, rc, cancel;

    res = revoke_cert(req, serial, &rc);
    if (res == NULL)
        return rc;
    cert = res;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    /* the replacing orders before the certificate, as their approval takes
     * them (core/flow/reissue_review.c): the two never wait on each other */
    if (hall_db_exec(req->cx, "revoke_orders_lock", HALL_STR(serial)) == NULL)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "revoke_cert_lock", HALL_STR(serial), HALL_I64(req->user_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    if (revoke_refused(req, hall_dbres_str(res, 0, "state"), hall_dbres_bool(res, 0, "expired"),
                       &rc))
        return rc;
    phone = revoke_phone(req);
    if (phone == NULL)
        return HALL_ERR;
    r = hall_sms_object_code_check(req, phone, "revoke", hall_dbres_str(cert, 0, "serial"),
                                   hall_req_param(req, "code"));
    if (r == HALL_SMS_DB_ERROR)
        return HALL_ERR;
    if (r != HALL_SMS_OK) {
        /* the wrong try counts */
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        return hall_resp_error(req, 400, "code", hall_sms_result_msg(r));
    }
    rc = hall_revoke_cert(req->cx, serial, reason, actor, &ca);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_REVOKE_DONE, "serial");
    if (rc != HALL_OK)
        return HALL_ERR;
    /* again: an order that claimed the certificate while this waited for it */
    orders = hall_db_exec(req->cx, "revoke_orders_lock", HALL_STR(serial));
    res = orders != NULL ? hall_db_exec(req->cx, "revoke_done", HALL_STR(serial)) : NULL;
    if (res == NULL)
        return HALL_ERR;
    at = hall_dbres_str(res, 0, "at");
    v = hall_val_obj(req->pool);
    cancelled = hall_val_set_list(req->pool, v, "cancelled");
    for (i = 0; i < hall_dbres_rows(orders); i++) {
        const char *st = hall_dbres_str(orders, i, "status");
        const char *oid = hall_dbres_str(orders, i, "id");

        detail = hall_val_obj(req->pool);
        hall_val_set_str(req->pool, detail, "serial", serial);
        hall_val_set_str(req->pool, detail, "reason", reason_name);
        revoke_order_effect(st, &cancel);
        if (hall_audit(req->cx, actor, "order", oid, "replaced_cert_revoked", NULL, NULL, detail) !=
            HALL_OK)
            return HALL_ERR;
        if (!cancel)
            continue;
        if (hall_order_move(req->cx, strtoll(oid, NULL, 10), st, "cancelled", actor, detail) !=
            HALL_OK)
            return HALL_ERR;
        /* its open online trades closed at the gateway (as pay does when a
         * trade is abandoned); money that still comes is a surplus,
         * refunded without anyone asking (core/biz/payment.c) */
        if (hall_payment_close_others(req->cx, strtoll(oid, NULL, 10), 0) == NULL)
            return HALL_ERR;
        hall_val_push_str(req->pool, cancelled, hall_dbres_str(orders, i, "order_no"));
    }
    detail = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, detail, "serial", serial);
    hall_val_set_str(req->pool, detail, "reason", reason_name);
    if (hall_audit(req->cx, actor, "order", hall_dbres_str(cert, 0, "order_id"), "holder_revoke",
                   NULL, NULL, detail) != HALL_OK)
        return HALL_ERR;
    params = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, params, "serial", serial);
    hall_val_set_str(req->pool, params, "at", at);
    hall_val_set_str(req->pool, params, "reason", hall_pki_reason_label(reason));
    if (hall_cert_sms(req->cx, serial, "revoke", HALL_SMST_holder_revoked, params) < 0)
        return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    /* the CRL: hall-outbox's CA tick publishes one that lists it (this
     * module holds no CA key) */
    hall_info(req, "msg=\"certificate revoked by its holder\" serial=%s reason=%s ca=%s", serial,
              reason_name, ca);
    hall_val_set_str(req->pool, v, "message", "证书已撤销");
    hall_val_set_str(req->pool, v, "serial", serial);
    hall_val_set_str(req->pool, v, "revoked_at", at);
    hall_val_set_str(req->pool, v, "revoke_reason", reason_name);
    hall_val_set_str(req->pool, v, "revoke_reason_label", hall_pki_reason_label(reason));
    hall_val_set_fmt(req->pool, v, "redirect", "%s/center/certs", hall_req_base(req));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_val_get(v, "redirect")->str);
    return hall_resp_ok(req, v);
}
