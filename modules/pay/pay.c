/*
 * pay: 缴费 (SPEC step 8), for every business flow's orders.
 *
 *   GET  /pay?id=N       an unpaid order: choose 微信 / 支付宝 / 公对公转账;
 *                        any other state: where the order stands
 *   POST /pay/online     opens a trade at the order's partner's merchant
 *                        account (core/biz/payment.c: WeChat Pay v3 Native
 *                        or H5, Alipay page / wap pay) and sends the
 *                        browser to it: the QR code of a Native trade on
 *                        this page, else the gateway's cashier
 *   POST /pay/notify/wechat   WeChat Pay's notifications (payment, refund)
 *   POST /pay/notify/alipay   Alipay's asynchronous notifications
 *   POST /pay/transfer   upload of the 汇款凭证 (corporate transfer)
 *
 * The notification is the only thing that makes an online payment "paid":
 * its signature is verified by the driver (with the gateway's public key;
 * WeChat's resource decrypted with the APIv3 key), then our out_trade_no,
 * the merchant account and the amount, and it is applied once, in one
 * transaction with the order's move and the micro-deposit job, and
 * acknowledged as the gateway expects only after that transaction
 * committed.  A copy of a notification already applied is acknowledged
 * without changing anything.  docs/modules/pay.md has the states and tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hall.h"

static const struct hall_stmt pay_stmts[] = {
    {"pay_order_get",
     "SELECT o.id, o.order_no, o.status, o.amount_fen, o.cert_type, o.business_type,"
     " o.partner_code, p.name AS partner_name, o.cert_fen, o.shipping_fen,"
     " coalesce((SELECT pin_by_memo FROM products WHERE id = o.product_id), true) AS pin_by_memo,"
     " p.review_sla_days, p.payee_name, p.payee_bank, p.payee_account, o.form_enc,"
     /* where the key is born, and whether the certificate replaced is on a
      * USB key: what is made, mailed and how the PIN comes (pin_words) */
     " coalesce(order_key_origin(o.id), 'hall') AS key_origin,"
     " EXISTS (SELECT 1 FROM certificates c WHERE c.serial = o.reissue_of"
     " AND c.medium_serial IS NOT NULL) AS old_on_medium"
     " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " WHERE o.id = $1 AND o.user_id = $2",
     2},
    {"pay_latest",
     "SELECT id, attempt, method, amount_fen, status, coalesce(refused_reason, '') AS"
     " refused_reason FROM payments WHERE order_id = $1 ORDER BY attempt DESC LIMIT 1",
     1},
    /* the order's open online trades, newest first */
    {"pay_live",
     "SELECT id, attempt, method, amount_fen, out_trade_no, coalesce(trade_no, '') AS trade_no,"
     " coalesce(pay_url, '') AS pay_url, coalesce(pay_mode, '') AS pay_mode,"
     " coalesce(merchant_ref, 0) AS merchant_ref FROM payments WHERE order_id = $1"
     " AND status = 'created' AND method <> 'transfer' ORDER BY attempt DESC",
     1},
    {NULL, NULL, 0},
};

/* ---- helpers ------------------------------------------------------------- */

/* the catalogue's label (core/flow/catalog.def) */
static const char *
business_label(const char *b)
{
    return hall_business_label(b);
}

/* the order of this user, or NULL after answering (404 for others' orders),
 * or unanswered when the store failed (the core's finish answers 503) */
static struct hall_dbres *
order_load(struct hall_req *req, int64_t *id)
{
    return hall_order_own(req, "pay_order_get", id);
}

/* ---- GET /pay -------------------------------------------------------------- */

static int payment_pending(struct hall_req *req, int64_t id);

/* the texts of a state; name: 证书PIN码 or 随机验证码 (the product's memo),
 * sla: the partner's review time, no_fee: the order has nothing to pay (its
 * unit's 金融认证 came straight after the identity check: core/flow/phone.c) */
