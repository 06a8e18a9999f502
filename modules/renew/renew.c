/*
 * renew: 证书更新 (续期), on the flow kit (core/flow/flow.h) and the rules
 * every order replacing a certificate shares (core/flow/replace.c).  The
 * agreement (seeds 001/002, clause 4) asks holders to renew within the month
 * before expiry; the hall offers it from the product's renew_before_days
 * before the end until its renew_after_days after it (sql/059: 30 and 30).
 * The new certificate has the same subject and a new key pair; it starts
 * when the old one ends when renewed before that (no paid day is lost), now
 * after it, and lasts the years chosen; the old one stays valid until it
 * ends (core/biz/produce.c).  This file keeps what is renew's own:
 *
 *   GET  /renew/notice     操作提示 (证书更新介绍), 确认 leads to the agreements
 *   GET  /renew/serial     证书选择: the applicant's certificates with their
 *                          window, or a serial typed (我的证书 and the expiry
 *                          reminder link here: /renew/serial?project=P&serial=S)
 *   GET  /renew/apply      确认信息: the certificate's order's data, the years,
 *                          the product's price
 *   POST /renew/apply      the certificate, its window, then every field (all
 *                          errors at once); the order and its claim, one
 *                          transaction
 *   GET  /renew/print      证书更新申请表
 *
 * docs/modules/renew.md.
 */
#include <string.h>

#include "hall.h"

