/*
 * reissue: 介质遗失补办 (seed 004), on the flow kit (core/flow/flow.h).  The kit
 * serves the agreements, uploads, the identity check and the lookups under
 * /reissue; the certificate store's side lives in core/flow/reissue_review.c (serial ->
 * details with the ownership rules, the automatic revocation on approval).
 * This file keeps what is the reissue flow's own:
 *
 *   GET  /reissue/notice     操作提示 (介质遗失补办介绍), 确认 leads to the agreements
 *   GET  /reissue/serial     证书选择: the applicant's certificates to choose
 *                            from, or a serial typed -> the certificate's
 *                            details (JSON when asked: the lookup of the serial step)
 *   GET  /reissue/apply      录入信息 for that certificate, fee 补办费 + 介质费
 *   POST /reissue/apply      checks the serial, then every field (all errors at
 *                            once); the order and its claim on the certificate,
 *                            one transaction
 *   GET  /reissue/print      迷失补办申请表
 *
 * docs/modules/reissue.md.
 */
#include <string.h>

#include "hall.h"

static const struct hall_stmt reissue_stmts[] = {
    {"reissue_order_serial",
     "SELECT coalesce(reissue_of, '') AS reissue_of FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* the certificate's own order: the applicant's data to start from */
    {"reissue_old_form", "SELECT form_enc FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* 证书选择's list: the certificates the applicant's orders produced (as
     * 我的证书 lists them), a seal's own certificate aside as core/flow/reissue_review.c
     * keeps it; which may be chosen is reissue_cert's rule */
    {"reissue_own_certs",
     "SELECT c.serial, c.subject_cn, c.subject_org, o.cert_type,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.state, c.not_after < now() AS expired,"
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     " WHERE o.user_id = $1 AND c.state IN ('issued', 'revoked') AND c.seal_item_id IS NULL"
     " ORDER BY c.issued_at DESC, c.serial LIMIT 100",
     1},
    {NULL, NULL, 0},
};

/* seed 004: 申请单位、经办人、申请人、法人、公司账号、邮寄地址和发票; the
 * catalogue's types pick what a certificate type needs */
static const char *const reissue_groups[] = {"cert",      "reissue", "unit", "legal",   "agent",
                                             "applicant", "bank",    "mail", "invoice", NULL};

static const char *const reissue_materials[] = {"application", "license", NULL};

/* seed 004: 发票用途 介质服务费 */
#define INVOICE_PURPOSE "介质服务费"

/* ---- the serial ---------------------------------------------------------------- */

static enum hall_msg_code
serial_msg(enum hall_reissue_result r)
{
    switch (r) {
    case HALL_REISSUE_BAD_SERIAL: return HALL_M_SERIAL_FORMAT;
    case HALL_REISSUE_NOT_FOUND: return HALL_M_SERIAL_UNKNOWN;
    case HALL_REISSUE_FOREIGN: return HALL_M_SERIAL_FOREIGN;
    case HALL_REISSUE_REVOKED: return HALL_M_SERIAL_REVOKED;
    case HALL_REISSUE_EXPIRED: return HALL_M_SERIAL_EXPIRED;
    default: return HALL_M_SERIAL_PENDING;
    }
}

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

static const struct hall_pspec serial_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec serial_page_params[] = {
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* GET /reissue/serial?serial= asked for JSON: the lookup answer */
static int
serial_json(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_reissue_cert c;
    struct hall_val *v;

    hall_req_check(req, serial_params, &e);
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    if (hall_reissue_cert_get(req, hall_req_param(req, "serial"), 0, NULL, &c) != HALL_OK)
        return hall_resp_busy(req);
    if (c.result == HALL_REISSUE_BAD_SERIAL || c.result == HALL_REISSUE_NOT_FOUND)
        return hall_msg(req, serial_msg(c.result), "serial");
    v = hall_val_obj(req->pool);
    cert_json(req, hall_val_set_obj(req->pool, v, "cert"), &c);
    hall_val_set_bool(req->pool, v, "reissuable", c.result == HALL_REISSUE_OK);
    if (c.result != HALL_REISSUE_OK)
        hall_val_set_str(req->pool, v, "message", c.why);
    return hall_resp_ok(req, v);
}

/* the certificate's rows as the pages show them (ctx.cert) */
static void
cert_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_reissue_cert *c)
{
    struct hall_val *v = hall_val_set_obj(req->pool, ctx, "cert");

    cert_json(req, v, c);
    hall_val_set_bool(req->pool, v, "good", strcmp(c->status, "good") == 0);
}

/* 证书选择's list (ctx.own_certs): each of the applicant's certificates
 * with its state, and 选择 where it may be reissued; HALL_ERR on failure */
static int
own_certs_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_partner *p,
              const char *chosen)
{
    struct hall_dbres *r = hall_db_exec(req->cx, "reissue_own_certs", HALL_I64(req->user_id));
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
        int expired = hall_dbres_bool(r, i, "expired");
        int pending = hall_dbres_bool(r, i, "pending");

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
                         : pending ? "已有业务办理中"
                                   : "有效");
        if (!revoked && !expired && !pending)
            hall_val_set_str(req->pool, c, "choose",
                             hall_flow_url(req, "/serial?project=%s&serial=%s", p->code, serial));
        if (chosen != NULL && strcmp(chosen, serial) == 0)
            hall_val_set_bool(req->pool, c, "chosen", 1);
    }
    return HALL_OK;
}