static const char *
status_hint(struct hall_req *req, const char *status, const char *name, const char *sla, int no_fee)
{
    if (strcmp(status, "draft") == 0)
        return "请先完成申请信息的填写和提交，再进行缴费。";
    if (strcmp(status, "transfer_review") == 0)
        return hall_psprintf(req->pool,
                             "汇款凭证已提交。深圳CA工作人员将在%s内核实款项到账情况，"
                             "并审核申请资料，请耐心等待。",
                             sla);
    if (strcmp(status, "finauth_pending") == 0)
        return hall_psprintf(req->pool,
                             "%s深圳CA正在向贵司对公账户打款0.01元，"
                             "并将%s以转账交易附言方式发送至对公账户，请稍后查看金融认证结果。",
                             no_fee ? "该业务单费用为0元，无需缴费。" : "支付成功。", name);
    if (strcmp(status, "finauth_ok") == 0)
        return hall_psprintf(req->pool,
                             "%s金融认证打款成功。请向贵司财务获取转账交易附言中的%s，"
                             "点击“待认证”输入%s进行验证，验证通过进入资料审核环节。",
                             no_fee ? "该业务单费用为0元，无需缴费。" : "", name, name);
    if (strcmp(status, "finauth_failed") == 0)
        return hall_psprintf(req->pool,
                             "%s金融认证失败：向贵司对公账户打款未成功。"
                             "请点击“金融认证”，重新填写正确的单位基本账户信息后提交。",
                             no_fee ? "该业务单费用为0元，无需缴费。" : "");
    if (strcmp(status, "review") == 0)
        return "支付成功，申请单状态为“待审核”，深圳CA将审核申请资料，请耐心等待。";
    return "该业务单已无需缴费。";
}

/* what the order makes and mails and how its PIN comes, said before the
 * payment (issue 72 §3, §4): a key born in the holder's browser and a USB
 * key's 更新, 变更 and 解锁 by the 证书助手 on the same medium mail nothing
 * and send no PIN (the holder sets it, or keeps the medium's); the rest is
 * a USB key mailed as the form chose.  "delivery" is the 邮寄 line, "pin_own"
 * the PIN's sentence where no PIN is sent (NULL: the PIN comes as before) */
static void
pay_words(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
          const struct hall_val *form)
{
    const char *business = hall_dbres_str(o, 0, "business_type"), *delivery, *pin = NULL;
    const char *none = form != NULL ? hall_val_str(form, "mail_none") : "";

    if (strcmp(hall_dbres_str(o, 0, "key_origin"), "browser") == 0) {
        delivery = "不邮寄（新的密钥在您的浏览器中生成，证书文件由您自行保存，不制作、不邮寄介质）";
        pin = "证书的密钥在您的浏览器中生成，证书PIN码由您生成密钥时自行设定，"
              "不以短信或转账交易附言发送。";
    } else if (hall_dbres_bool(o, 0, "old_on_medium") && strcmp(business, "reissue") != 0) {
        delivery = "不邮寄（由证书助手在原USB Key上办理，不制作、不邮寄新介质）";
        pin = strcmp(business, "unlock") == 0
                  ? "解锁由证书助手在原USB Key上办理：新的PIN码由您在证书助手中自行设定，"
                    "不以短信发送。"
                  : "新证书由证书助手写入原USB Key，USB Key的PIN码不变，不另行发送PIN码。";
    } else if (*none != '\0') {
        delivery = hall_psprintf(req->pool, "不邮寄（%s）", none);
    } else if (hall_dbres_int(o, 0, "shipping_fen") > 0) {
        delivery =
            hall_psprintf(req->pool, "快递寄付，USB Key邮寄至申请时填写的邮寄地址（快递费用%s元）",
                          hall_yuan(req->pool, hall_dbres_int(o, 0, "shipping_fen")));
    } else {
        delivery = "快递到付，USB Key邮寄至申请时填写的邮寄地址";
    }
    hall_val_set_str(req->pool, ctx, "delivery", delivery);
    if (pin != NULL)
        hall_val_set_str(req->pool, ctx, "pin_own", pin);
}

