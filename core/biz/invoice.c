/*
 * E-invoice (电子发票): queuing the issue, and telling the applicant.
 *
 * An approved order (modules/admin, 成功受理: seeds 001/002 issue the
 * invoice 审核通过后, not at payment) queues ONE outbox job
 * "invoice-<order id>": the idempotency key is unique in the outbox, so a
 * repeated click queues nothing more, and the e-invoice service sees the
 * same key on every retry of the job, so it issues once.  The job
 * (tools/outbox/hall_outbox.c) reads the order's form when it runs: orders
 * without invoice (是否开票 否) get none, nor do orders refunded by then.
 *
 * An order refunded after its invoice issued queues ONE "invoice_red" job
 * ("invoice-red-<order id>", hall_invoice_refunded) in the transaction
 * that makes it 已退费: the provider issues the red-letter invoice (红冲)
 * once, and the applicant gets its link the same two ways.
 *
 * The link goes by SMS and by e-mail, each its own outbox job; 重新获取 in
 * the personal center (modules/center) sends both again with a new key.
 * docs/modules/center.md, docs/sandbox.md.
 */
#include <string.h>

#include "biz/biz.h"

const struct hall_stmt hall_invoice_stmts[] = {
    {"invoice_notify_get",
     "SELECT o.cert_type, o.business_type, o.form_enc, p.sms_business_name, o.partner_code,"
     " i.invoice_no, i.url,"
     " i.red_invoice_no, i.red_url"
     " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " JOIN invoices i ON i.order_id = o.id WHERE o.id = $1",
     1},
    {"invoice_blue_of", "SELECT red_invoice_no IS NULL AS blue FROM invoices WHERE order_id = $1",
     1},
    /* ---- the table invoices: one owner, this file ---- */
    {"invoice_insert",
     "INSERT INTO invoices (order_id, invoice_no, url, amount_fen) VALUES ($1, $2, $3, $4)", 4},
    {"invoice_red_set",
     "UPDATE invoices SET red_invoice_no = $2, red_url = $3, red_issued_at = now()"
     " WHERE order_id = $1 AND red_invoice_no IS NULL",
     3},
    /* 重新获取 at most once a minute per order, however many clicks */
    {"invoice_resend",
     "UPDATE invoices SET resends = resends + 1, last_resent_at = now() WHERE order_id = $1"
     " AND (last_resent_at IS NULL OR last_resent_at < now() - interval '60 seconds')"
     " RETURNING resends",
     1},
    {NULL, NULL, 0},
};

int
hall_invoice_issued(struct hall_ctx *cx, int64_t order_id, const char *no, const char *url,
                    int64_t amount_fen, const char *actor)
{
    struct hall_val *detail;

    if (hall_db_exec(cx, "invoice_insert", HALL_I64(order_id), HALL_STR(no), HALL_STR(url),
                     HALL_I64(amount_fen)) == NULL)
        return HALL_ERR;
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "invoice_no", no);
    hall_val_set_int(cx->pool, detail, "amount_fen", amount_fen);
    if (hall_audit(cx, actor, "order", hall_psprintf(cx->pool, "%lld", (long long)order_id),
                   "invoice_issued", NULL, NULL, detail) != HALL_OK)
        return HALL_ERR;
    return hall_invoice_notify(cx, order_id, "0", 0);
}

int
hall_invoice_red_issued(struct hall_ctx *cx, int64_t order_id, const char *blue, const char *no,
                        const char *url, const char *actor)
{
    struct hall_val *detail;

    if (hall_db_exec(cx, "invoice_red_set", HALL_I64(order_id), HALL_STR(no), HALL_STR(url)) ==
        NULL)
        return HALL_ERR;
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "invoice_no", blue);
    hall_val_set_str(cx->pool, detail, "red_invoice_no", no);
    if (hall_audit(cx, actor, "order", hall_psprintf(cx->pool, "%lld", (long long)order_id),
                   "invoice_red", NULL, NULL, detail) != HALL_OK)
        return HALL_ERR;
    return hall_invoice_notify(cx, order_id, "0", 1);
}

