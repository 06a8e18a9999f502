/*
 * unlock: 证书解锁 (a forgotten or locked PIN), on the flow kit
 * (core/flow/flow.h) and the rules every order replacing a certificate
 * shares (core/flow/replace.c).  The hall destroys its copy of a key once
 * the medium is delivered (电子签名法 第十三条: the signature creation data
 * under the signatory's sole control), so nobody can re-wrap the old key
 * under a new PIN: 解锁 proves the holder again (an SMS code to the phone
 * the certificate's order names, then the phone's liveness check, the kit's
 * identity step) and issues a new medium: a new key pair, the same subject,
 * the old certificate's remaining validity; the old one is revoked as
 * superseded in the transaction that stores the new one (core/biz/produce.c).
 *
 *   GET  /unlock/notice    why the PIN cannot simply be reset; 确认 leads to
 *                          the agreements
 *   GET  /unlock/serial    证书选择: the applicant's certificates or a serial typed
 *   GET  /unlock/apply     确认信息: the certificate's order's data, the fee,
 *                          the SMS code's phone (masked)
 *   POST /unlock/sms       the SMS code to that phone (purpose 'unlock')
 *   POST /unlock/apply     the certificate, every field (all errors at once),
 *                          the SMS code; the order and its claim, one transaction
 *   GET  /unlock/print     证书解锁申请表
 *
 * docs/modules/unlock.md.
 */
#include <string.h>

#include "hall.h"