static int
pay_page(struct hall_req *req)
{
    struct hall_dbres *o, *p;
    struct hall_val *ctx;
    const char *status, *name, *sla, *qr;
    int64_t id;
    int pending;

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    status = hall_dbres_str(o, 0, "status");
    name = hall_finauth_code_name(hall_dbres_bool(o, 0, "pin_by_memo"));
    sla = hall_workdays(req->pool, (long)hall_dbres_int(o, 0, "review_sla_days"));
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "缴费");
    hall_val_set_str(req->pool, ctx, "code_name", name);
    hall_val_set_str(req->pool, ctx, "sla", sla);
    hall_dbres_set(req->pool, ctx, o, 0, "payee_name payee_bank payee_account");
    /* a natural person pays from their own account and has no 金融认证 */
    hall_val_set_bool(req->pool, ctx, "person",
                      strcmp(hall_dbres_str(o, 0, "cert_type"), "person") == 0);
    hall_val_set_str(req->pool, ctx, "site_name",
                     req->partner[0] != '\0' ? hall_dbres_str(o, 0, "partner_name")
                                             : "深圳CA网上营业厅");
    hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    hall_val_set_str(req->pool, ctx, "business",
                     business_label(hall_dbres_str(o, 0, "business_type")));
    hall_val_set_str(req->pool, ctx, "cert_type_label",
                     hall_cert_type_label(hall_dbres_str(o, 0, "cert_type")));
    hall_val_set_str(req->pool, ctx, "amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "amount_fen")));
    hall_val_set_str(req->pool, ctx, "cert_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "cert_fen")));
    hall_val_set_bool(req->pool, ctx, "prepaid", hall_dbres_int(o, 0, "shipping_fen") > 0);
    hall_val_set_str(req->pool, ctx, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "shipping_fen")));
    hall_val_set_str(req->pool, ctx, "status", status);
    hall_val_set_str(req->pool, ctx, "status_label", hall_order_label(status));
    /* an order replacing a certificate goes to review once paid, with no
     * memo code to type: 补办's deposit with the PIN goes after 审核成功
     * (seed 004), the others' PIN by SMS (core/flow/replace.c) */
    hall_val_set_bool(req->pool, ctx, "replace",
                      hall_replace_business(hall_dbres_str(o, 0, "business_type")));
    {
        struct hall_val *form = hall_dbres_pii_json(req->cx, o, 0, hall_dbres_col(o, "form_enc"));

        if (form != NULL && form->type != HALL_V_OBJ)
            form = NULL;
        pay_words(req, ctx, o, form);
        if (strcmp(hall_dbres_str(o, 0, "business_type"), "reissue") == 0) {
            /* seed 004: 补办费用 and the medium fee as the form stored them; 微信支付 */
            hall_val_set_bool(req->pool, ctx, "reissue", 1);
            if (form != NULL) {
                hall_val_set_str(req->pool, ctx, "price_reissue",
                                 hall_val_str(form, "price_reissue"));
                hall_val_set_str(req->pool, ctx, "price_medium",
                                 hall_val_str(form, "price_medium"));
            }
        }
    }
    if (strcmp(status, "unpaid") == 0) {
        unsigned char rnd[24];

        /* the voucher form's key: sent again after a lost answer, it finds
         * the voucher stored (do_transfer) */
        if (hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK)
            return HALL_ERR;
        hall_val_set_str(req->pool, ctx, "submit_key", hall_b64url(req->pool, rnd, sizeof(rnd)));
        /* the bar of the order's own flow: 补办 calls this step 在线支付 */
        hall_steps_set(req, ctx, hall_business_steps(hall_dbres_str(o, 0, "business_type")), "pay");
        p = hall_db_exec(req->cx, "pay_latest", HALL_I64(id));
        if (p == NULL)
            return HALL_ERR;
        /* back from the gateway before its callback: no second payment is
         * offered while the first may be on its way; the page polls
         * /pay/state and moves on */
        pending = payment_pending(req, id) != 0;
        hall_val_set_bool(req->pool, ctx, "pending", pending);
        /* WeChat Native: the trade's code_url as a QR code to scan with
         * WeChat; the page polls /pay/state and moves on once paid */
        qr = hall_req_param(req, "qr");
        if (!pending && qr != NULL && strcmp(qr, "wechat") == 0) {
            struct hall_dbres *live = hall_db_exec(req->cx, "pay_live", HALL_I64(id));

            if (live == NULL)
                return HALL_ERR;
            if (hall_dbres_rows(live) > 0 &&
                strcmp(hall_dbres_str(live, 0, "pay_mode"), "native") == 0 &&
                strncmp(hall_dbres_str(live, 0, "pay_url"), "weixin://", 9) == 0) {
                const char *code = hall_pstrdup(req->pool, hall_dbres_str(live, 0, "pay_url"));

                hall_val_set_bool(req->pool, ctx, "wx_qr", 1);
                hall_val_set_str(req->pool, ctx, "wx_code_url", code);
                hall_val_set_str(req->pool, ctx, "wx_qr_svg", hall_qr_svg(req->pool, code, 4));
            }
        }
        /* the channel checked: the one just chosen (its QR code above, or the
         * latest online attempt), else 补办's 微信支付 (seed 004), else 支付宝 */
        {
            const char *last = hall_dbres_rows(p) > 0 ? hall_dbres_str(p, 0, "method") : "";
            int wechat = hall_val_get(ctx, "wx_qr") != NULL || strcmp(last, "wechat") == 0 ||
                         (strcmp(last, "alipay") != 0 &&
                          strcmp(hall_dbres_str(o, 0, "business_type"), "reissue") == 0);

            hall_val_set_bool(req->pool, ctx, "channel_wechat", wechat);
        }
        if (hall_dbres_rows(p) > 0 && strcmp(hall_dbres_str(p, 0, "status"), "refused") == 0) {
            hall_val_set_bool(req->pool, ctx, "refused", 1);
            /* finance's reason for 退回 (sql/044) */
            hall_dbres_set(req->pool, ctx, p, 0, "refused_reason");
        }
        return hall_resp_page(req, 200, "pay", ctx);
    }
    if (strcmp(status, "review") == 0 && hall_dbres_int(o, 0, "amount_fen") == 0)
        /* nothing to pay: the identity step (or the 金融认证 after it) sent
         * it on (core/flow/phone.c) */
        hall_val_set_str(req->pool, ctx, "hint",
                         hall_psprintf(req->pool,
                                       "该业务单费用为0元，无需缴费，申请单状态为“待审核”。"
                                       "深圳CA将在%s内审核申请资料，请耐心等待。",
                                       sla));
    else if (strcmp(status, "review") == 0 &&
             strcmp(hall_dbres_str(o, 0, "business_type"), "reissue") == 0 &&
             strcmp(hall_dbres_str(o, 0, "cert_type"), "person") != 0)
        /* seed 004: the PIN comes with the deposit after the approval */
        hall_val_set_str(req->pool, ctx, "hint",
                         "支付成功，申请单状态为“待审核”。深圳CA审核成功后将向申请单位对公账户"
                         "打款0.01元，并以转账交易附言方式下发证书PIN码，"
                         "请及时向贵单位财务索取证书PIN码。");
    else
        hall_val_set_str(
            req->pool, ctx, "hint",
            status_hint(req, status, name, sla, hall_dbres_int(o, 0, "amount_fen") == 0));
    hall_val_set_bool(req->pool, ctx, "finauth_code", strcmp(status, "finauth_ok") == 0);
    hall_val_set_bool(req->pool, ctx, "finauth_retry", strcmp(status, "finauth_failed") == 0);
    return hall_resp_page(req, 200, "pay_status", ctx);
}

