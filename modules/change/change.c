/*
 * change: 证书变更 (SPEC's partner menu, seed 002: CA证书变更; agreement
 * clause 7: 证书所含的用户信息…发生变更的，应及时通知SZCA), on the flow kit
 * (core/flow/flow.h).  The applicant's certificate is replaced by one
 * carrying the data the applicant proves changed (机构名称, 法定代表人,
 * 单位地址; a person's 姓名), valid until the old one would have been; the
 * old one is revoked as superseded when the new one is issued, not before
 * (core/biz/produce.c).  Which fields a change may touch is the
 * catalogue's (HALL_FF_CHANGE, core/flow/change_rules.c).  This file keeps what
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
 *   GET  /change/assist, POST /change/assist/ticket: a certificate on a USB
 *                           key is changed on that key by the 证书助手
 *                           (change_assist.c), no new medium
 *
 * notice and serial are the steps the replacing flows share
 * (core/flow/replace.c), in this flow's words (change_replace); so are the
 * serial and product checks of apply and the claim.  docs/modules/change.md.
 */
#include <string.h>

#include "hall.h"
#include "change.h"

static const struct hall_stmt change_stmts[] = {
    /* 变更事项: the data the replaced certificate was issued on */
    {"change_print_old",
     "SELECT c.serial, c.subject_cn, c.subject_org, co.form_enc FROM orders o"
     " JOIN certificates c ON c.serial = o.reissue_of JOIN orders co ON co.id = c.order_id"
     " WHERE o.id = $1 AND o.user_id = $2",
     2},
    /* the valid seals whose picture the hall drew with the unit's name and
     * that a change of the name makes again (core/biz/sealprod.c draws them
     * again): the ones the certificate signs, and the 业务章 of the seal
     * orders it is or replaced the 机构证书 of (sql/100), on their own
     * certificates */
    {"change_drawn_seals",
     "SELECT count(*) FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " WHERE s.state = 'valid' AND i.style = 'auto' AND i.kind IN ('org', 'org_business')"
     " AND (s.cert_serial = $1 OR (i.kind = 'org_business'"
     " AND i.order_id IN (SELECT cert_seal_orders($1))))",
     1},
    CHANGE_ASSIST_STMTS,
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

/* ---- 录入信息 ------------------------------------------------------------------------ */

/* 变更费: the one price function's, one period (the validity is the old one's) */
static int64_t
fee_of(struct hall_dbres *prods, int row)
{
    struct hall_price pr = hall_flow_product_price(prods, row);

    return hall_price_cert(&pr, 1, 0);
}

/*
 * A new 机构名称 the certificate's seals cannot show: after the change,
 * production re-makes the seals it signs and draws a picture the hall drew
 * (工具自动生成) again with the new name (core/biz/sealprod.c); a name
 * longer than the arc takes (the drawing's own rule, hall_seal_org_drawable)
 * or with a character no installed font draws (the drawing's font, asked as
 * it draws: hall_sealimg_org_glyphs) is refused here rather than an
 * accepted order production cannot make.
 */
static int
seal_name_check(struct hall_req *req, unsigned bit, const struct hall_replace_cert *c,
                const struct hall_val *form, struct hall_errors *e)
{
    const char *org = hall_val_str(form, "org_name");
    struct hall_dbres *r;
    char bad[8];

    if (!(bit & HALL_T_UNIT) || hall_errors_has(e, "org_name") || strcmp(org, c->org) == 0)
        return HALL_OK;
    r = hall_db_exec(req->cx, "change_drawn_seals", HALL_STR(c->serial));
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_int(r, 0, "count") == 0)
        return HALL_OK;
    if (!hall_seal_org_drawable(org))
        hall_msg_add(req, e, HALL_M_CHANGE_SEAL_UNDRAWABLE, "org_name");
    else if (hall_sealimg_org_glyphs(org, bad, sizeof(bad)) != 0)
        hall_msg_add(req, e, HALL_M_CHANGE_SEAL_GLYPH, "org_name", bad);
    return HALL_OK;
}

