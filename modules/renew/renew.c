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
 * notice and serial are the steps the replacing flows share
 * (core/flow/replace.c), in this flow's words (renew_replace); so are the
 * serial and product checks of apply and the claim.  docs/modules/renew.md.
 */
#include <string.h>

#include "hall.h"
#include "renew.h"

static const struct hall_stmt renew_stmts[] = {
    /* the partner's renewal product of a type: its window */
    {"renew_window",
     "SELECT renew_before_days, renew_after_days FROM products WHERE partner_code = $1"
     " AND business_type = 'renew' AND cert_type = $2 AND active",
     2},
    RENEW_ASSIST_STMTS,
    {NULL, NULL, 0},
};

/* the catalogue's groups: the certificate's order's data confirmed; no
 * 金融认证: the holder was proven by that order (modules/pay: to review) */
static const char *const renew_groups[] = {"cert",      "reissue", "unit",    "legal", "agent",
                                           "applicant", "mail",    "invoice", NULL};

static const char *const renew_materials[] = {"application", "license", NULL};

/* ---- the certificate --------------------------------------------------------- */

/* the certificate of serial for a renewal in p's channel: ownership, state,
 * claim (core/flow/replace.c), then the window of p's product of its type;
 * order_id: the order being edited (its certificate, window already passed);
 * HALL_ERR on database failure only */
static int
cert_get(struct hall_req *req, const struct hall_partner *p, int64_t order_id, const char *serial,
         const char *key, struct hall_replace_cert *c)
{
    struct hall_dbres *w;

    if (hall_replace_cert_get(req, "renew", serial, order_id, key, c) != HALL_OK)
        return hall_req_failed(req);
    if (c->result != HALL_REPLACE_OK || order_id > 0)
        return HALL_OK;
    w = hall_db_exec(req->cx, "renew_window", HALL_STR(p->code), HALL_STR(c->cert_type));
    if (w == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(w) == 0) {
        c->result = HALL_REPLACE_FOREIGN; /* not offered here: refused, as for no product */
        c->code = HALL_M_REPLACE_NOT_OFFERED;
        c->why = hall_msg_text(req->pool, c->code, "证书更新");
        return HALL_OK;
    }
    hall_replace_window(req, c, (int)hall_dbres_int(w, 0, "renew_before_days"),
                        (int)hall_dbres_int(w, 0, "renew_after_days"));
    return HALL_OK;
}

/* ---- 确认信息 ------------------------------------------------------------------------ */

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
    /* no renewal makes a medium: a USB key's is the 证书助手's on the same
     * key, a browser file's a new key in the browser (sql/170, sql/176) */
    if (strstr(hall_dbres_str(prods, row, "breakdown"), "\"介质费\"") == NULL)
        hall_val_set_fmt(req->pool, ctx, "fee_text",
                         "证书费用：%s元/年（不制作、不寄送新介质，不收介质费）",
                         hall_yuan(req->pool, hall_price_cert(&pr, 1, 0)));

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
    struct hall_replace_page a;

    if (hall_replace_apply_open(req, "确认信息", 0, &a) != HALL_OK)
        return HALL_OK;
    years_ctx(req, a.ctx, a.prods, a.row, a.o != NULL ? (long)hall_dbres_int(a.o, 0, "years") : 1);
    hall_val_set_str(req->pool, a.ctx, "subject_note",
                     "证书主题（机构名称、统一社会信用代码、申请人姓名）与原证书相同，不能修改；"
                     "信息已变更的，请办理证书变更。其他信息请核对，有变化的请修改。");
    hall_flow_steps(req, a.ctx, "apply");
    return hall_resp_page(req, 200, "replace_apply", a.ctx);
}

static const struct hall_pspec apply_params[] = {
    HALL_REPLACE_PARAMS_CERT,
    {"years", HALL_P_INT, 0, 1, 5, "证书年限", NULL},
    HALL_REPLACE_PARAMS_DELIVERY,
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_apply(struct hall_req *req)
{
    struct hall_replace_submit a;
    struct hall_price pr;
    int64_t years = 0;

    if (hall_replace_submit_open(req, apply_params, &a) != HALL_OK)
        return HALL_OK;
    hall_req_param_i64(req, "years", &years);
    if (!hall_errors_has(&a.e, "years") && (years < hall_dbres_int(a.prods, a.row, "min_years") ||
                                            years > hall_dbres_int(a.prods, a.row, "max_years")))
        hall_msg_add(req, &a.e, HALL_M_YEARS_NOT_OFFERED, "years");

    hall_replace_fields_check(req, &a);
    hall_replace_subject_check(req, a.bit, a.form, hall_replace_start_form(req, &a.c), &a.c, &a.e);
    if (hall_replace_submit_checked(req, &a) != HALL_OK)
        return HALL_OK;
    pr = hall_flow_product_price(a.prods, a.row);
    /* the certificate, the years and the fee travel with the revisions */
    hall_val_set_fmt(req->pool, a.form, "choice_years", "%lld年", (long long)years);
    return hall_replace_submit_save(
        req, &a,
        &(struct hall_replace_save){NULL, years, hall_price_cert(&pr, (int)years, 0), "years"});
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route renew_routes[] = {
    HALL_REPLACE_ROUTES("/renew", hall_replace_serial_page, apply_page, do_apply),
    RENEW_ASSIST_ROUTES,
    {NULL, NULL, NULL, 0, NULL},
};

/* the shared steps' words (core/flow/replace.c) */
static const struct hall_replace_flow renew_replace = {
    .notice_title = "证书更新 · 操作提示",
    .notice_tmpl = "renew_notice",
    .serial_tmpl = "replace_serial",
    .json_key = "renewable",
    .choose_caption = "选择要更新的证书（您的业务单办理的证书）",
    .next_note = "注：更新后原证书在有效期内继续有效；新证书自原证书"
                 "到期时起生效，有效期为所选年限，不损失已付费的天数。",
    .next_note_expired = "注：该证书已过期，更新后的新证书自签发之日起生效。",
    .next_note_medium =
        "注：该证书在USB Key中，更新不寄送新介质：审核通过后，在业务单的"
        "“用证书助手在线更新”页面获取更新码，插入USB Key后运行证书助手"
        "（hall-assist renew），在同一个USB Key中生成新密钥并写入新证书；"
        "新证书自即日起生效，原证书未到期的剩余有效期计入新证书，不损失已付费的天数。",
    .not_offered_why = "本渠道不办理该类型证书的更新",
    .window = 1,
    .not_offered = HALL_M_REPLACE_NOT_OFFERED,
    .cert_get = cert_get,
};

static const struct hall_flow renew_flow = {
    HALL_REPLACE_FLOW(renew, "证书更新"),
    .tmpl_print = "replace_print",
    .stmts = renew_stmts,
};

HALL_FLOW_MAIN(renew_flow)