/* 证书选择: the applicant's certificates to choose from and the form for a
 * serial typed by hand; with a serial the certificate's details; a serial
 * that cannot be reissued answers the page with the message's status */
static int
serial_page(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    const char *serial;
    struct hall_reissue_cert c;
    struct hall_partner p;
    struct hall_val *ctx;
    int status = 200;

    if (hall_req_wants_json(req))
        return serial_json(req);
    hall_req_check(req, serial_page_params, &e);
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    if (hall_flow_partner(req, hall_req_param(req, "project"), &p) != HALL_OK)
        return HALL_OK;
    if (hall_flow_agreements_due(req, &p) != 0)
        return HALL_OK;
    ctx = hall_flow_page(req, "证书选择", &p);
    serial = hall_req_param(req, "serial");
    if (own_certs_ctx(req, ctx, &p, serial) != HALL_OK)
        return hall_resp_busy(req);
    if (serial != NULL && *serial != '\0') {
        hall_val_set_str(req->pool, ctx, "serial", serial);
        if (hall_reissue_cert_get(req, serial, 0, NULL, &c) != HALL_OK)
            return hall_resp_busy(req);
        if (c.result != HALL_REISSUE_BAD_SERIAL && c.result != HALL_REISSUE_NOT_FOUND)
            cert_ctx(req, ctx, &c);
        if (c.result == HALL_REISSUE_OK) {
            hall_val_set_str(req->pool, ctx, "next",
                             hall_flow_url(req, "/apply?project=%s&serial=%s", p.code, c.serial));
        } else {
            status = hall_msgs[serial_msg(c.result)].status;
            hall_val_set_str(req->pool, ctx, "serial_error", c.why);
        }
    }
    hall_flow_steps(req, ctx, "serial");
    return hall_resp_page(req, status, "reissue_serial", ctx);
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
        ctx = hall_flow_page(req, "介质遗失补办 · 操作提示", &p);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "?project=%s", p.code));
    } else {
        ctx = hall_flow_page(req, "介质遗失补办 · 操作提示", NULL);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "%s", ""));
    }
    hall_flow_steps(req, ctx, "notice");
    return hall_resp_page(req, 200, "reissue_notice", ctx);
}

/* ---- 录入信息 ------------------------------------------------------------------------ */

/* the certificate of the order being made (serial, by the form key) or
 * edited (o); HALL_ERR after answering: the serial's message with its status, or 503 */
static int
serial_check(struct hall_req *req, struct hall_dbres *o, const char *serial, const char *key,
             struct hall_reissue_cert *c)
{
    int64_t oid = o != NULL ? hall_dbres_int(o, 0, "id") : 0;

