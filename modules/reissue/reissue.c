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
 * notice and serial are the steps the replacing flows share
 * (core/flow/replace.c), in this flow's words (reissue_replace); so are the
 * serial and product checks of apply and the claim.  docs/modules/reissue.md.
 */
#include <string.h>

#include "hall.h"

/* seed 004: 申请单位、经办人、申请人、法人、公司账号、邮寄地址和发票; the
 * catalogue's types pick what a certificate type needs */
static const char *const reissue_groups[] = {"cert",      "reissue", "unit", "legal",   "agent",
                                             "applicant", "bank",    "mail", "invoice", NULL};

static const char *const reissue_materials[] = {"application", "license", NULL};

/* seed 004: 发票用途 介质服务费, where a medium is charged; a browser-made
 * certificate's 补办 makes none (sql/170): its service fee, or no invoice
 * at all on a 0.00元 order (NULL) */
static const char *
invoice_purpose(int64_t medium_fen, int64_t total_fen)
{
    return medium_fen > 0 ? "介质服务费" : total_fen > 0 ? "证书补办服务费" : NULL;
}

/* ---- the serial ---------------------------------------------------------------- */

static enum hall_msg_code
serial_msg(enum hall_replace_result r)
{
    switch (r) {
    case HALL_REPLACE_BAD_SERIAL: return HALL_M_SERIAL_FORMAT;
    case HALL_REPLACE_NOT_FOUND: return HALL_M_SERIAL_UNKNOWN;
    case HALL_REPLACE_FOREIGN: return HALL_M_SERIAL_FOREIGN;
    case HALL_REPLACE_REVOKED: return HALL_M_SERIAL_REVOKED;
    case HALL_REPLACE_EXPIRED: return HALL_M_SERIAL_EXPIRED;
    default: return HALL_M_SERIAL_PENDING;
    }
}

/* the serial's refusal in seed 004's words */
static int
serial_refuse(struct hall_req *req, const struct hall_replace_cert *c)
{
    return hall_msg(req, serial_msg(c->result), "serial");
}

/* the certificate of serial as core/flow/reissue_review.c gives it (any channel's) */
static int
serial_cert(struct hall_req *req, const struct hall_partner *p, int64_t order_id,
            const char *serial, const char *key, struct hall_replace_cert *c)
{
    (void)p;
    return hall_reissue_cert_get(req, serial, order_id, key, c);
}

/* ---- 录入信息 ------------------------------------------------------------------------ */

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

static int
apply_page(struct hall_req *req)
{
    struct hall_replace_page a;
    struct fee f;

    if (hall_replace_apply_open(req, "录入信息", 0, &a) != HALL_OK)
        return HALL_OK;
    f = fee_of(a.prods, a.row);
    /* seed 004: 基本户名称需与单位名称保持一致, both the certificate's */
    if (a.o == NULL && (hall_cert_type_bit(a.c.cert_type) & HALL_T_UNIT)) {
        hall_val_set_str(req->pool, a.form, "org_name", a.c.org);
        hall_val_set_str(req->pool, a.form, "bank_account_name", a.c.org);
    }
    fee_ctx(req, a.ctx, &f);
    if (invoice_purpose(f.medium, f.total) != NULL)
        hall_val_set_str(req->pool, a.ctx, "invoice_purpose", invoice_purpose(f.medium, f.total));
    else {
        /* nothing charged, nothing to invoice: 否 chosen, unless this
         * order's own form said 是 (the old order's, prefilled, does not) */
        hall_val_set_bool(req->pool, a.ctx, "invoice_free", 1);
        if (a.o == NULL || strcmp(hall_val_str(a.form, "invoice"), "yes") != 0)
            hall_val_set_bool(req->pool, a.ctx, "invoice_no", 1);
    }
    hall_flow_steps(req, a.ctx, "apply");
    return hall_resp_page(req, 200, "reissue_apply", a.ctx);
}

static int
do_apply(struct hall_req *req)
{
    struct hall_replace_submit a;
    struct fee f;

    if (hall_replace_submit_open(req, hall_replace_params, &a) != HALL_OK)
        return HALL_OK;
    hall_replace_fields_check(req, &a);
    /* the new certificate carries the old one's subject: the unit is that one */
    if ((a.bit & HALL_T_UNIT) && !hall_errors_has(&a.e, "org_name") &&
        strcmp(hall_val_str(a.form, "org_name"), a.c.org) != 0)
        hall_msg_add(req, &a.e, HALL_M_SERIAL_ORG_MISMATCH, "org_name", a.c.org);
    if (hall_replace_submit_checked(req, &a) != HALL_OK)
        return HALL_OK;
    f = fee_of(a.prods, a.row);
    /* the certificate and the fees travel with the revisions */
    hall_val_set_fmt(req->pool, a.form, "price_reissue", "%s元", hall_yuan(req->pool, f.reissue));
    hall_val_set_fmt(req->pool, a.form, "price_medium", "%s元", hall_yuan(req->pool, f.medium));
    if (invoice_purpose(f.medium, f.total) != NULL)
        hall_val_set_str(req->pool, a.form, "invoice_purpose", invoice_purpose(f.medium, f.total));
    return hall_replace_submit_save(req, &a,
                                    &(struct hall_replace_save){NULL, 1, f.total, "shipping"});
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route reissue_routes[] = {
    HALL_REPLACE_ROUTES("/reissue", hall_replace_choose_page, apply_page, do_apply),
    {NULL, NULL, NULL, 0, NULL},
};

/* the shared steps' words (core/flow/replace.c): seed 004's messages */
static const struct hall_replace_flow reissue_replace = {
    .notice_title = "介质遗失补办 · 操作提示",
    .notice_tmpl = "reissue_notice",
    .serial_tmpl = "reissue_serial",
    .json_key = "reissuable",
    .pending_label = "已有业务办理中",
    .cert_good = 1,
    .not_offered = HALL_M_TYPE_NOT_OFFERED,
    .cert_get = serial_cert,
    .refuse = serial_refuse,
};

static const struct hall_flow reissue_flow = {
    HALL_REPLACE_FLOW(reissue, "介质遗失补办"),
    .tmpl_print = "reissue_print",
};

HALL_FLOW_MAIN(reissue_flow)