/* GET /pay/state?id=N: what the return page polls after 确认支付 */
static int
pay_state(struct hall_req *req)
{
    struct hall_dbres *o;
    struct hall_val *v;
    const char *status;
    int64_t id;

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    status = hall_dbres_str(o, 0, "status");
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "status", status);
    hall_val_set_str(req->pool, v, "status_label", hall_order_label(status));
    hall_val_set_bool(req->pool, v, "pending",
                      strcmp(status, "unpaid") == 0 && payment_pending(req, id) != 0);
    return hall_resp_ok(req, v);
}

/* ---- POST /pay/online ------------------------------------------------------ */

static const char *const channels[] = {"wechat", "alipay", NULL};

static const struct hall_pspec online_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"channel", HALL_P_CHOICE, 0, 0, 0, "支付方式", channels},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/*
 * Is a payment of this unpaid order possibly under way: its open trade paid
 * at the gateway while the callback has not arrived yet (the applicant is
 * back from the cashier page)?  1 yes, 0 no, -1 the gateway does not answer.
 */
static int
payment_pending(struct hall_req *req, int64_t id)
{
    struct hall_dbres *p = hall_db_exec(req->cx, "pay_live", HALL_I64(id));

    if (p == NULL)
        return -1;
    if (hall_dbres_rows(p) == 0 || *hall_dbres_str(p, 0, "pay_url") == '\0')
        return 0;
    return hall_payment_trade_paid(req->cx, hall_dbres_str(p, 0, "out_trade_no"));
}