    if (o != NULL) {
        struct hall_dbres *r =
            hall_db_exec(req->cx, "reissue_order_serial", HALL_I64(oid), HALL_I64(req->user_id));

        if (r == NULL || hall_dbres_rows(r) == 0)
            return hall_resp_busy(req), HALL_ERR;
        /* the certificate of an order stays the one it was made for */
        if (serial != NULL && *serial != '\0' &&
            strcmp(serial, hall_dbres_str(r, 0, "reissue_of")) != 0)
            return hall_msg(req, HALL_M_SERIAL_CHANGED, "serial"), HALL_ERR;
        serial = hall_dbres_str(r, 0, "reissue_of");
    }
    if (serial == NULL)
        serial = "";
    if (hall_reissue_cert_get(req, serial, oid, key, c) != HALL_OK)
        return hall_resp_busy(req), HALL_ERR;
    if (c->result != HALL_REISSUE_OK)
        return hall_msg(req, serial_msg(c->result), "serial"), HALL_ERR;
    return HALL_OK;
}

/* the partner's reissue product for the certificate's type; -1 after answering */
static int
product_row(struct hall_req *req, struct hall_dbres *prods, const char *cert_type)
{
    int i;

    for (i = 0; i < hall_dbres_rows(prods); i++)
        if (strcmp(hall_dbres_str(prods, i, "cert_type"), cert_type) == 0)
            return i;
    hall_msg(req, HALL_M_TYPE_NOT_OFFERED, "serial");
    return -1;
}

/* the certificate (serial_check) and the partner's product for its type;
 * the product's row of *prods, -1 after answering */
static int
cert_product(struct hall_req *req, struct hall_dbres *o, const char *serial, const char *key,
             const struct hall_partner *p, struct hall_reissue_cert *c, struct hall_dbres **prods)
{
    if (serial_check(req, o, serial, key, c) != HALL_OK)
        return -1;
    *prods = hall_flow_products(req, p);
    if (*prods == NULL)
        return -1;
    return product_row(req, *prods, c->cert_type);
}

/* 补办费 + 介质费 (seed 004: 补办费用 0.00元, 介质费用): the one price
 * function's total; the medium is the product's one-off part */
struct fee {
    int64_t total, medium, reissue;
};

static struct fee
fee_of(struct hall_dbres *prods, int row)
{
    struct hall_price pr = hall_flow_product_price(prods, row);
    struct fee f;

    f.total = hall_price_cert(&pr, 1, 0);
    f.medium = pr.fixed_fen;
    f.reissue = f.total - f.medium;
    return f;
}

static void
fee_ctx(struct hall_req *req, struct hall_val *ctx, const struct fee *f)
{
    hall_val_set_str(req->pool, ctx, "price_reissue", hall_yuan(req->pool, f->reissue));
    hall_val_set_str(req->pool, ctx, "price_medium", hall_yuan(req->pool, f->medium));
    hall_val_set_str(req->pool, ctx, "price_total", hall_yuan(req->pool, f->total));
    hall_val_set_int(req->pool, ctx, "price_total_fen", f->total);
}

/* the form of the certificate's own order (the same applicant's), to start from */
static struct hall_val *
old_form(struct hall_req *req, const struct hall_reissue_cert *c)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "reissue_old_form", HALL_I64(c->order_id), HALL_I64(req->user_id));
    struct hall_val *form = NULL;

    if (r != NULL && hall_dbres_rows(r) > 0)
        form = hall_dbres_pii_json(req->cx, r, 0, hall_dbres_col(r, "form_enc"));
    return form != NULL && form->type == HALL_V_OBJ ? form : hall_val_obj(req->pool);
}