int
hall_invoice_resend(struct hall_ctx *cx, int64_t order_id, const char *actor)
{
    struct hall_dbres *res = hall_db_exec(cx, "invoice_resend", HALL_I64(order_id));
    struct hall_val *detail;
    int64_t n;

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_CONFLICT;
    n = hall_dbres_int(res, 0, "resends");
    detail = hall_val_obj(cx->pool);
    hall_val_set_int(cx->pool, detail, "resends", n);
    if (hall_invoice_notify(cx, order_id, hall_psprintf(cx->pool, "r%lld", (long long)n), 0) !=
            HALL_OK ||
        hall_audit(cx, actor, "order", hall_psprintf(cx->pool, "%lld", (long long)order_id),
                   "invoice_resend", NULL, NULL, detail) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_invoice_queue(struct hall_ctx *cx, int64_t order_id)
{
    struct hall_val *payload = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, payload, "order_id", order_id);
    return hall_outbox_push(cx, "invoice",
                            hall_psprintf(cx->pool, "invoice-%lld", (long long)order_id), payload);
}

int
hall_invoice_refunded(struct hall_ctx *cx, int64_t order_id)
{
    struct hall_dbres *res = hall_db_exec(cx, "invoice_blue_of", HALL_I64(order_id));
    struct hall_val *payload;

    if (res == NULL)
        return HALL_ERR;
    /* no invoice yet: its job finds the order refunded and issues none */
    if (hall_dbres_rows(res) == 0 || !hall_dbres_bool(res, 0, "blue"))
        return HALL_OK;
    payload = hall_val_obj(cx->pool);
    hall_val_set_int(cx->pool, payload, "order_id", order_id);
    return hall_outbox_push(cx, "invoice_red",
                            hall_psprintf(cx->pool, "invoice-red-%lld", (long long)order_id),
                            payload);
}

/* 新申请 ... as the review SMS texts name the business (seed 002) */
static const char *
business_sms(const char *code)
{
    if (strcmp(code, "new") == 0)
        return "新申请";
    if (strcmp(code, "reissue") == 0)
        return "介质遗失补办";
    if (strcmp(code, "seal") == 0)
        return "电子签章申请";
    if (strcmp(code, "renew") == 0)
        return "证书更新";
    if (strcmp(code, "change") == 0)
        return "证书变更";
    if (strcmp(code, "unlock") == 0)
        return "证书解锁";
    return "金融认证";
}

int
hall_invoice_notify(struct hall_ctx *cx, int64_t order_id, const char *tag, int red)
{
    struct hall_dbres *res;
    struct hall_val *form, *mail;
    const char *phone, *email, *biz, *url, *no, *red_no, *partner;
    int person;

    res = hall_db_exec(cx, "invoice_notify_get", HALL_I64(order_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    form = hall_dbres_pii_json(cx, res, 0, hall_dbres_col(res, "form_enc"));
    if (form == NULL)
        return HALL_ERR;
    person = strcmp(hall_dbres_str(res, 0, "cert_type"), "person") == 0;
    /* the agent for organisations, the applicant for natural persons */
    phone = hall_val_str(form, person ? "app_mobile" : "agent_mobile");
    email = hall_val_str(form, person ? "app_email" : "agent_email");
    if (*email == '\0')
        email = hall_val_str(form, "app_email");
    biz = hall_psprintf(cx->pool, "%s%s", hall_dbres_str(res, 0, "sms_business_name"),
                        business_sms(hall_dbres_str(res, 0, "business_type")));
    no = hall_dbres_str(res, 0, "invoice_no");
    url = hall_dbres_str(res, 0, red ? "red_url" : "url");
    partner = hall_dbres_str(res, 0, "partner_code");
    red_no = hall_dbres_str(res, 0, "red_invoice_no");
    if (red && hall_dbres_isnull(res, 0, hall_dbres_col(res, "red_invoice_no")))
        return HALL_ERR;
    if (strlen(phone) == 11 && strspn(phone, "0123456789") == 11) {
        const char *key = hall_psprintf(cx->pool, "invoice-%ssms-%lld-%s", red ? "red-" : "",
                                        (long long)order_id, tag);

        if ((red ? hall_sms_queue(cx, key, phone, partner, HALL_SMST_invoice_red, "business", biz,
                                  "invoice_no", no, "red_invoice_no", red_no, "url", url, NULL)
                 : hall_sms_queue(cx, key, phone, partner, HALL_SMST_invoice, "business", biz,
                                  "invoice_no", no, "url", url, NULL)) != HALL_OK)
            return HALL_ERR;
    }
    if (strchr(email, '@') != NULL) {
        mail = hall_val_obj(cx->pool);
        hall_val_set_str(cx->pool, mail, "to", email);
        if (red) {
            hall_val_set_fmt(cx->pool, mail, "subject", "【深圳CA】红字发票 %s", red_no);
            hall_val_set_fmt(cx->pool, mail, "text",
                             "您好：\n\n您提交的%s业务已退费，原电子发票%s已红冲，"
                             "红字发票号码%s。\n红字发票下载链接：%s\n\n深圳CA",
                             biz, no, red_no, url);
        } else {
            hall_val_set_fmt(cx->pool, mail, "subject", "【深圳CA】电子发票 %s", no);
            hall_val_set_fmt(cx->pool, mail, "text",
                             "您好：\n\n您提交的%s业务的电子发票已开具，发票号码%s。\n"
                             "电子发票下载链接：%s\n\n如链接失效，可登录深圳CA网上营业厅-个人中心-"
                             "我的业务单，点击“重新获取”。\n\n深圳CA",
                             biz, no, url);
        }
        if (hall_outbox_push(cx, "mail",
                             hall_psprintf(cx->pool, "invoice-%smail-%lld-%s", red ? "red-" : "",
                                           (long long)order_id, tag),
                             mail) != HALL_OK)
            return HALL_ERR;
    }
    return HALL_OK;
}