/* a phone's browser: WeChat H5 and Alipay's wap pay instead of a QR code
 * and the PC cashier */
static int
is_mobile(struct hall_req *req)
{
    const char *ua = hall_req_env(req, "HTTP_USER_AGENT");

    return ua != NULL && (strstr(ua, "Mobile") != NULL || strstr(ua, "Android") != NULL ||
                          strstr(ua, "iPhone") != NULL);
}

/* sends the browser to pay: a Native trade's QR code is on our own page,
 * anything else is the gateway's page (JSON for fetch, else the one
 * redirect off the hall, to an address that came from the gateway or that
 * we signed for it: hall_resp_redirect allows local ones only) */
static int
to_gateway(struct hall_req *req, int64_t id, const char *mode, const char *pay_url)
{
    if (strcmp(mode, "native") == 0)
        pay_url =
            hall_psprintf(req->pool, "%s/pay?id=%lld&qr=wechat", hall_req_base(req), (long long)id);
    if (hall_req_wants_json(req)) {
        struct hall_val *v = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, v, "redirect", pay_url);
        return hall_resp_ok(req, v);
    }
    req->status = 303;
    hall_resp_header(req, "Location", pay_url);
    hall_buf_reset(&req->body);
    req->responded = 1;
    return HALL_OK;
}

/* 在线支付: one live trade per order, the rule core's (core/biz/payrule.c,
 * hall_payment_start); here the channel's mode for this browser, and the
 * answer */
static int
do_online(struct hall_req *req)
{
    const struct hall_conf *conf = &req->app->conf;
    const char *channel = hall_req_param(req, "channel");
    struct hall_pay_start_in in;
    struct hall_pay_started out;
    struct hall_dbres *o;
    int64_t id;
    int mobile = is_mobile(req);

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    memset(&in, 0, sizeof(in));
    in.order_id = id;
    in.user_id = req->user_id;
    in.actor = hall_req_actor(req);
    in.partner = hall_pstrdup(req->pool, hall_dbres_str(o, 0, "partner_code"));
    in.channel = channel;
    in.mode =
        strcmp(channel, "wechat") == 0 ? (mobile ? "h5" : "native") : (mobile ? "wap" : "page");
    in.mobile = mobile;
    in.client_ip = req->cx->remote_addr;
    in.return_url = hall_psprintf(req->pool, "%s%s/pay?id=%lld", conf->public_url,
                                  hall_req_base(req), (long long)id);
    in.merchant_ref = hall_payment_merchant(req->cx, in.partner, channel);
    if (in.merchant_ref == 0)
        return hall_msg(req, HALL_M_PAY_CHANNEL_DOWN, "channel");
    switch (hall_payment_start(req->cx, &in, &out)) {
    case HALL_PAY_GO: return to_gateway(req, id, out.mode, out.pay_url);
    case HALL_PAY_NOT_OWN: return hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
    case HALL_PAY_NOT_UNPAID: return hall_msg(req, HALL_M_PAY_STATE, NULL);
    case HALL_PAY_ZERO: return hall_msg(req, HALL_M_PAY_ZERO, "id");
    case HALL_PAY_PENDING: return hall_msg(req, HALL_M_PAY_PENDING, NULL);
    case HALL_PAY_DOWN: return hall_msg(req, HALL_M_PAY_CHANNEL_DOWN, "channel");
    case HALL_PAY_SUPERSEDED: return hall_msg(req, HALL_M_PAY_SUPERSEDED, NULL);
    default: return HALL_ERR;
    }
}

/* ---- POST /pay/notify/wechat, /pay/notify/alipay ------------------------ */

static const char *
req_header(void *ud, const char *name)
{
    return hall_req_env(ud, name);
}

/* the answer each gateway expects: WeChat Pay 204 (no body) when received,
 * else 4xx with {"code":"FAIL","message":...}; Alipay "success", else
 * anything but that word.  Either retries what was not acknowledged. */