static int
apply_page(struct hall_req *req)
{
    struct hall_dbres *o, *prods;
    struct hall_reissue_cert c;
    struct hall_val *ctx, *form;
    struct hall_partner p;
    struct fee f;
    unsigned bit;
    int row;

    if (hall_flow_apply_open(req, &p, &o) != HALL_OK)
        return HALL_OK;
    row = cert_product(req, o, hall_req_query(req, "serial"), NULL, &p, &c, &prods);
    if (row < 0)
        return HALL_OK;
    f = fee_of(prods, row);
    bit = hall_cert_type_bit(c.cert_type);
    form = o != NULL ? hall_flow_form(req, o) : old_form(req, &c);
    if (form == NULL)
        return hall_resp_busy(req);
    ctx = hall_flow_page(req, "录入信息", &p);
    if (hall_flow_apply_ctx(req, ctx, o) != HALL_OK)
        return HALL_OK;
    /* seed 004: 基本户名称需与单位名称保持一致, both the certificate's */
    if (o == NULL && (bit & HALL_T_UNIT)) {
        hall_val_set_str(req->pool, form, "org_name", c.org);
        hall_val_set_str(req->pool, form, "bank_account_name", c.org);
    }
    hall_flow_choices_ctx(req, ctx, prods, &p, c.cert_type, 1, 0, form);
    cert_ctx(req, ctx, &c);
    fee_ctx(req, ctx, &f);
    hall_val_set_str(req->pool, ctx, "invoice_purpose", INVOICE_PURPOSE);
    hall_flow_steps(req, ctx, "apply");
    return hall_resp_page(req, 200, "reissue_apply", ctx);
}

/* the submit's own parameters, checked with the catalogue's fields by the
 * same registry, so that every error is answered at once */
static const struct hall_pspec apply_params[] = {
    HALL_FLOW_PARAMS_ORDER,
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    HALL_FLOW_PARAMS_DELIVERY,
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_apply(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_val *form = hall_val_obj(req->pool);
    struct hall_dbres *prods;
    struct hall_reissue_cert c;
    struct hall_partner p;
    struct hall_flow_save s;
    struct fee f;
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

    hall_flow_fields_check(req, bit, form, &e);
    hall_flow_delivery_check(req, &p, form, &e);
    /* the new certificate carries the old one's subject: the unit is that one */
    if ((bit & HALL_T_UNIT) && !hall_errors_has(&e, "org_name") &&
        strcmp(hall_form_str(form, "org_name"), c.org) != 0)
        hall_msg_add(req, &e, HALL_M_SERIAL_ORG_MISMATCH, "org_name", c.org);
    if (hall_flow_cross_check(req, bit, form, &e) != HALL_OK)
        return HALL_OK;
    if (hall_flow_submit_checked(req, &e, form, bit, &s) != HALL_OK)
        return HALL_OK;
    f = fee_of(prods, row);
    /* the certificate and the fees travel with the revisions */
    hall_val_set_str(req->pool, form, "choice_cert_type", hall_cert_type_label(c.cert_type));
    hall_val_set_fmt(req->pool, form, "price_reissue", "%s元", hall_yuan(req->pool, f.reissue));
    hall_val_set_fmt(req->pool, form, "price_medium", "%s元", hall_yuan(req->pool, f.medium));
    hall_val_set_str(req->pool, form, "reissue_serial", c.serial);
    hall_val_set_str(req->pool, form, "reissue_subject", c.cn);
    hall_val_set_fmt(req->pool, form, "reissue_valid", "%s 至 %s", c.not_before, c.not_after);
    hall_val_set_str(req->pool, form, "invoice_purpose", INVOICE_PURPOSE);
    s.cert_type = c.cert_type;
    s.subject = c.cn;
    s.product_id = hall_dbres_int(prods, row, "id");
    s.years = 1;
    s.cert_fen = f.total;
    s.also = hall_replace_claim; /* core/flow/replace.c */
    s.arg = (void *)c.serial;
    return hall_flow_submit_save(req, form, &s, "shipping");
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route reissue_routes[] = {
    {"GET", "/reissue/notice", notice_page, 0, NULL},
    /* parameters checked in the handler: the page and the JSON lookup differ */
    {"GET", "/reissue/serial", serial_page, HALL_R_AUTH, NULL},
    {"GET", "/reissue/apply", apply_page, HALL_R_AUTH, NULL},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/reissue/apply", do_apply, HALL_R_AUTH, NULL},
    {"GET", "/reissue/print", hall_flow_print_page, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_flow reissue_flow = {
    .business = "reissue",
    .title = "介质遗失补办",
    .steps = hall_steps_reissue,
    .groups = reissue_groups,
    .materials = reissue_materials,
    .first_step = "serial",
    .tmpl_print = "reissue_print",
    .routes = reissue_routes,
    .stmts = reissue_stmts,
};

HALL_FLOW_MAIN(reissue_flow)
