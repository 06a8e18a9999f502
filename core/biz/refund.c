/*
 * Refunds (退费): the one owner of the table refunds.  A refund row is made
 * by the applicant's request (modules/center: 申请退费) or, for money that
 * came for an order paid already, by the payment's notification itself
 * (a surplus, payment.c); finance decides a request (modules/admin, four
 * eyes above refund_four_eyes_fen through approval.c); an approved online
 * refund goes back through the gateway in the outbox's job "pay_refund",
 * which records its result here.  Every function works inside the
 * caller's transaction and changes the order only through
 * hall_order_move, so the order and its refund commit together.
 * docs/modules/pay.md, "Refunds", has the states.
 */
#include <stdlib.h>
#include <string.h>

#include "biz/biz.h"

const struct hall_stmt hall_refund_stmts[] = {
    /* an accepted order's production began (core/biz/produce.c: the intent first) */
    {"refund_production",
     "SELECT EXISTS (SELECT 1 FROM certificates WHERE order_id = $1"
     " AND state IN ('intent', 'issued')) AS begun",
     1},
    /* the paid payment a refund request pays back (never a surplus: that
     * one is refunded on its own) */
    {"refund_payment",
     "SELECT id, amount_fen FROM payments WHERE order_id = $1 AND status = 'paid'"
     " AND NOT surplus ORDER BY attempt DESC LIMIT 1",
     1},
    {"refund_insert",
     "INSERT INTO refunds (order_id, payment_id, kind, amount_fen, reason, from_status)"
     " VALUES ($1, $2, 'request', $3, $4, $5) RETURNING id",
     5},
    /* money for an order already paid: refunded without anyone asking */
    {"refund_surplus",
     "INSERT INTO refunds (order_id, payment_id, kind, amount_fen, status, reason, decided_by,"
     " decided_at) VALUES ($1, $2, 'surplus', $3, 'approved', '重复支付，多付款项原路退还',"
     " 'system', now()) RETURNING id",
     3},
    /* the refund and its order stay locked until the caller's transaction
     * ends: finance's decision, or the gateway's answer, and the order's
     * move commit together */
    {"refund_lock",
     "SELECT r.status, r.kind, r.amount_fen, r.order_id,"
     " coalesce(r.from_status, '') AS from_status, p.method,"
     " coalesce(p.trade_no, '') AS trade_no, p.out_trade_no, o.status AS order_status,"
     " o.order_no, o.form_enc, o.cert_type FROM refunds r"
     " JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = r.order_id"
     " WHERE r.id = $1 FOR UPDATE OF r, o",
     1},
    {"refund_decide",
     "UPDATE refunds SET status = $2, note = nullif($3, ''), decided_by = $4, decided_at = now(),"
     " done_at = CASE WHEN $2 = 'manual' THEN now() END WHERE id = $1 AND status = 'requested'"
     " RETURNING id",
     4},
    {"refund_done",
     "UPDATE refunds SET status = 'done', refund_no = $2, done_at = now() WHERE id = $1", 2},
    /* a refund's notification: the refund we asked for, with its amount */
    {"refund_of_trade",
     "SELECT r.id, r.status, r.amount_fen FROM refunds r JOIN payments p ON p.id = r.payment_id"
     " WHERE r.id = $1 AND p.out_trade_no = $2",
     2},
    {NULL, NULL, 0},
};

int
hall_refund_queue(struct hall_ctx *cx, int64_t refund_id)
{
    struct hall_val *p = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, p, "refund_id", refund_id);
    return hall_outbox_push(cx, "pay_refund",
                            hall_psprintf(cx->pool, "refund-%lld", (long long)refund_id), p);
}

