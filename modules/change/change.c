/*
 * change: 证书变更 (SPEC's partner menu, seed 002: CA证书变更; agreement
 * clause 7: 证书所含的用户信息…发生变更的，应及时通知SZCA), on the flow kit
 * (core/flow/flow.h).  The applicant's certificate is replaced by one
 * carrying the data the applicant proves changed (机构名称, 法定代表人,
 * 单位地址; a person's 姓名), valid until the old one would have been; the
 * old one is revoked as superseded when the new one is issued, not before
 * (core/biz/produce.c).  Which fields a change may touch is the
 * catalogue's (HALL_FF_CHANGE, core/flow/change.c).  This file keeps what
 * is the change flow's own:
 *
 *   GET  /change/notice     操作提示 (证书变更介绍), 确认 leads to the agreements
 *   GET  /change/serial     证书选择: the applicant's certificates to choose
 *                           from, or a serial typed -> the certificate's
 *                           details (JSON when asked)
 *   GET  /change/apply      录入信息: the certificate's data prefilled, the
 *                           fields a change may not touch read-only; 变更费
 *   POST /change/apply      checks the serial, then every field and the
 *                           change against the old data (all errors at
 *                           once); the order and its claim on the
 *                           certificate, one transaction
 *   GET  /change/print      数字证书变更申请表 with 变更事项 (old -> new)
 *
 * docs/modules/change.md.
 */
#include <string.h>

#include "hall.h"

static const struct hall_stmt change_stmts[] = {
    {"change_order_serial",
     "SELECT coalesce(reissue_of, '') AS reissue_of FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* the certificate's own order: the data it was issued on */
    {"change_cert_form", "SELECT form_enc FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* 证书选择's list: the certificates the applicant's orders produced, a
     * seal's own certificate aside (it follows its signer's) */
    {"change_own_certs",
     "SELECT c.serial, c.subject_cn, c.subject_org, o.cert_type,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.state, c.not_after < now() AS expired,"
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     " WHERE o.user_id = $1 AND c.state IN ('issued', 'revoked') AND c.seal_item_id IS NULL"
     " ORDER BY c.issued_at DESC, c.serial LIMIT 100",
     1},
    /* 变更事项: the data the replaced certificate was issued on */
    {"change_print_old",
     "SELECT c.serial, c.subject_cn, c.subject_org, co.form_enc FROM orders o"
     " JOIN certificates c ON c.serial = o.reissue_of JOIN orders co ON co.id = c.order_id"
     " WHERE o.id = $1 AND o.user_id = $2",
     2},
    {NULL, NULL, 0},
};

/* the certificate's data (unit, legal, applicant), the agent applying now,
 * the account of the micro-deposit, mailing and invoice */
static const char *const change_groups[] = {"cert",      "reissue", "unit", "legal",   "agent",
                                            "applicant", "bank",    "mail", "invoice", NULL};

/* the new 营业执照 (units) or 身份证 (persons) and what proves the change */
static const char *const change_materials[] = {"application", "license", "applicant_id",
                                               "change_proof", NULL};

#define INVOICE_PURPOSE "证书变更服务费"

/* ---- the serial ---------------------------------------------------------------- */

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

static const struct hall_pspec serial_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec serial_page_params[] = {
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* GET /change/serial?serial= asked for JSON: may this certificate be changed */
static int
serial_json(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_reissue_cert c;
    struct hall_val *v;

    hall_req_check(req, serial_params, &e);
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    if (hall_replace_cert_get(req, "change", hall_req_param(req, "serial"), 0, NULL, &c) != HALL_OK)
        return hall_resp_busy(req);
    if (c.result == HALL_REISSUE_BAD_SERIAL || c.result == HALL_REISSUE_NOT_FOUND)
        return hall_replace_refuse(req, &c, "serial");
    v = hall_val_obj(req->pool);
    cert_json(req, hall_val_set_obj(req->pool, v, "cert"), &c);
    hall_val_set_bool(req->pool, v, "changeable", c.result == HALL_REISSUE_OK);
    if (c.result != HALL_REISSUE_OK)
        hall_val_set_str(req->pool, v, "message", c.why);
    return hall_resp_ok(req, v);
}

/* 证书选择's list (ctx.own_certs), 选择 where a change may begin */
static int
own_certs_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_partner *p,
              const char *chosen)
{
    struct hall_dbres *r = hall_db_exec(req->cx, "change_own_certs", HALL_I64(req->user_id));
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
                         : pending ? "有业务办理中"
                                   : "有效");
        if (!revoked && !expired && !pending)
            hall_val_set_str(req->pool, c, "choose",
                             hall_flow_url(req, "/serial?project=%s&serial=%s", p->code, serial));
        if (chosen != NULL && strcmp(chosen, serial) == 0)
            hall_val_set_bool(req->pool, c, "chosen", 1);
    }
    return HALL_OK;
}

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
        if (hall_replace_cert_get(req, "change", serial, 0, NULL, &c) != HALL_OK)
            return hall_resp_busy(req);
        if (c.result != HALL_REISSUE_BAD_SERIAL && c.result != HALL_REISSUE_NOT_FOUND)
            cert_ctx(req, ctx, &c);
        if (c.result == HALL_REISSUE_OK) {
            hall_val_set_str(req->pool, ctx, "next",
                             hall_flow_url(req, "/apply?project=%s&serial=%s", p.code, c.serial));
        } else {
            status = hall_msgs[c.code].status;
            hall_val_set_str(req->pool, ctx, "serial_error", c.why);
        }
    }
    hall_flow_steps(req, ctx, "serial");
    return hall_resp_page(req, status, "change_serial", ctx);
}

