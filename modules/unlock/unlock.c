/*
 * unlock: 证书解锁 (a forgotten or locked PIN), on the flow kit
 * (core/flow/flow.h) and the rules every order replacing a certificate
 * shares (core/flow/replace.c).  The hall never holds a holder's key
 * (电子签名法 第十三条), so it resets no PIN itself: 解锁 proves the holder
 * again (an SMS code to the phone the certificate's order names, then the
 * phone's liveness check, the kit's identity step); then a USB key is
 * unlocked on the same medium by the 证书助手 (unlock_assist.c: key and
 * certificate kept, nothing made or mailed, no 介质费: sql/173), and a file
 * made in the browser, which cannot be unlocked, gets a new key there and a
 * new certificate with the same subject and the old one's remaining
 * validity, the old one revoked as superseded when the new one is stored.
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
 * notice and serial are the steps the replacing flows share
 * (core/flow/replace.c), in this flow's words (unlock_replace); so are the
 * serial and product checks of apply and the claim.  docs/modules/unlock.md.
 */
#include <string.h>

#include "hall.h"
#include "unlock.h"

static const struct hall_stmt unlock_stmts[] = {
    /* the same form again: its order exists (the SMS code was spent on it) */
    {"unlock_form_order", "SELECT id FROM orders WHERE user_id = $1 AND submit_key = $2", 2},
    UNLOCK_ASSIST_STMTS,
    {NULL, NULL, 0},
};

/* the catalogue's groups: the certificate's order's data confirmed; no
 * 金融认证: the holder proves itself by the SMS code and on the phone */
static const char *const unlock_groups[] = {"cert",      "reissue", "unit",    "legal", "agent",
                                            "applicant", "mail",    "invoice", NULL};

static const char *const unlock_materials[] = {"application", NULL};

/* ---- 确认信息 ------------------------------------------------------------------------ */

/* the phone the certificate's PIN went to (core/biz/produce.c's rule: a
 * 机构证书's agent, else the applicant): the SMS code's; "" when none */
static const char *
holder_phone(const struct hall_val *form, const char *cert_type)
{
    const char *p;

    if (strcmp(cert_type, "org") == 0)
        return hall_val_str(form, "agent_mobile");
    p = hall_val_str(form, "app_mobile");
    return *p != '\0' ? p : hall_val_str(form, "agent_mobile");
}

/* 解锁费, and a 介质费 only where the product still has one: a USB key's
 * 解锁 is the 证书助手's on the same medium and a browser file's a new key
 * in the browser, neither a medium made or mailed (sql/170, sql/173) */
static void
fee_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods, int row)
{
    struct hall_price pr = hall_flow_product_price(prods, row);
    int64_t total = hall_price_cert(&pr, 1, 0);

    if (strstr(hall_dbres_str(prods, row, "breakdown"), "\"介质费\"") == NULL) {
        hall_val_set_fmt(req->pool, ctx, "fee_text",
                         "解锁费用：%s元（不制作、不寄送新介质，不收介质费），合计 %s元",
                         hall_yuan(req->pool, total), hall_yuan(req->pool, total));
        return;
    }
    hall_val_set_fmt(req->pool, ctx, "fee_text", "解锁费用：%s元，介质费用：%s元，合计 %s元",
                     hall_yuan(req->pool, total - pr.fixed_fen), hall_yuan(req->pool, pr.fixed_fen),
                     hall_yuan(req->pool, total));
}

static int
apply_page(struct hall_req *req)
{
    struct hall_replace_page a;

    if (hall_replace_apply_open(req, "确认信息", 0, &a) != HALL_OK)
        return HALL_OK;
    fee_ctx(req, a.ctx, a.prods, a.row);
    if (a.o == NULL) {
        /* the SMS code goes to the phone the certificate's order names
         * (a new order's form is that order's) */
        const char *ph = holder_phone(a.form, a.c.cert_type);

        hall_val_set_bool(req->pool, a.ctx, "sms_asked", 1);
        if (strlen(ph) == 11)
            hall_val_set_fmt(req->pool, a.ctx, "sms_phone", "%.3s****%.4s", ph, ph + 7);
    }
    hall_val_set_str(
        req->pool, a.ctx, "subject_note",
        "新证书的主题（机构名称、统一社会信用代码、申请人姓名）与原证书相同，不能修改；"
        "信息已变更的，请办理证书变更。其他信息请核对，有变化的请修改。");
    hall_flow_steps(req, a.ctx, "apply");
    return hall_resp_page(req, 200, "replace_apply", a.ctx);
}

/* the submit's own parameters, checked with the catalogue's fields by the
 * same registry, so that every error is answered at once */
static const struct hall_pspec apply_params[] = {
    HALL_REPLACE_PARAMS_CERT,
    {"sms_code", HALL_P_SMSCODE, HALL_PF_OPTIONAL, 6, 6, "短信验证码", NULL},
    HALL_REPLACE_PARAMS_DELIVERY,
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the SMS code of the holder's phone, in its own transaction (a wrong
 * code counts even when nothing else is written); the same form again
 * finds its order instead (the save answers it).  HALL_ERR after
 * answering a wrong code, or unanswered when the store failed */