/* the seals' font, found before the first form needs it (as hall-seal) */
static int
change_init(struct hall_app *app)
{
    char err[512];

    (void)app;
    if (hall_sealimg_check(err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    return HALL_OK;
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
    struct hall_replace_page a;
    int64_t fee;
    unsigned bit;

    if (hall_replace_apply_open(req, "录入信息", 1, &a) != HALL_OK)
        return HALL_OK;
    /* the store failed (503), or the certificate's order has no readable
     * form: the hall's mistake (500, logged) */
    if (a.old == NULL)
        return HALL_ERR;
    fee = fee_of(a.prods, a.row);
    bit = hall_cert_type_bit(a.c.cert_type);
    /* the data now (the certificate's), beside the inputs for the new */
    hall_change_rows(req, hall_val_set_list(req->pool, a.ctx, "current"), bit, a.old, a.form);
    fixed_ctx(req, a.ctx, bit);
    hall_val_set_str(req->pool, a.ctx, "price_change", hall_yuan(req->pool, fee));
    hall_val_set_int(req->pool, a.ctx, "price_total_fen", fee);
    hall_val_set_str(req->pool, a.ctx, "invoice_purpose", INVOICE_PURPOSE);
    hall_flow_steps(req, a.ctx, "apply");
    return hall_resp_page(req, 200, "change_apply", a.ctx);
}

static int
do_apply(struct hall_req *req)
{
    struct hall_replace_submit a;
    struct hall_val *old;
    int64_t fee;

    /* the certificate decides the type, the product and the data compared */
    if (hall_replace_submit_open(req, hall_replace_params, &a) != HALL_OK)
        return HALL_OK;
    old = hall_replace_old_form(req, &a.c);
    if (old == NULL)
        return HALL_ERR;

    hall_replace_fields_check(req, &a);
    hall_change_check(req, a.bit, old, a.form, &a.e);
    if (seal_name_check(req, a.bit, &a.c, a.form, &a.e) != HALL_OK)
        return HALL_OK;
    if (hall_replace_submit_checked(req, &a) != HALL_OK)
        return HALL_OK;
    fee = fee_of(a.prods, a.row);
    hall_val_set_fmt(req->pool, a.form, "price_change", "%s元", hall_yuan(req->pool, fee));
    hall_val_set_str(req->pool, a.form, "invoice_purpose", INVOICE_PURPOSE);
    /* the new certificate carries the changed name */
    return hall_replace_submit_save(
        req, &a,
        &(struct hall_replace_save){
            hall_val_str(a.form, (a.bit & HALL_T_UNIT) ? "org_name" : "app_name"), 1, fee,
            "shipping"});
}

/* ---- 打印申请表 ------------------------------------------------------------------- */

/* the kit's print page's 变更事项: the data the certificate was issued on
 * beside the new */
static int
print_more(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
           const struct hall_val *form)
{
    struct hall_dbres *res;
    struct hall_val *old, *v;

    res = hall_db_exec(req->cx, "change_print_old", HALL_I64(hall_dbres_int(o, 0, "id")),
                       HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    old = hall_dbres_pii_json(req->cx, res, 0, hall_dbres_col(res, "form_enc"));
    if (old == NULL || old->type != HALL_V_OBJ)
        return HALL_ERR; /* a stored form we cannot read: the hall's mistake (500) */
    v = hall_val_set_obj(req->pool, ctx, "change");
    hall_val_set_str(req->pool, v, "subject",
                     hall_pki_subject_text(req->pool, hall_dbres_str(res, 0, "subject_cn"),
                                           hall_dbres_str(res, 0, "subject_org")));
    hall_change_rows(req, hall_val_set_list(req->pool, v, "rows"),
                     hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type")), old, form);
    return HALL_OK;
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route change_routes[] = {
    HALL_REPLACE_ROUTES("/change", hall_replace_choose_page, apply_page, do_apply),
    CHANGE_ASSIST_ROUTES,
    {NULL, NULL, NULL, 0, NULL},
};

/* the shared steps' words (core/flow/replace.c) */
static const struct hall_replace_flow change_replace = {
    .notice_title = "证书变更 · 操作提示",
    .notice_tmpl = "change_notice",
    .serial_tmpl = "change_serial",
    .json_key = "changeable",
    .pending_label = "有业务办理中",
    .not_offered = HALL_M_REPLACE_NOT_OFFERED,
};

static const struct hall_flow change_flow = {
    HALL_REPLACE_FLOW(change, "证书变更"),
    .tmpl_print = "change_print",
    .print_more = print_more,
    .stmts = change_stmts,
    .init = change_init,
};

HALL_FLOW_MAIN(change_flow)