static int
answer(struct hall_req *req, const char *driver, int ok, enum hall_msg_code code)
{
    if (strcmp(driver, "wechatpay_v3") == 0) {
        struct hall_val *v = hall_val_obj(req->pool);
        size_t n;
        const char *json;

        if (ok)
            return hall_resp_raw(req, 204, "text/plain; charset=utf-8", "", 0);
        hall_val_set_str(req->pool, v, "code", "FAIL");
        hall_val_set_str(req->pool, v, "message", hall_msg_text(req->pool, code));
        json = hall_val_json(req->pool, v, &n);
        return hall_resp_raw(req, 400, "application/json; charset=utf-8", json, n);
    }
    if (ok)
        return hall_resp_raw(req, 200, "text/plain; charset=utf-8", "success", 7);
    return hall_resp_raw(req, 400, "text/plain; charset=utf-8", "fail", 4);
}

/* refusals are never acknowledged: the gateway retries them */
static int
refuse(struct hall_req *req, const char *driver, const char *why, enum hall_msg_code message)
{
    hall_warn(req, "msg=\"notification refused\" driver=%s reason=%s", driver, why);
    if (req->cx->in_tx)
        hall_db_rollback(req->cx);
    return answer(req, driver, 0, message);
}

/* why core/biz/payment.c refused a notification: the gateway's message */
static const struct {
    const char *why;
    enum hall_msg_code code;
} refusals[] = {
    {"out_trade_no", HALL_M_CB_OUT_TRADE_NO},
    {"trade_no", HALL_M_CB_TRADE_NO},
    {"amount", HALL_M_CB_AMOUNT},
    {"status", HALL_M_CB_STATUS},
    {"unknown_order", HALL_M_CB_UNKNOWN},
    {"unknown_trade", HALL_M_CB_UNKNOWN},
    {"merchant", HALL_M_CB_MERCHANT},
    {"amount_mismatch", HALL_M_CB_AMOUNT_MISMATCH},
    {"trade_mismatch", HALL_M_CB_TRADE_MISMATCH},
    {"payment_state", HALL_M_CB_PAYMENT_STATE},
    {NULL, HALL_M_CB_SIGNATURE},
};

static int
refuse_paid(struct hall_req *req, const char *drv, const struct hall_paid *pd)
{
    int i;

    for (i = 0; refusals[i].why != NULL && strcmp(refusals[i].why, pd->why) != 0; i++)
        ;
    return refuse(req, drv, pd->why, refusals[i].code);
}

/* a paid notification, applied once by core/biz/payment.c in one
 * transaction with the order's move and, for a unit's order, its
 * micro-deposit; acknowledged only after that transaction committed */
static int
apply_paid(struct hall_req *req, const char *drv, const struct hall_pay_notice *nt)
{
    struct hall_paid pd;
    int rc;

    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_payment_paid(req->cx, drv, nt, &pd);
    if (rc == HALL_PAY_REFUSED)
        return refuse_paid(req, drv, &pd);
    if (rc != HALL_OK)
        return HALL_ERR;
    if (!pd.again && !pd.surplus && strcmp(pd.to, "finauth_pending") == 0 &&
        hall_finauth_queue(req, pd.order_id) != HALL_OK)
        return hall_req_failed(req);
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    if (!pd.again)
        hall_info(req, "msg=paid out_trade_no=%s trade_no=%s order_status=%s", nt->out_trade_no,
                  nt->trade_no, pd.surplus ? "unchanged" : pd.to);
    return answer(req, drv, 1, HALL_M_CB_SIGNATURE);
}

/* a verified notification that moves no money (the trade is waiting for
 * the buyer, or closed): the gateway sends it until it is acknowledged, so
 * it is, once it names a trade of ours with its account and amount and is
 * counted; the payment and the order stay as they are */
static int
apply_state(struct hall_req *req, const char *drv, const struct hall_pay_notice *nt)
{
    struct hall_paid pd;
    int rc = hall_payment_state(req->cx, nt, &pd);

    if (rc == HALL_PAY_REFUSED)
        return refuse_paid(req, drv, &pd);
    if (rc != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"trade state notified\" out_trade_no=%s status=%s payment_state=%s",
              nt->out_trade_no, nt->status, pd.payment_status);
    return answer(req, drv, 1, HALL_M_CB_SIGNATURE);
}