/* ---- 操作提示 ------------------------------------------------------------------------ */

static int
notice_page(struct hall_req *req)
{
    const char *project = hall_req_query(req, "project");
    struct hall_partner p;
    struct hall_val *ctx;

    if (req->partner[0] != '\0' || (project != NULL && *project != '\0')) {
        if (hall_flow_partner(req, project, &p) != HALL_OK)
            return HALL_OK;
        ctx = hall_flow_page(req, "证书变更 · 操作提示", &p);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "?project=%s", p.code));
    } else {
        ctx = hall_flow_page(req, "证书变更 · 操作提示", NULL);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "%s", ""));
    }
    hall_flow_steps(req, ctx, "notice");
    return hall_resp_page(req, 200, "change_notice", ctx);
}

/* ---- 录入信息 ------------------------------------------------------------------------ */

/* the certificate of the order being made (serial, by the form key) or
 * edited (o); HALL_ERR after answering */
static int
serial_check(struct hall_req *req, struct hall_dbres *o, const char *serial, const char *key,
             struct hall_reissue_cert *c)
{
    int64_t oid = o != NULL ? hall_dbres_int(o, 0, "id") : 0;

    if (o != NULL) {
        struct hall_dbres *r =
            hall_db_exec(req->cx, "change_order_serial", HALL_I64(oid), HALL_I64(req->user_id));

        if (r == NULL || hall_dbres_rows(r) == 0)
            return hall_resp_busy(req), HALL_ERR;
        if (serial != NULL && *serial != '\0' &&
            strcmp(serial, hall_dbres_str(r, 0, "reissue_of")) != 0)
            return hall_msg(req, HALL_M_SERIAL_CHANGED, "serial"), HALL_ERR;
        serial = hall_dbres_str(r, 0, "reissue_of");
    }
    if (serial == NULL)
        serial = "";
    if (hall_replace_cert_get(req, "change", serial, oid, key, c) != HALL_OK)
        return hall_resp_busy(req), HALL_ERR;
    if (c->result != HALL_REISSUE_OK)
        return hall_replace_refuse(req, c, "serial"), HALL_ERR;
    return HALL_OK;
}

/* the certificate and the partner's change product for its type: the
 * product's row of *prods, -1 after answering */
static int
cert_product(struct hall_req *req, struct hall_dbres *o, const char *serial, const char *key,
             const struct hall_partner *p, struct hall_reissue_cert *c, struct hall_dbres **prods)
{
    int i;

    if (serial_check(req, o, serial, key, c) != HALL_OK)
        return -1;
    *prods = hall_flow_products(req, p);
    if (*prods == NULL)
        return -1;
    for (i = 0; i < hall_dbres_rows(*prods); i++)
        if (strcmp(hall_dbres_str(*prods, i, "cert_type"), c->cert_type) == 0)
            return i;
    hall_msg(req, HALL_M_REPLACE_NOT_OFFERED, "serial", hall_business_label("change"));
    return -1;
}