static const struct hall_stmt unlock_stmts[] = {
    {"unlock_order_serial",
     "SELECT coalesce(reissue_of, '') AS reissue_of FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* the certificate's own order: the applicant's data to start from, and
     * the phone its PIN went to (the SMS code's) */
    {"unlock_old_form", "SELECT form_enc FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* 证书选择's list: the certificates the applicant's orders produced (as
     * 我的证书 lists them, a seal's own certificate aside), and whether this
     * partner unlocks their type */
    {"unlock_own_certs",
     "SELECT c.serial, c.subject_cn, c.subject_org, o.cert_type,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.state, c.not_after < now() AS expired, pr.id IS NOT NULL AS offered,"
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     " LEFT JOIN products pr ON pr.partner_code = $2 AND pr.business_type = 'unlock'"
     "  AND pr.cert_type = o.cert_type AND pr.active"
     " WHERE o.user_id = $1 AND c.state IN ('issued', 'revoked') AND c.seal_item_id IS NULL"
     " ORDER BY c.issued_at DESC, c.serial LIMIT 100",
     2},
    /* the same form again: its order exists (the SMS code was spent on it) */
    {"unlock_form_order", "SELECT id FROM orders WHERE user_id = $1 AND submit_key = $2", 2},
    /* the applicant's own unlock order of the certificate it may still edit:
     * 证书选择 leads back to it instead of only saying it is under way */
    {"unlock_own_open",
     "SELECT id FROM orders WHERE reissue_of = $1 AND user_id = $2 AND business_type = 'unlock'"
     " AND status IN ('draft', 'rejected') ORDER BY id DESC LIMIT 1",
     2},
    {NULL, NULL, 0},
};

/* the catalogue's groups: the certificate's order's data confirmed; no
 * 金融认证: the holder proves itself by the SMS code and on the phone */
static const char *const unlock_groups[] = {"cert",      "reissue", "unit",    "legal", "agent",
                                            "applicant", "mail",    "invoice", NULL};

static const char *const unlock_materials[] = {"application", NULL};

/* ---- the certificate --------------------------------------------------------- */

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

static void
cert_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_reissue_cert *c)
{
    cert_json(req, hall_val_set_obj(req->pool, ctx, "cert"), c);
}

/* the certificate of serial for an unlock: ownership, state, claim
 * (core/flow/replace.c); o: the order being edited; HALL_ERR on database
 * failure only */
static int
cert_get(struct hall_req *req, const struct hall_partner *p, struct hall_dbres *o,
         const char *serial, const char *key, struct hall_reissue_cert *c)
{
    (void)p;
    return hall_replace_cert_get(req, "unlock", serial, o != NULL ? hall_dbres_int(o, 0, "id") : 0,
                                 key, c);
}

static const struct hall_pspec serial_page_params[] = {
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* 证书选择's list (ctx.own_certs): each of the applicant's certificates
 * with its state, and 选择 where it may be unlocked; HALL_ERR on failure */
static int
own_certs_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_partner *p,
              const char *chosen)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "unlock_own_certs", HALL_I64(req->user_id), HALL_STR(p->code));
    struct hall_val *list;
    int i, n;

    if (r == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(r);
    if (n == 0)
        return HALL_OK;
    hall_val_set_bool(req->pool, ctx, "has_own_certs", 1);
    list = hall_val_set_list(req->pool, ctx, "own_certs");
    for (i = 0; i < n; i++) {
        struct hall_val *c = hall_val_push_obj(req->pool, list);
        const char *serial = hall_dbres_str(r, i, "serial");
        int revoked = strcmp(hall_dbres_str(r, i, "state"), "issued") != 0;
        int offered = hall_dbres_bool(r, i, "offered");
        int expired = hall_dbres_bool(r, i, "expired");
        int pending = hall_dbres_bool(r, i, "pending");
        const char *why = revoked    ? "已吊销"
                          : expired  ? "已过期"
                          : !offered ? "本渠道不办理该类型证书的解锁"
                          : pending  ? "已有业务办理中"
                                     : NULL;

        hall_val_set_str(req->pool, c, "serial", serial);
        hall_val_set_str(req->pool, c, "subject",
                         hall_pki_subject_text(req->pool, hall_dbres_str(r, i, "subject_cn"),
                                               hall_dbres_str(r, i, "subject_org")));
        hall_val_set_str(req->pool, c, "cert_type_label",
                         hall_cert_type_label(hall_dbres_str(r, i, "cert_type")));
        hall_val_set_str(req->pool, c, "not_after", hall_dbres_str(r, i, "not_after"));
        hall_val_set_str(req->pool, c, "status_label",
                         revoked   ? "已吊销"
                         : expired ? "已过期"
                                   : "有效");
        if (why == NULL)
            hall_val_set_str(req->pool, c, "choose",
                             hall_flow_url(req, "/serial?project=%s&serial=%s", p->code, serial));
        else
            hall_val_set_str(req->pool, c, "why_not", why);
        if (chosen != NULL && strcmp(chosen, serial) == 0)
            hall_val_set_bool(req->pool, c, "chosen", 1);
    }
    return HALL_OK;
}

/* 证书选择: the applicant's certificates and a serial typed by hand; with a
 * serial the certificate's details, 下一步 where it may be unlocked, else
 * the message with its status */
static int
serial_page(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    const char *serial;
    struct hall_reissue_cert c;
    struct hall_partner p;
    struct hall_val *ctx;
    int status = 200;

    hall_req_check(req, serial_page_params, &e);
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    if (hall_flow_partner(req, hall_req_param(req, "project"), &p) != HALL_OK)
        return HALL_OK;
    if (hall_flow_agreements_due(req, &p) != 0)
        return HALL_OK;
    serial = hall_req_param(req, "serial");
    if (hall_req_wants_json(req)) {
        struct hall_val *v;

        if (cert_get(req, &p, NULL, serial != NULL ? serial : "", NULL, &c) != HALL_OK)
            return hall_resp_busy(req);
        if (c.result == HALL_REISSUE_BAD_SERIAL || c.result == HALL_REISSUE_NOT_FOUND ||
            c.result == HALL_REISSUE_FOREIGN)
            return hall_replace_refuse(req, &c, "serial");
        v = hall_val_obj(req->pool);
        cert_json(req, hall_val_set_obj(req->pool, v, "cert"), &c);
        hall_val_set_bool(req->pool, v, "unlockable", c.result == HALL_REISSUE_OK);
        if (c.result != HALL_REISSUE_OK)
            hall_val_set_str(req->pool, v, "message", c.why);
        return hall_resp_ok(req, v);
    }
    ctx = hall_flow_page(req, "证书选择", &p);
    hall_val_set_str(req->pool, ctx, "choose_caption", "选择要解锁的证书（您的业务单办理的证书）");
    if (own_certs_ctx(req, ctx, &p, serial) != HALL_OK)
        return hall_resp_busy(req);
    if (serial != NULL && *serial != '\0') {
        hall_val_set_str(req->pool, ctx, "serial", serial);
        if (cert_get(req, &p, NULL, serial, NULL, &c) != HALL_OK)
            return hall_resp_busy(req);
        if (c.own)
            cert_ctx(req, ctx, &c);
        if (c.result == HALL_REISSUE_OK) {
            hall_val_set_str(req->pool, ctx, "next",
                             hall_flow_url(req, "/apply?project=%s&serial=%s", p.code, c.serial));
            hall_val_set_str(
                req->pool, ctx, "next_note",
                "注：解锁将签发新证书（新的密钥对，主题和有效期截止日期与原证书相同）；"
                "新证书签发时原证书即被吊销（已被替代）。");
        } else {
            status = hall_msgs[c.code].status;
            hall_val_set_str(req->pool, ctx, "serial_error", c.why);
            if (c.result == HALL_REISSUE_PENDING) {
                struct hall_dbres *r = hall_db_exec(req->cx, "unlock_own_open", HALL_STR(c.serial),
                                                    HALL_I64(req->user_id));

                if (r == NULL)
                    return hall_resp_busy(req);
                if (hall_dbres_rows(r) > 0)
                    hall_val_set_str(
                        req->pool, ctx, "continue",
                        hall_flow_url(req, "/apply?id=%s", hall_dbres_str(r, 0, "id")));
            }
        }
    }
    hall_flow_steps(req, ctx, "serial");
    return hall_resp_page(req, status, "replace_serial", ctx);
}

/* ---- 操作提示 ------------------------------------------------------------------------ */

static int
notice_page(struct hall_req *req)
{
    const char *project = hall_req_query(req, "project");
    struct hall_partner p;
    struct hall_val *ctx;

    /* the generic hall chooses the project after the notice (the kit's list) */
    if (req->partner[0] != '\0' || (project != NULL && *project != '\0')) {
        if (hall_flow_partner(req, project, &p) != HALL_OK)
            return HALL_OK;
        ctx = hall_flow_page(req, "证书解锁 · 为什么不能直接重置PIN码", &p);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "?project=%s", p.code));
    } else {
        ctx = hall_flow_page(req, "证书解锁 · 为什么不能直接重置PIN码", NULL);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "%s", ""));
    }
    hall_flow_steps(req, ctx, "notice");
    return hall_resp_page(req, 200, "unlock_notice", ctx);
}