/* a refund's notification: ours ("RF<refunds.id>") with its amount; the
 * pay_refund job records it done (its retry asks the gateway again with
 * the same out_refund_no), so this only acknowledges what checks out */
static int
apply_refund(struct hall_req *req, const char *drv, const struct hall_pay_notice *nt)
{
    const char *status = NULL;
    long long rid;
    /* which refund it may name is core/biz's rule (payrule.c) */
    int rc = hall_refund_notice_ours(req->cx, nt, &rid, &status);

    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == 0)
        return refuse(req, drv, "refund_unknown", HALL_M_CB_REFUND_UNKNOWN);
    hall_info(req, "msg=\"refund notified\" refund=%lld status=%s refund_state=%s", rid,
              nt->status != NULL ? nt->status : "", status);
    return answer(req, drv, 1, HALL_M_CB_SIGNATURE);
}

static int
do_notify(struct hall_req *req, const char *drv)
{
    struct hall_pay_inbound in;
    struct hall_pay_notice nt;

    in.header = req_header;
    in.ud = req;
    in.body = req->raw_body;
    in.len = req->raw_len;
    if (hall_payment_notice(req->cx, drv, &in, &nt) != HALL_OK) {
        enum hall_msg_code c = HALL_M_CB_SIGNATURE;

        if (strcmp(nt.why, "stale") == 0)
            c = HALL_M_CB_STALE;
        else if (strcmp(nt.why, "merchant") == 0)
            c = HALL_M_CB_MERCHANT;
        else if (strcmp(nt.why, "format") == 0)
            c = HALL_M_CB_NOT_JSON;
        return refuse(req, drv, nt.why, c);
    }
    if (strcmp(nt.kind, "refund") == 0)
        return apply_refund(req, drv, &nt);
    if (strcmp(nt.kind, "state") == 0)
        return apply_state(req, drv, &nt);
    return apply_paid(req, drv, &nt);
}

static int
notify_wechat(struct hall_req *req)
{
    return do_notify(req, "wechatpay_v3");
}

static int
notify_alipay(struct hall_req *req)
{
    return do_notify(req, "alipay");
}

/* ---- POST /pay/transfer ---------------------------------------------------- */

static const struct hall_pspec transfer_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"submit_key", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "表单标识", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* a voucher may be a photo, a screenshot or the bank's PDF */
static const char *const voucher_types[] = {"image/jpeg", "image/png", "application/pdf", NULL};

#define KEY_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

/*
 * The key the voucher's payment is stored with (sql/118): the pay page's
 * form key, else the request's id (an API client), else a random one.  A
 * 503 of unknown outcome gives it back (hall_resp_busy), and the voucher
 * sent again with it finds the payment it stored.  NULL when the client's
 * key is malformed (answered).
 */
static const char *
transfer_key(struct hall_req *req)
{
    const char *key = hall_req_param(req, "submit_key"), *rid = req->request_id;
    unsigned char rnd[24];

    if (key != NULL && *key != '\0') {
        if (strlen(key) < 16 || strlen(key) > 64 || strspn(key, KEY_CHARS) != strlen(key)) {
            hall_msg(req, HALL_M_SUBMIT_KEY, "submit_key");
            return NULL;
        }
        return key;
    }
    if (rid != NULL && strlen(rid) >= 16 && strlen(rid) <= 64 &&
        strspn(rid, KEY_CHARS) == strlen(rid))
        return rid;
    if (hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK) {
        hall_msg(req, HALL_M_BUSY, NULL);
        return NULL;
    }
    return hall_b64url(req->pool, rnd, sizeof(rnd));
}

/* the answer of a stored voucher: the pay page, which shows its state */
static int
transfer_done(struct hall_req *req, int64_t id)
{
    return hall_resp_go(
        req, hall_psprintf(req->pool, "%s/pay?id=%lld", hall_req_base(req), (long long)id), NULL);
}