/* 变更费: the one price function's, one period (the validity is the old one's) */
static int64_t
fee_of(struct hall_dbres *prods, int row)
{
    struct hall_price pr = hall_flow_product_price(prods, row);

    return hall_price_cert(&pr, 1, 0);
}

/* the data the certificate was issued on: its own order's form (the same
 * applicant's); NULL when it cannot be read */
static struct hall_val *
old_form(struct hall_req *req, const struct hall_reissue_cert *c)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "change_cert_form", HALL_I64(c->order_id), HALL_I64(req->user_id));
    struct hall_val *form;

    if (r == NULL || hall_dbres_rows(r) == 0)
        return NULL;
    form = hall_dbres_pii_json(req->cx, r, 0, hall_dbres_col(r, "form_enc"));
    return form != NULL && form->type == HALL_V_OBJ ? form : NULL;
}

/* ctx.fixed: the inputs a change may not touch (read-only on the page) */
static void
fixed_ctx(struct hall_req *req, struct hall_val *ctx, unsigned bit)
{
    struct hall_val *v = hall_val_set_obj(req->pool, ctx, "fixed");
    const struct hall_field *f;
    const char *const *g;

    for (f = hall_fields; f->name != NULL; f++) {
        if ((f->types & bit) == 0 || (f->flags & (HALL_FF_CHANGE | HALL_FF_HALL | HALL_FF_PARAM)))
            continue;
        for (g = hall_change_groups; *g != NULL; g++)
            if (strcmp(f->group, *g) == 0)
                hall_val_set_bool(req->pool, v, f->name, 1);
    }
}

static int
apply_page(struct hall_req *req)
{
    struct hall_dbres *o, *prods;
    struct hall_reissue_cert c;
    struct hall_val *ctx, *form, *old;
    struct hall_partner p;
    int64_t fee;
    unsigned bit;
    int row;

    if (hall_flow_apply_open(req, &p, &o) != HALL_OK)
        return HALL_OK;
    row = cert_product(req, o, hall_req_query(req, "serial"), NULL, &p, &c, &prods);
    if (row < 0)
        return HALL_OK;
    fee = fee_of(prods, row);
    bit = hall_cert_type_bit(c.cert_type);
    old = old_form(req, &c);
    form = o != NULL ? hall_flow_form(req, o) : old;
    if (form == NULL || old == NULL)
        return hall_resp_busy(req);
    ctx = hall_flow_page(req, "录入信息", &p);
    if (hall_flow_apply_ctx(req, ctx, o) != HALL_OK)
        return HALL_OK;
    hall_flow_choices_ctx(req, ctx, prods, &p, c.cert_type, 1, 0, form);
    cert_ctx(req, ctx, &c);
    /* the data now (the certificate's), beside the inputs for the new */
    hall_change_rows(req, hall_val_set_list(req->pool, ctx, "current"), bit, old, form);
    fixed_ctx(req, ctx, bit);
    hall_val_set_str(req->pool, ctx, "price_change", hall_yuan(req->pool, fee));
    hall_val_set_int(req->pool, ctx, "price_total_fen", fee);
    hall_val_set_str(req->pool, ctx, "invoice_purpose", INVOICE_PURPOSE);
    hall_flow_steps(req, ctx, "apply");
    return hall_resp_page(req, 200, "change_apply", ctx);
}

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
    struct hall_val *form = hall_val_obj(req->pool), *old;
    struct hall_dbres *prods;
    struct hall_reissue_cert c;
    struct hall_partner p;
    struct hall_flow_save s;
    int64_t fee;
    unsigned bit;
    int row;

    if (hall_flow_submit_open(req, apply_params, &e, &p, &s) != HALL_OK)
        return HALL_OK;
    if (hall_errors_has(&e, "serial"))
        return hall_resp_errors(req, &e);
    /* the certificate decides the type, the product and the data compared */
    row = cert_product(req, s.o, hall_req_param(req, "serial"), s.submit_key, &p, &c, &prods);
    if (row < 0)
        return HALL_OK;
    bit = hall_cert_type_bit(c.cert_type);
    old = old_form(req, &c);
    if (old == NULL)
        return hall_resp_busy(req);

    hall_flow_fields_check(req, bit, form, &e);
    hall_flow_delivery_check(req, &p, form, &e);
    hall_change_check(req, bit, old, form, &e);
    if (hall_flow_cross_check(req, bit, form, &e) != HALL_OK)
        return HALL_OK;
    if (hall_flow_submit_checked(req, &e, form, bit, &s) != HALL_OK)
        return HALL_OK;
    fee = fee_of(prods, row);
    hall_val_set_str(req->pool, form, "choice_cert_type", hall_cert_type_label(c.cert_type));
    hall_val_set_fmt(req->pool, form, "price_change", "%s元", hall_yuan(req->pool, fee));
    hall_val_set_str(req->pool, form, "reissue_serial", c.serial);
    hall_val_set_str(req->pool, form, "reissue_subject", c.cn);
    hall_val_set_fmt(req->pool, form, "reissue_valid", "%s 至 %s", c.not_before, c.not_after);
    hall_val_set_str(req->pool, form, "invoice_purpose", INVOICE_PURPOSE);
    s.cert_type = c.cert_type;
    s.subject = hall_form_str(form, (bit & HALL_T_UNIT) ? "org_name" : "app_name");
    s.product_id = hall_dbres_int(prods, row, "id");
    s.years = 1;
    s.cert_fen = fee;
    s.also = hall_replace_claim; /* core/flow/replace.c */
    s.arg = (void *)c.serial;
    return hall_flow_submit_save(req, form, &s, "shipping");
}