/* ---- 确认信息 ------------------------------------------------------------------------ */

/* the certificate of the order being made (serial, by the form key) or
 * edited (o); HALL_ERR after answering */
static int
serial_check(struct hall_req *req, const struct hall_partner *p, struct hall_dbres *o,
             const char *serial, const char *key, struct hall_reissue_cert *c)
{
    if (o != NULL) {
        struct hall_dbres *r =
            hall_db_exec(req->cx, "unlock_order_serial", HALL_I64(hall_dbres_int(o, 0, "id")),
                         HALL_I64(req->user_id));

        if (r == NULL || hall_dbres_rows(r) == 0)
            return hall_resp_busy(req), HALL_ERR;
        /* the certificate of an order stays the one it was made for */
        if (serial != NULL && *serial != '\0' &&
            strcmp(serial, hall_dbres_str(r, 0, "reissue_of")) != 0)
            return hall_msg(req, HALL_M_SERIAL_CHANGED, "serial"), HALL_ERR;
        serial = hall_dbres_str(r, 0, "reissue_of");
    }
    if (cert_get(req, p, o, serial != NULL ? serial : "", key, c) != HALL_OK)
        return hall_resp_busy(req), HALL_ERR;
    if (c->result != HALL_REISSUE_OK)
        return hall_replace_refuse(req, c, "serial"), HALL_ERR;
    return HALL_OK;
}

/* the certificate and the partner's unlock product of its type: the
 * product's row of *prods, -1 after answering */