static const struct hall_stmt renew_stmts[] = {
    {"renew_order_serial",
     "SELECT coalesce(reissue_of, '') AS reissue_of FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* the certificate's own order: the applicant's data to start from */
    {"renew_old_form", "SELECT form_enc FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* the partner's renewal product of a type: its window */
    {"renew_window",
     "SELECT renew_before_days, renew_after_days FROM products WHERE partner_code = $1"
     " AND business_type = 'renew' AND cert_type = $2 AND active",
     2},
    /* 证书选择's list: the certificates the applicant's orders produced (as
     * 我的证书 lists them, a seal's own certificate aside), each with the
     * window of this partner's renewal product of its type */
    {"renew_own_certs",
     "SELECT c.serial, c.subject_cn, c.subject_org, o.cert_type,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.state, c.not_after < now() AS expired, pr.id IS NOT NULL AS offered,"
     " now() < c.not_after - make_interval(days => pr.renew_before_days) AS early,"
     " now() > c.not_after + make_interval(days => pr.renew_after_days) AS late,"
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     " LEFT JOIN products pr ON pr.partner_code = $2 AND pr.business_type = 'renew'"
     "  AND pr.cert_type = o.cert_type AND pr.active"
     " WHERE o.user_id = $1 AND c.state IN ('issued', 'revoked') AND c.seal_item_id IS NULL"
     " ORDER BY c.issued_at DESC, c.serial LIMIT 100",
     2},
    /* the applicant's own renew order of the certificate it may still edit:
     * 证书选择 leads back to it instead of only saying it is under way */
    {"renew_own_open",
     "SELECT id FROM orders WHERE reissue_of = $1 AND user_id = $2 AND business_type = 'renew'"
     " AND status IN ('draft', 'rejected') ORDER BY id DESC LIMIT 1",
     2},
    {NULL, NULL, 0},
};

/* the catalogue's groups: the certificate's order's data confirmed; no
 * 金融认证: the holder was proven by that order (modules/pay: to review) */
static const char *const renew_groups[] = {"cert",      "reissue", "unit",    "legal", "agent",
                                           "applicant", "mail",    "invoice", NULL};

static const char *const renew_materials[] = {"application", "license", NULL};

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

/* the certificate of serial for a renewal in p's channel: ownership, state,
 * claim (core/flow/replace.c), then the window of p's product of its type;
 * o: the order being edited (its certificate, window already passed);
 * HALL_ERR on database failure only */
static int
cert_get(struct hall_req *req, const struct hall_partner *p, struct hall_dbres *o,
         const char *serial, const char *key, struct hall_reissue_cert *c)
{
    struct hall_dbres *w;

    if (hall_replace_cert_get(req, "renew", serial, o != NULL ? hall_dbres_int(o, 0, "id") : 0, key,
                              c) != HALL_OK)
        return HALL_ERR;
    if (c->result != HALL_REISSUE_OK || o != NULL)
        return HALL_OK;
    w = hall_db_exec(req->cx, "renew_window", HALL_STR(p->code), HALL_STR(c->cert_type));
    if (w == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(w) == 0) {
        c->result = HALL_REISSUE_FOREIGN; /* not offered here: refused, as for no product */
        c->code = HALL_M_REPLACE_NOT_OFFERED;
        c->why = hall_msg_text(req->pool, c->code, "证书更新");
        return HALL_OK;
    }
    hall_replace_window(req, c, (int)hall_dbres_int(w, 0, "renew_before_days"),
                        (int)hall_dbres_int(w, 0, "renew_after_days"));
    return HALL_OK;
}

static const struct hall_pspec serial_page_params[] = {
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* 证书选择's list (ctx.own_certs): each of the applicant's certificates
 * with its state, and 选择 where it may be renewed now; HALL_ERR on failure */
static int
own_certs_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_partner *p,
              const char *chosen)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "renew_own_certs", HALL_I64(req->user_id), HALL_STR(p->code));
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
        int early = hall_dbres_bool(r, i, "early"), late = hall_dbres_bool(r, i, "late");
        int pending = hall_dbres_bool(r, i, "pending");
        const char *why = revoked    ? "已吊销"
                          : !offered ? "本渠道不办理该类型证书的更新"
                          : pending  ? "已有业务办理中"
                          : early    ? "未到更新期"
                          : late     ? "已过可更新期限"
                                     : NULL;

        hall_val_set_str(req->pool, c, "serial", serial);
        hall_val_set_str(req->pool, c, "subject",
                         hall_pki_subject_text(req->pool, hall_dbres_str(r, i, "subject_cn"),
                                               hall_dbres_str(r, i, "subject_org")));
        hall_val_set_str(req->pool, c, "cert_type_label",
                         hall_cert_type_label(hall_dbres_str(r, i, "cert_type")));
        hall_val_set_str(req->pool, c, "not_after", hall_dbres_str(r, i, "not_after"));
        hall_val_set_str(req->pool, c, "status_label",
                         revoked                            ? "已吊销"
                         : hall_dbres_bool(r, i, "expired") ? "已过期"
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
 * serial the certificate's details, 下一步 where it may be renewed, else
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
        hall_val_set_bool(req->pool, v, "renewable", c.result == HALL_REISSUE_OK);
        if (c.result != HALL_REISSUE_OK)
            hall_val_set_str(req->pool, v, "message", c.why);
        return hall_resp_ok(req, v);
    }
    ctx = hall_flow_page(req, "证书选择", &p);
    hall_val_set_str(req->pool, ctx, "choose_caption", "选择要更新的证书（您的业务单办理的证书）");
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
            hall_val_set_str(req->pool, ctx, "next_note",
                             c.expired ? "注：该证书已过期，更新后的新证书自签发之日起生效。"
                                       : "注：更新后原证书在有效期内继续有效；新证书自原证书"
                                         "到期时起生效，有效期为所选年限，不损失已付费的天数。");
        } else {
            status = hall_msgs[c.code].status;
            hall_val_set_str(req->pool, ctx, "serial_error", c.why);
            if (c.result == HALL_REISSUE_PENDING) {
                struct hall_dbres *r = hall_db_exec(req->cx, "renew_own_open", HALL_STR(c.serial),
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
        ctx = hall_flow_page(req, "证书更新 · 操作提示", &p);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "?project=%s", p.code));
    } else {
        ctx = hall_flow_page(req, "证书更新 · 操作提示", NULL);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "%s", ""));
    }
    hall_flow_steps(req, ctx, "notice");
    return hall_resp_page(req, 200, "renew_notice", ctx);
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
            hall_db_exec(req->cx, "renew_order_serial", HALL_I64(hall_dbres_int(o, 0, "id")),
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

/* the certificate and the partner's renewal product of its type: the
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
    hall_msg(req, HALL_M_REPLACE_NOT_OFFERED, "serial", "证书更新");
    return -1;
}

/* the form of the certificate's own order (the same applicant's), to start from */
static struct hall_val *
old_form(struct hall_req *req, const struct hall_reissue_cert *c)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "renew_old_form", HALL_I64(c->order_id), HALL_I64(req->user_id));
    struct hall_val *form = NULL;

    if (r != NULL && hall_dbres_rows(r) > 0)
        form = hall_dbres_pii_json(req->cx, r, 0, hall_dbres_col(r, "form_enc"));
    return form != NULL && form->type == HALL_V_OBJ ? form : hall_val_obj(req->pool);
}