static int
sms_spend(struct hall_req *req, const struct hall_replace_cert *c, const char *key,
          const char *code)
{
    const char *phone = holder_phone(hall_replace_start_form(req, c), c->cert_type);
    enum hall_sms_result r;

    if (key != NULL) {
        struct hall_dbres *k =
            hall_db_exec(req->cx, "unlock_form_order", HALL_I64(req->user_id), HALL_STR(key));

        if (k == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(k) > 0)
            return HALL_OK;
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    r = hall_sms_object_code_check(req, phone, "unlock", c->serial, code);
    if (r == HALL_SMS_DB_ERROR)
        return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    if (r != HALL_SMS_OK)
        return hall_resp_error(req, 400, "sms_code", hall_sms_result_msg(r)), HALL_ANSWERED;
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
    struct hall_replace_cert c;
    struct hall_partner p;
    enum hall_sms_result r;
    const char *phone;
    struct hall_val *v;

    if (hall_flow_partner(req, hall_req_param(req, "project"), &p) != HALL_OK)
        return HALL_OK;
    if (hall_replace_cert_product(req, NULL, hall_req_param(req, "serial"), NULL, &p, &c, &prods) <
        0)
        return HALL_OK;
    phone = holder_phone(hall_replace_start_form(req, &c), c.cert_type);
    if (strlen(phone) != 11)
        return hall_msg(req, HALL_M_UNLOCK_NO_PHONE, "sms_code");
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    r = hall_sms_client_limit(req);
    if (r == HALL_SMS_OK)
        /* a USB key's 解锁 resets its PIN by the 证书助手 and keeps the key
         * and certificate; any other 解锁 issues a new certificate */
        r = hall_sms_object_code_send(req, phone, "unlock", c.serial,
                                      *c.medium != '\0' ? HALL_SMST_unlock_code_medium
                                                        : HALL_SMST_unlock_code);
    if (r == HALL_SMS_DB_ERROR)
        return HALL_ERR;
    if (r == HALL_SMS_TOO_SOON)
        return hall_msg(req, HALL_M_SMS_TOO_SOON, "sms_code", req->app->conf.sms_code_interval_s);
    if (r != HALL_SMS_OK)
        return hall_resp_error(req, 429, "sms_code", hall_sms_result_msg(r));
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
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
    struct hall_replace_submit a;
    struct hall_price pr;
    const char *code = hall_req_param(req, "sms_code");

    if (hall_replace_submit_open(req, apply_params, &a) != HALL_OK)
        return HALL_OK;
    /* a new order proves the holder's phone; an edit was proven when made */
    if (a.s.o == NULL && !hall_errors_has(&a.e, "sms_code") && (code == NULL || *code == '\0'))
        hall_msg_add(req, &a.e, HALL_M_UNLOCK_SMS_REQUIRED, "sms_code");

    hall_replace_fields_check(req, &a);
    hall_replace_subject_check(req, a.bit, a.form, hall_replace_start_form(req, &a.c), &a.c, &a.e);
    if (hall_replace_submit_checked(req, &a) != HALL_OK)
        return HALL_OK;
    if (a.s.o == NULL && sms_spend(req, &a.c, a.s.submit_key, code) != HALL_OK)
        return HALL_OK;
    pr = hall_flow_product_price(a.prods, a.row);
    /* the certificate and the fee travel with the revisions */
    hall_val_set_str(req->pool, a.form, "choice_years", "原证书剩余有效期");
    return hall_replace_submit_save(
        req, &a, &(struct hall_replace_save){NULL, 1, hall_price_cert(&pr, 1, 0), "shipping"});
}

/* ---- the module ------------------------------------------------------------------------ */

static const struct hall_route unlock_routes[] = {
    HALL_REPLACE_ROUTES("/unlock", hall_replace_serial_page, apply_page, do_apply),
    {"POST", "/unlock/sms", sms_send, HALL_R_AUTH, sms_params},
    /* a USB key's unlock by the 证书助手 (unlock_assist.c) */
    UNLOCK_ASSIST_ROUTES,
    {NULL, NULL, NULL, 0, NULL},
};

/* the shared steps' words (core/flow/replace.c) */
static const struct hall_replace_flow unlock_replace = {
    .notice_title = "证书解锁 · 为什么不能直接重置PIN码",
    .notice_tmpl = "unlock_notice",
    .serial_tmpl = "replace_serial",
    .json_key = "unlockable",
    .choose_caption = "选择要解锁的证书（您的业务单办理的证书）",
    .next_note = "注：解锁将签发新证书（新的密钥对，主题和有效期截止日期与原证书相同）；"
                 "新证书签发时原证书即被吊销（已被替代）。",
    .next_note_medium =
        "注：该证书在USB Key中，解锁不签发新证书、不寄送新介质：审核通过后，在业务单的"
        "“用证书助手解锁”页面获取解锁码，插入USB Key后运行证书助手"
        "（hall-assist unlock）设置新的PIN码，密钥和证书保持不变。",
    .not_offered_why = "本渠道不办理该类型证书的解锁",
    .not_offered = HALL_M_REPLACE_NOT_OFFERED,
};

static const struct hall_flow unlock_flow = {
    HALL_REPLACE_FLOW(unlock, "证书解锁"),
    .tmpl_print = "replace_print",
    .stmts = unlock_stmts,
};

HALL_FLOW_MAIN(unlock_flow)