static int
do_transfer(struct hall_req *req)
{
    const struct hall_upload *u = hall_req_upload(req, "voucher");
    struct hall_dbres *o, *lock, *live = NULL;
    struct hall_stored st;
    const char *err, *key;
    int64_t id, amount;
    int rc, status, i;

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    key = transfer_key(req);
    if (key == NULL)
        return HALL_OK;
    req->write_key = key;
    if (strcmp(hall_dbres_str(o, 0, "status"), "unpaid") != 0) {
        /* sent again after an answer that was lost: what it stored */
        rc = hall_payment_transfer_keyed(req->cx, id, key);
        if (rc == HALL_ERR)
            return HALL_ERR;
        if (rc == 1)
            return transfer_done(req, id);
    }
    if (u == NULL || (u->filename != NULL && u->filename[0] == '\0' && u->size == 0))
        return hall_msg(req, HALL_M_VOUCHER_MISSING, "voucher");
    if (u->size == 0)
        return hall_msg(req, HALL_M_VOUCHER_EMPTY, "voucher");
    if (strcmp(hall_dbres_str(o, 0, "status"), "unpaid") != 0)
        return hall_msg(req, HALL_M_PAY_STATE, NULL);
    status = hall_file_store(req->cx, u, voucher_types, "jpg、png、pdf", &st, &err);
    if (status != 0)
        return hall_msg_as(req, status, HALL_M_UPLOAD_REFUSED, "voucher", "汇款凭证", err);

    rc = HALL_ERR;
    if (hall_db_begin(req->cx) != HALL_OK)
        goto out;
    lock = hall_db_exec(req->cx, "order_lock_own", HALL_I64(id), HALL_I64(req->user_id));
    if (lock == NULL)
        goto out;
    if (hall_dbres_rows(lock) == 0 || strcmp(hall_dbres_str(lock, 0, "status"), "unpaid") != 0) {
        rc = HALL_CONFLICT;
        goto out;
    }
    amount = hall_dbres_int(lock, 0, "amount_fen");
    if (hall_payment_transfer(req->cx, id, amount, &st, key) != HALL_OK)
        goto out;
    rc = hall_order_move(req->cx, id, "unpaid", "transfer_review", hall_req_actor(req), NULL);
    if (rc != HALL_OK)
        goto out;
    /* paying by transfer abandons the online trades opened before */
    live = hall_payment_close_others(req->cx, id, 0);
    if (live == NULL) {
        rc = HALL_ERR;
        goto out;
    }
    if (hall_db_commit(req->cx) != HALL_OK) {
        rc = HALL_ERR;
        goto out;
    }
out:
    if (rc != HALL_OK) {
        /* the rows not committed, or perhaps committed (the connection
         * broke with the COMMIT in flight): hall_file_discard keeps the
         * file then, for the orphan sweep to judge by the row */
        hall_db_rollback(req->cx);
        hall_file_discard(req->cx, st.name);
        if (rc == HALL_CONFLICT) {
            /* the same voucher sent twice at once: the other one stored it */
            rc = hall_payment_transfer_keyed(req->cx, id, key);
            if (rc == 1)
                return transfer_done(req, id);
            if (rc == HALL_ERR)
                return HALL_ERR;
            return hall_msg(req, HALL_M_PAY_STATE, NULL);
        }
        return HALL_ERR;
    }
    hall_info(req, "msg=\"transfer voucher stored\" order=%lld mime=%s size=%zu", (long long)id,
              st.mime, st.size);
    for (i = 0; i < hall_dbres_rows(live); i++) {
        const char *out_no = hall_dbres_str(live, i, "out_trade_no");

        hall_payment_close_now(req->cx, &out_no, 1);
    }
    return transfer_done(req, id);
}

/* ---- module ---------------------------------------------------------------- */

static const struct hall_route pay_routes[] = {
    {"GET", "/pay", pay_page, HALL_R_AUTH, NULL},
    {"GET", "/pay/state", pay_state, HALL_R_AUTH, NULL},
    {"POST", "/pay/online", do_online, HALL_R_AUTH, online_params},
    {"POST", "/pay/notify/wechat", notify_wechat, HALL_R_NOCSRF, NULL},
    {"POST", "/pay/notify/alipay", notify_alipay, HALL_R_NOCSRF, NULL},
    {"POST", "/pay/transfer", do_transfer, HALL_R_AUTH | HALL_R_MULTIPART, transfer_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(pay, pay_routes, pay_stmts, NULL)