/* ctx.year_prices: the years the product offers with their price */
static void
years_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods, int row,
          long chosen)
{
    struct hall_price pr = hall_flow_product_price(prods, row);
    long y, lo = (long)hall_dbres_int(prods, row, "min_years"),
            hi = (long)hall_dbres_int(prods, row, "max_years");
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "year_prices");

    hall_val_set_bool(req->pool, ctx, "has_years", 1);

    if (chosen < lo || chosen > hi)
        chosen = lo;
    for (y = lo; y <= hi; y++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_val_set_int(req->pool, o, "n", y);
        hall_val_set_str(req->pool, o, "price",
                         hall_yuan(req->pool, hall_price_cert(&pr, (int)y, 0)));
        hall_val_set_bool(req->pool, o, "selected", y == chosen);
    }
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
    years_ctx(req, ctx, prods, row, o != NULL ? (long)hall_dbres_int(o, 0, "years") : 1);
    cert_ctx(req, ctx, &c);
    hall_val_set_str(req->pool, ctx, "subject_note",
                     "证书主题（机构名称、统一社会信用代码、申请人姓名）与原证书相同，不能修改；"
                     "信息已变更的，请办理证书变更。其他信息请核对，有变化的请修改。");
    hall_flow_steps(req, ctx, "apply");
    return hall_resp_page(req, 200, "replace_apply", ctx);
}

/* the submit's own parameters, checked with the catalogue's fields by the
 * same registry, so that every error is answered at once */
static const struct hall_pspec apply_params[] = {
    HALL_FLOW_PARAMS_ORDER,
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {"years", HALL_P_INT, 0, 1, 5, "证书年限", NULL},
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
    int64_t years = 0;
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
    hall_req_param_i64(req, "years", &years);
    if (!hall_errors_has(&e, "years") && (years < hall_dbres_int(prods, row, "min_years") ||
                                          years > hall_dbres_int(prods, row, "max_years")))
        hall_msg_add(req, &e, HALL_M_YEARS_NOT_OFFERED, "years");

    hall_flow_fields_check(req, bit, form, &e);
    hall_flow_delivery_check(req, &p, form, &e);
    subject_check(req, bit, form, &c, &e);
    if (hall_flow_cross_check(req, bit, form, &e) != HALL_OK)
        return HALL_OK;
    if (hall_flow_submit_checked(req, &e, form, bit, &s) != HALL_OK)
        return HALL_OK;
    pr = hall_flow_product_price(prods, row);
    /* the certificate, the years and the fee travel with the revisions */
    hall_val_set_str(req->pool, form, "choice_cert_type", hall_cert_type_label(c.cert_type));
    hall_val_set_fmt(req->pool, form, "choice_years", "%lld年", (long long)years);
    hall_val_set_str(req->pool, form, "reissue_serial", c.serial);
    hall_val_set_str(req->pool, form, "reissue_subject", c.cn);
    hall_val_set_fmt(req->pool, form, "reissue_valid", "%s 至 %s", c.not_before, c.not_after);
    s.cert_type = c.cert_type;
    s.subject = c.cn;
    s.product_id = hall_dbres_int(prods, row, "id");
    s.years = years;
    s.cert_fen = hall_price_cert(&pr, (int)years, 0);
    s.also = hall_replace_claim; /* core/flow/replace.c */
    s.arg = (void *)c.serial;
    return hall_flow_submit_save(req, form, &s, "years");
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route renew_routes[] = {
    {"GET", "/renew/notice", notice_page, 0, NULL},
    /* parameters checked in the handler: the page and the JSON lookup differ */
    {"GET", "/renew/serial", serial_page, HALL_R_AUTH, NULL},
    {"GET", "/renew/apply", apply_page, HALL_R_AUTH, NULL},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/renew/apply", do_apply, HALL_R_AUTH, NULL},
    {"GET", "/renew/print", hall_flow_print_page, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_flow renew_flow = {
    .business = "renew",
    .title = "证书更新",
    .steps = hall_steps_renew,
    .groups = renew_groups,
    .materials = renew_materials,
    .first_step = "serial",
    .tmpl_print = "replace_print",
    .routes = renew_routes,
    .stmts = renew_stmts,
};

HALL_FLOW_MAIN(renew_flow)