static int
cert_product(struct hall_req *req, struct hall_dbres *o, const char *serial, const char *key,
             const struct hall_partner *p, struct hall_reissue_cert *c, struct hall_dbres **prods)
{
    int i;

    if (serial_check(req, p, o, serial, key, c) != HALL_OK)
        return -1;
    *prods = hall_flow_products(req, p);
    if (*prods == NULL)
        return -1;
    for (i = 0; i < hall_dbres_rows(*prods); i++)
        if (strcmp(hall_dbres_str(*prods, i, "cert_type"), c->cert_type) == 0)
            return i;
    hall_msg(req, HALL_M_REPLACE_NOT_OFFERED, "serial", "证书解锁");
    return -1;
}

/* the form of the certificate's own order (the same applicant's), to start from */
static struct hall_val *
old_form(struct hall_req *req, const struct hall_reissue_cert *c)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "unlock_old_form", HALL_I64(c->order_id), HALL_I64(req->user_id));
    struct hall_val *form = NULL;

    if (r != NULL && hall_dbres_rows(r) > 0)
        form = hall_dbres_pii_json(req->cx, r, 0, hall_dbres_col(r, "form_enc"));
    return form != NULL && form->type == HALL_V_OBJ ? form : hall_val_obj(req->pool);
}

/* the phone the certificate's PIN went to (core/biz/produce.c's rule: a
 * 机构证书's agent, else the applicant): the SMS code's; "" when none */
static const char *
holder_phone(const struct hall_val *form, const char *cert_type)
{
    const char *p;

    if (strcmp(cert_type, "org") == 0)
        return hall_form_str(form, "agent_mobile");
    p = hall_form_str(form, "app_mobile");
    return *p != '\0' ? p : hall_form_str(form, "agent_mobile");
}

/* 解锁费 + 介质费: the one price function's total, the medium the one-off part */
static void
fee_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods, int row)
{
    struct hall_price pr = hall_flow_product_price(prods, row);
    int64_t total = hall_price_cert(&pr, 1, 0);

    hall_val_set_fmt(req->pool, ctx, "fee_text", "解锁费用：%s元，介质费用：%s元，合计 %s元",
                     hall_yuan(req->pool, total - pr.fixed_fen), hall_yuan(req->pool, pr.fixed_fen),
                     hall_yuan(req->pool, total));
}

static int
apply_page(struct hall_req *req)
{
    struct hall_dbres *o, *prods;
    struct hall_reissue_cert c;
    struct hall_val *ctx, *form;
    struct hall_partner p;
    int row;

    if (hall_flow_apply_open(req, &p, &o) != HALL_OK)
        return HALL_OK;
    row = cert_product(req, o, hall_req_query(req, "serial"), NULL, &p, &c, &prods);
    if (row < 0)
        return HALL_OK;
    form = o != NULL ? hall_flow_form(req, o) : old_form(req, &c);
    if (form == NULL)
        return hall_resp_busy(req);
    ctx = hall_flow_page(req, "确认信息", &p);
    if (hall_flow_apply_ctx(req, ctx, o) != HALL_OK)
        return HALL_OK;
    hall_flow_choices_ctx(req, ctx, prods, &p, c.cert_type, 1, 0, form);
    fee_ctx(req, ctx, prods, row);
    cert_ctx(req, ctx, &c);
    if (o == NULL) {
        /* the SMS code goes to the phone the certificate's order names */
        const char *ph = holder_phone(old_form(req, &c), c.cert_type);

        hall_val_set_bool(req->pool, ctx, "sms_asked", 1);
        if (strlen(ph) == 11)
            hall_val_set_fmt(req->pool, ctx, "sms_phone", "%.3s****%.4s", ph, ph + 7);
    }
    hall_val_set_str(
        req->pool, ctx, "subject_note",
        "新证书的主题（机构名称、统一社会信用代码、申请人姓名）与原证书相同，不能修改；"
        "信息已变更的，请办理证书变更。其他信息请核对，有变化的请修改。");
    hall_flow_steps(req, ctx, "apply");
    return hall_resp_page(req, 200, "replace_apply", ctx);
}

/* the submit's own parameters, checked with the catalogue's fields by the
 * same registry, so that every error is answered at once */