/* ---- 打印申请表 ------------------------------------------------------------------- */

/* the kit's print page, and 变更事项: the data the certificate was issued
 * on beside the new */
static int
print_page(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req), *res;
    struct hall_val *form, *ctx;
    struct hall_partner p;

    if (o == NULL)
        return HALL_OK;
    if (hall_flow_partner(req, hall_dbres_str(o, 0, "partner_code"), &p) != HALL_OK)
        return HALL_OK;
    form = hall_flow_form(req, o);
    if (form == NULL)
        return hall_resp_busy(req);
    res = hall_db_exec(req->cx, "change_print_old", HALL_I64(hall_dbres_int(o, 0, "id")),
                       HALL_I64(req->user_id));
    if (res == NULL)
        return hall_resp_busy(req);
    ctx = hall_flow_print_ctx(req, o, &p, form);
    if (hall_dbres_rows(res) > 0) {
        struct hall_val *old =
            hall_dbres_pii_json(req->cx, res, 0, hall_dbres_col(res, "form_enc"));
        struct hall_val *v = hall_val_set_obj(req->pool, ctx, "change");

        if (old == NULL || old->type != HALL_V_OBJ)
            return hall_resp_busy(req);
        hall_val_set_str(req->pool, v, "subject",
                         hall_pki_subject_text(req->pool, hall_dbres_str(res, 0, "subject_cn"),
                                               hall_dbres_str(res, 0, "subject_org")));
        hall_change_rows(req, hall_val_set_list(req->pool, v, "rows"),
                         hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type")), old, form);
    }
    return hall_resp_page(req, 200, "change_print", ctx);
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route change_routes[] = {
    {"GET", "/change/notice", notice_page, 0, NULL},
    /* parameters checked in the handler: the page and the JSON lookup differ */
    {"GET", "/change/serial", serial_page, HALL_R_AUTH, NULL},
    {"GET", "/change/apply", apply_page, HALL_R_AUTH, NULL},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/change/apply", do_apply, HALL_R_AUTH, NULL},
    {"GET", "/change/print", print_page, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_flow change_flow = {
    .business = "change",
    .title = "证书变更",
    .steps = hall_steps_change,
    .groups = change_groups,
    .materials = change_materials,
    .first_step = "serial",
    .tmpl_print = "change_print",
    .routes = change_routes,
    .stmts = change_stmts,
};

HALL_FLOW_MAIN(change_flow)