int
hall_refund_request(struct hall_ctx *cx, int64_t order_id, const char *from, const char *actor,
                    const char *reason)
{
    struct hall_dbres *res;
    struct hall_val *detail;
    int rc;

    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "reason", reason);
    rc = hall_order_move(cx, order_id, from, "refund_requested", actor, detail);
    if (rc != HALL_OK)
        return rc;
    /* an accepted order: refundable until its certificate is being made.
     * The move above holds the order's row: production (core/biz/produce.c)
     * locks it before its intent, so one of the two sees the other */
    if (strcmp(from, "accepted") == 0) {
        res = hall_db_exec(cx, "refund_production", HALL_I64(order_id));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_bool(res, 0, "begun"))
            return HALL_REFUND_PRODUCING;
    }
    /* finance's queue: the payment to pay back, and where the order was */
    res = hall_db_exec(cx, "refund_payment", HALL_I64(order_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_REFUND_NOTHING;
    if (hall_db_exec(cx, "refund_insert", HALL_I64(order_id),
                     HALL_I64(hall_dbres_int(res, 0, "id")),
                     HALL_I64(hall_dbres_int(res, 0, "amount_fen")), HALL_STR(reason),
                     HALL_STR(from)) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_refund_surplus(struct hall_ctx *cx, int64_t order_id, int64_t payment_id, int64_t amount_fen)
{
    struct hall_dbres *res = hall_db_exec(cx, "refund_surplus", HALL_I64(order_id),
                                          HALL_I64(payment_id), HALL_I64(amount_fen));

    if (res == NULL)
        return HALL_ERR;
    return hall_refund_queue(cx, hall_dbres_int(res, 0, "id"));
}

int
hall_refund_lock(struct hall_ctx *cx, int64_t refund_id, struct hall_refund *rf)
{
    struct hall_dbres *res = hall_db_exec(cx, "refund_lock", HALL_I64(refund_id));

    memset(rf, 0, sizeof(*rf));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return 0;
    rf->id = refund_id;
    rf->row = res;
    rf->status = hall_dbres_str(res, 0, "status");
    rf->kind = hall_dbres_str(res, 0, "kind");
    rf->amount_fen = hall_dbres_int(res, 0, "amount_fen");
    rf->order_id = hall_dbres_int(res, 0, "order_id");
    rf->from_status = hall_dbres_str(res, 0, "from_status");
    rf->method = hall_dbres_str(res, 0, "method");
    rf->out_trade_no = hall_dbres_str(res, 0, "out_trade_no");
    rf->order_status = hall_dbres_str(res, 0, "order_status");
    rf->order_no = hall_dbres_str(res, 0, "order_no");
    rf->cert_type = hall_dbres_str(res, 0, "cert_type");
    return 1;
}

/* the phone the applicant's refund SMS goes to: the agent's, or the
 * applicant's for a natural person's certificate; "" when the form names
 * none.  HALL_ERR when the form cannot be read and strict (finance's
 * decision answers busy; the outbox's job leaves the SMS out, as before) */
static int
refund_phone(struct hall_ctx *cx, const struct hall_refund *rf, int strict, const char **phone)
{
    struct hall_val *form =
        hall_dbres_pii_json(cx, rf->row, 0, hall_dbres_col(rf->row, "form_enc"));
    const struct hall_val *v;

    *phone = "";
    if (form == NULL || form->type != HALL_V_OBJ)
        return strict ? HALL_ERR : HALL_OK;
    v = hall_val_get(form, strcmp(rf->cert_type, "person") == 0 ? "app_mobile" : "agent_mobile");
    if (v != NULL && v->type == HALL_V_STR && strlen(v->str) == 11 &&
        (!strict || strspn(v->str, "0123456789") == 11))
        *phone = v->str;
    return HALL_OK;
}

int
hall_refund_decide(struct hall_ctx *cx, const struct hall_refund *rf, int approve, const char *note,
                   const char *actor, const char *first, const char **status)
{
    const char *phone, *key;
    struct hall_val *detail;
    int transfer, rc;

    transfer = strcmp(rf->method, "transfer") == 0;
    *status = !approve ? "refused" : transfer ? "manual" : "approved";
    if (hall_db_exec(cx, "refund_decide", HALL_I64(rf->id), HALL_STR(*status), HALL_STR(note),
                     HALL_STR(actor)) == NULL)
        return HALL_ERR;
    detail = hall_val_obj(cx->pool);
    hall_val_set_int(cx->pool, detail, "refund_id", rf->id);
    hall_val_set_int(cx->pool, detail, "amount_fen", rf->amount_fen);
    if (*note != '\0')
        hall_val_set_str(cx->pool, detail, "reason", note);
    if (first != NULL)
        hall_val_set_str(cx->pool, detail, "first_approval", first);
    key = hall_psprintf(cx->pool, "sms-refund-%lld", (long long)rf->id);
    if (!approve) {
        /* the order goes back where it was; the applicant reads why in the
         * personal center and by SMS */
        rc = hall_order_move(cx, rf->order_id, "refund_requested", rf->from_status, actor, detail);
        if (rc == HALL_OK)
            rc = refund_phone(cx, rf, 1, &phone);
        if (rc == HALL_OK && *phone != '\0')
            rc = hall_sms_queue(cx, key, phone, NULL, HALL_SMST_refund_refused, "order_no",
                                rf->order_no, "reason", note, NULL);
    } else if (transfer) {
        /* a corporate transfer cannot go back through a gateway: finance
         * paid it back by hand and said how (note) */
        rc = hall_order_move(cx, rf->order_id, "refund_requested", "refunded", actor, detail);
        /* an invoice issued: its red-letter one (core/biz/invoice.c) */
        if (rc == HALL_OK)
            rc = hall_invoice_refunded(cx, rf->order_id);
        if (rc == HALL_OK)
            rc = refund_phone(cx, rf, 1, &phone);
        if (rc == HALL_OK && *phone != '\0')
            rc =
                hall_sms_queue(cx, key, phone, NULL, HALL_SMST_refund_transfer, "order_no",
                               rf->order_no, "amount", hall_yuan(cx->pool, rf->amount_fen), "payer",
                               /* a natural person paid from their own account */
                               strcmp(rf->cert_type, "person") == 0 ? "您的" : "贵司", NULL);
    } else {
        /* an online payment goes back through its gateway: the outbox's
         * job pay_refund does the rest (hall_refund_applied) */
        rc =
            hall_audit(cx, actor, "order", hall_psprintf(cx->pool, "%lld", (long long)rf->order_id),
                       "refund_approved", NULL, NULL, detail);
        if (rc == HALL_OK)
            rc = hall_refund_queue(cx, rf->id);
    }
    return rc;
}

int
hall_refund_applied(struct hall_ctx *cx, const struct hall_refund *rf, const char *refund_no,
                    const char *actor)
{
    struct hall_val *detail;
    const char *phone;
    int rc;

    if (hall_db_exec(cx, "refund_done", HALL_I64(rf->id), HALL_STR(refund_no)) == NULL)
        return HALL_ERR;
    detail = hall_val_obj(cx->pool);
    hall_val_set_int(cx->pool, detail, "refund_id", rf->id);
    hall_val_set_int(cx->pool, detail, "amount_fen", rf->amount_fen);
    hall_val_set_str(cx->pool, detail, "refund_no", refund_no);
    if (strcmp(rf->kind, "request") == 0) {
        /* a requested refund: 已退费, and the invoice's red-letter one */
        rc = hall_order_move(cx, rf->order_id, "refund_requested", "refunded", actor, detail);
        if (rc == HALL_OK)
            rc = hall_invoice_refunded(cx, rf->order_id);
        if (rc != HALL_OK)
            return rc;
    } else if (hall_audit(cx, actor, "order",
                          hall_psprintf(cx->pool, "%lld", (long long)rf->order_id),
                          "surplus_refunded", NULL, NULL, detail) != HALL_OK) {
        /* a surplus leaves the order where it is */
        return HALL_ERR;
    }
    if (refund_phone(cx, rf, 0, &phone) != HALL_OK)
        return HALL_ERR;
    if (*phone == '\0')
        return HALL_OK;
    return hall_sms_queue(
        cx, hall_psprintf(cx->pool, "sms-refund-%lld", (long long)rf->id), phone, NULL,
        strcmp(rf->kind, "surplus") == 0 ? HALL_SMST_refund_surplus : HALL_SMST_refund_online,
        "order_no", rf->order_no, "amount", hall_yuan(cx->pool, rf->amount_fen), NULL);
}

int
hall_refund_of_trade(struct hall_ctx *cx, int64_t refund_id, const char *out_trade_no,
                     int64_t *amount_fen, const char **status)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "refund_of_trade", HALL_I64(refund_id), HALL_STR(out_trade_no));

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return 0;
    *amount_fen = hall_dbres_int(res, 0, "amount_fen");
    *status = hall_dbres_str(res, 0, "status");
    return 1;
}