static const struct hall_pspec apply_params[] = {
    HALL_FLOW_PARAMS_ORDER,
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {"sms_code", HALL_P_SMSCODE, HALL_PF_OPTIONAL, 6, 6, "短信验证码", NULL},
    HALL_FLOW_PARAMS_DELIVERY,
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the new certificate carries the old subject: the form's subject fields
 * must say what the certificate says, and the person's ID number what the
 * certificate's order said (never echoed: personal data) */
static void
subject_check(struct hall_req *req, unsigned bit, struct hall_val *form,
              const struct hall_reissue_cert *c, struct hall_errors *e)
{
    const char *ric = hall_form_str(old_form(req, c), "app_ric");

    if ((bit & HALL_T_APPL) && *ric != '\0' && !hall_errors_has(e, "app_ric") &&
        strcmp(hall_form_str(form, "app_ric"), ric) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT_PII, "app_ric", "申请人身份证号码");
    if ((bit & HALL_T_UNIT) && !hall_errors_has(e, "org_name") &&
        strcmp(hall_form_str(form, "org_name"), c->org) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT, "org_name", "机构名称", c->org);
    if ((bit & HALL_T_UNIT) && *c->uscc != '\0' && !hall_errors_has(e, "org_id") &&
        strcmp(hall_form_str(form, "org_id"), c->uscc) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT, "org_id", "机构证件号码", c->uscc);
    if ((bit & HALL_T_APPL) && !hall_errors_has(e, "app_name") &&
        strcmp(hall_form_str(form, "app_name"), c->cn) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT, "app_name", "申请人姓名", c->cn);
}

/* the SMS code of the holder's phone, in its own transaction (a wrong
 * code counts even when nothing else is written); the same form again
 * finds its order instead (the save answers it).  HALL_ERR after answering */
static int
sms_spend(struct hall_req *req, const struct hall_reissue_cert *c, const char *key,
          const char *code)
{
    const char *phone = holder_phone(old_form(req, c), c->cert_type);
    enum hall_sms_result r;

    if (key != NULL) {
        struct hall_dbres *k =
            hall_db_exec(req->cx, "unlock_form_order", HALL_I64(req->user_id), HALL_STR(key));

        if (k == NULL)
            return hall_resp_busy(req), HALL_ERR;
        if (hall_dbres_rows(k) > 0)
            return HALL_OK;
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        return hall_resp_busy(req), HALL_ERR;
    r = hall_sms_code_check(req, phone, "unlock", code);
    if (r == HALL_SMS_DB_ERROR)
        return hall_resp_busy(req), HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req), HALL_ERR;
    if (r != HALL_SMS_OK)
        return hall_resp_error(req, 400, "sms_code", hall_sms_result_msg(r)), HALL_ERR;
    return HALL_OK;
}

static const struct hall_pspec sms_params[] = {
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* POST /unlock/sms: a code to the phone the certificate's order names, for
 * a certificate the applicant may unlock here */
static int
sms_send(struct hall_req *req)
{
    struct hall_dbres *prods;
    struct hall_reissue_cert c;
    struct hall_partner p;
    enum hall_sms_result r;
    const char *phone;
    struct hall_val *v;

    if (hall_flow_partner(req, hall_req_param(req, "project"), &p) != HALL_OK)
        return HALL_OK;
    if (cert_product(req, NULL, hall_req_param(req, "serial"), NULL, &p, &c, &prods) < 0)
        return HALL_OK;
    phone = holder_phone(old_form(req, &c), c.cert_type);
    if (strlen(phone) != 11)
        return hall_msg(req, HALL_M_UNLOCK_NO_PHONE, "sms_code");
    if (hall_db_begin(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    r = hall_sms_client_limit(req);
    if (r == HALL_SMS_OK)
        r = hall_sms_code_send(req, phone, "unlock");
    if (r == HALL_SMS_DB_ERROR)
        return hall_resp_busy(req);
    if (r == HALL_SMS_TOO_SOON)
        return hall_msg(req, HALL_M_SMS_TOO_SOON, "sms_code", req->app->conf.sms_code_interval_s);
    if (r != HALL_SMS_OK)
        return hall_resp_error(req, 429, "sms_code", hall_sms_result_msg(r));
    if (hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"unlock: sms code sent\" serial=%s", c.serial);
    v = hall_val_obj(req->pool);
    hall_val_set_fmt(req->pool, v, "message", "验证码已发送至 %.3s****%.4s，5分钟内有效", phone,
                     phone + 7);
    hall_val_set_int(req->pool, v, "resend_after", req->app->conf.sms_code_interval_s);
    return hall_resp_ok(req, v);
}

static int
do_apply(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_val *form = hall_val_obj(req->pool);
    struct hall_dbres *prods;
    struct hall_reissue_cert c;
    struct hall_partner p;
    struct hall_flow_save s;
    struct hall_price pr;
    const char *code = hall_req_param(req, "sms_code");
    unsigned bit;
    int row;

    if (hall_flow_submit_open(req, apply_params, &e, &p, &s) != HALL_OK)
        return HALL_OK;
    if (hall_errors_has(&e, "serial"))
        return hall_resp_errors(req, &e);
    /* the certificate decides the type, the product and the groups asked */
    row = cert_product(req, s.o, hall_req_param(req, "serial"), s.submit_key, &p, &c, &prods);
    if (row < 0)
        return HALL_OK;
    bit = hall_cert_type_bit(c.cert_type);
    /* a new order proves the holder's phone; an edit was proven when made */
    if (s.o == NULL && !hall_errors_has(&e, "sms_code") && (code == NULL || *code == '\0'))
        hall_msg_add(req, &e, HALL_M_UNLOCK_SMS_REQUIRED, "sms_code");

    hall_flow_fields_check(req, bit, form, &e);
    hall_flow_delivery_check(req, &p, form, &e);
    subject_check(req, bit, form, &c, &e);
    if (hall_flow_cross_check(req, bit, form, &e) != HALL_OK)
        return HALL_OK;
    if (hall_flow_submit_checked(req, &e, form, bit, &s) != HALL_OK)
        return HALL_OK;
    if (s.o == NULL && sms_spend(req, &c, s.submit_key, code) != HALL_OK)
        return HALL_OK;
    pr = hall_flow_product_price(prods, row);
    /* the certificate and the fee travel with the revisions */
    hall_val_set_str(req->pool, form, "choice_cert_type", hall_cert_type_label(c.cert_type));
    hall_val_set_str(req->pool, form, "choice_years", "原证书剩余有效期");
    hall_val_set_str(req->pool, form, "reissue_serial", c.serial);
    hall_val_set_str(req->pool, form, "reissue_subject", c.cn);
    hall_val_set_fmt(req->pool, form, "reissue_valid", "%s 至 %s", c.not_before, c.not_after);
    s.cert_type = c.cert_type;
    s.subject = c.cn;
    s.product_id = hall_dbres_int(prods, row, "id");
    s.years = 1;
    s.cert_fen = hall_price_cert(&pr, 1, 0);
    s.also = hall_replace_claim; /* core/flow/replace.c */
    s.arg = (void *)c.serial;
    return hall_flow_submit_save(req, form, &s, "shipping");
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route unlock_routes[] = {
    {"GET", "/unlock/notice", notice_page, 0, NULL},
    /* parameters checked in the handler: the page and the JSON lookup differ */
    {"GET", "/unlock/serial", serial_page, HALL_R_AUTH, NULL},
    {"GET", "/unlock/apply", apply_page, HALL_R_AUTH, NULL},
    {"POST", "/unlock/sms", sms_send, HALL_R_AUTH, sms_params},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/unlock/apply", do_apply, HALL_R_AUTH, NULL},
    {"GET", "/unlock/print", hall_flow_print_page, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_flow unlock_flow = {
    .business = "unlock",
    .title = "证书解锁",
    .steps = hall_steps_unlock,
    .groups = unlock_groups,
    .materials = unlock_materials,
    .first_step = "serial",
    .tmpl_print = "replace_print",
    .routes = unlock_routes,
    .stmts = unlock_stmts,
};

HALL_FLOW_MAIN(unlock_flow)
