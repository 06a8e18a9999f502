/*
 * Money in: the one owner of the table payments (docs/architecture.md, "Who
 * owns each table"), and the online trades at the payment gateways, shared
 * by modules/pay (a new trade closes the old ones; the gateways'
 * notifications, applied by hall_payment_paid), modules/admin (finance's
 * decision on a transfer; an approved refund), modules/center (a cancelled
 * order's trades) and the outbox worker (which delivers pay_close and
 * pay_refund).  Every function that writes works inside the caller's
 * transaction: the caller holds the order's lock and commits.
 *
 * One interface, one driver per gateway protocol (struct pay_driver,
 * payment_int.h), each in a file of its own:
 *   wechatpay_v3  (paywx.c)  WeChat Pay API v3: JSON, requests signed
 *                 WECHATPAY2-SHA256-RSA2048 with the merchant's key, every
 *                 answer and notification verified with WeChat Pay's public
 *                 key, notifications' resource opened with AES-256-GCM
 *                 under the APIv3 key; amounts in fen
 *   alipay        (payali.c)
 *                 Alipay OpenAPI: form parameters signed RSA2 (SHA256withRSA
 *                 over the sorted "k=v&..."), answers' signatures over the
 *                 "*_response" JSON text as received, notifications' sign
 *                 over the sorted parameters; amounts in yuan "12.34"
 * The merchant accounts (sql/065 pay_merchants: which driver, whose
 * account, per partner) are read once per process with their keys from
 * pay_key_dir (paymerchant.c, which the drivers use too).  Nothing a gateway says is believed
 * before its signature checked out: a 2xx answer without one is an error like no answer.
 *
 * One live trade per order: whenever a trade stops being the order's
 * current one (another was opened, the order was paid another way) it is
 * marked 'closed' in our table and a "pay_close" job is queued in the same
 * transaction; the caller may also close it at once (hall_payment_close)
 * so that the cashier page the applicant still has open cannot pay.
 * Money that arrives anyway is a surplus, refunded through the job
 * "pay_refund" (docs/modules/pay.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "biz/payment_int.h"

const struct hall_stmt hall_payment_stmts[] = {
    {"paym_all",
     "SELECT id, active, coalesce(partner_code, '') AS partner, channel, driver, merchant_id,"
     " coalesce(app_id, '') AS app_id, coalesce(platform_key_id, '') AS platform_key_id,"
     " coalesce(gateway_url, '') AS gateway_url, coalesce(seller_id, '') AS seller_id"
     " FROM pay_merchants ORDER BY id",
     0},
    /* the account a trade was opened with (the channel's default for
     * trades older than sql/065) */
    {"paym_of_trade",
     "SELECT coalesce(p.merchant_ref, (SELECT id FROM pay_merchants m WHERE m.channel = p.method"
     " AND m.partner_code IS NULL AND m.active)) AS ref, p.amount_fen FROM payments p"
     " WHERE p.out_trade_no = $1",
     1},
    /* ---- the table payments: one owner, this file ---- */
    {"pay_close_row",
     "UPDATE payments SET status = 'closed', updated_at = now() WHERE id = $1 AND status = "
     "'created'",
     1},
    {"pay_next_attempt",
     "SELECT coalesce(max(attempt), 0) + 1 AS attempt FROM payments WHERE order_id = $1", 1},
    {"pay_insert_online",
     "INSERT INTO payments (order_id, attempt, method, amount_fen, out_trade_no, merchant_ref,"
     " pay_mode) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
     7},
    {"pay_set_url",
     "UPDATE payments SET pay_url = $2, updated_at = now()"
     " WHERE id = $1 AND status = 'created' RETURNING id",
     2},
    /* the order is paid (or cancelled): its other open trades are abandoned */
    {"pay_close_others",
     "UPDATE payments SET status = 'closed', updated_at = now() WHERE order_id = $1"
     " AND id <> $2 AND status = 'created' AND method <> 'transfer' RETURNING id, out_trade_no",
     2},
    {"pay_insert_transfer",
     "INSERT INTO payments (order_id, attempt, method, amount_fen, status, voucher_file_id,"
     " submit_key)"
     " VALUES ($1, (SELECT coalesce(max(attempt), 0) + 1 FROM payments WHERE order_id = $1),"
     " 'transfer', $2, 'pending', $3, $4) RETURNING id",
     4},
    /* a voucher sent again with its key (sql/118): the payment it stored */
    {"pay_transfer_keyed",
     "SELECT id FROM payments WHERE order_id = $1 AND submit_key = $2 AND method = 'transfer'", 2},
    /* finance's decision on a corporate transfer, kept with the payment;
     * finance's reason for 退回 stays with the refused voucher (sql/044) */
    {"pay_transfer_decided",
     "UPDATE payments SET status = $2, paid_at = CASE WHEN $2 = 'paid' THEN now() END,"
     " refused_reason = CASE WHEN $2 = 'refused' THEN nullif($3, '') END"
     " WHERE order_id = $1 AND method = 'transfer' AND status = 'pending' RETURNING id",
     3},
    /* a paid notification: the order first, as every path that touches an
     * order's payments does (a new trade holds the order while it closes
     * the others) */
    {"pay_cb_order_lock",
     "SELECT o.id FROM orders o"
     " WHERE o.id = (SELECT order_id FROM payments WHERE out_trade_no = $1) FOR UPDATE",
     1},
    {"pay_cb_lock",
     "SELECT p.id, p.order_id, p.amount_fen, p.status, coalesce(p.trade_no, '') AS trade_no,"
     " p.method, coalesce(p.merchant_ref, 0) AS merchant_ref, o.status AS order_status,"
     " o.amount_fen AS order_amount_fen, o.cert_type, o.business_type"
     " FROM payments p JOIN orders o ON o.id = p.order_id"
     " WHERE p.out_trade_no = $1 FOR UPDATE OF p, o",
     1},
    {"pay_cb_paid",
     "UPDATE payments SET status = 'paid', trade_no = $2,"
     " paid_at = coalesce($3::timestamptz, now()), callback_raw = $4,"
     " callbacks = callbacks + 1, surplus = $5::boolean, updated_at = now() WHERE id = $1",
     5},
    {"pay_cb_again", "UPDATE payments SET callbacks = callbacks + 1 WHERE id = $1", 1},
    /* a verified notification of a trade that is not paid (Alipay's
     * WAIT_BUYER_PAY, TRADE_CLOSED): counted when it is a trade of ours,
     * of this account and amount */
    {"pay_cb_state",
     "UPDATE payments SET callbacks = callbacks + 1 WHERE out_trade_no = $1"
     " AND coalesce(merchant_ref, $2) = $2 AND amount_fen = $3"
     " AND coalesce(trade_no, $4) = $4 RETURNING id, status",
     4},
    {NULL, NULL, 0},
};

/* the partner's own active account of the channel, else the hall's */
static struct merchant *
merchant_for(struct hall_ctx *cx, const char *partner, const char *channel)
{
    struct merchant *own = NULL, *hall = NULL;
    int i;

    if (pay_merchants_fresh(cx) != HALL_OK)
        return NULL;
    for (i = 0; i < pay_nmerchants; i++) {
        struct merchant *m = &pay_merchants[i];

        if (!m->active || strcmp(m->channel, channel) != 0)
            continue;
        if (m->partner == NULL)
            hall = m;
        else if (partner != NULL && strcmp(m->partner, partner) == 0)
            own = m;
    }
    if (own == NULL)
        own = hall;
    return own != NULL && own->ready ? own : NULL;
}

/* ---- the interface ---------------------------------------------------------- */

static const struct pay_driver *const drivers[] = {&pay_wechatpay_v3, &pay_alipay, NULL};

static const struct pay_driver *
driver_of(const char *name)
{
    const struct pay_driver *const *d;

    for (d = drivers; *d != NULL; d++)
        if (strcmp((*d)->name, name) == 0)
            return *d;
    return NULL;
}

/* the account and driver of a trade we opened */
static int
trade_merchant(struct hall_ctx *cx, const char *out_no, const struct merchant **m,
               const struct pay_driver **d, int64_t *amount)
{
    struct hall_dbres *res = hall_db_exec(cx, "paym_of_trade", HALL_STR(out_no));

    if (res == NULL || hall_dbres_rows(res) == 0 ||
        hall_dbres_isnull(res, 0, hall_dbres_col(res, "ref")))
        return HALL_ERR;
    if (amount != NULL)
        *amount = hall_dbres_int(res, 0, "amount_fen");
    *m = pay_merchant_by_id(cx, (int)hall_dbres_int(res, 0, "ref"));
    if (*m == NULL) {
        hall_err(cx, "msg=\"pay: the trade's merchant account is not usable\" out_trade_no=%s",
                 out_no);
        return HALL_ERR;
    }
    *d = driver_of((*m)->driver);
    return *d != NULL ? HALL_OK : HALL_ERR;
}

int
hall_payment_open(struct hall_ctx *cx, const struct hall_pay_open *in, struct hall_pay_opened *out)
{
    const struct merchant *m = merchant_for(cx, in->partner, in->channel);
    const struct pay_driver *d = m != NULL ? driver_of(m->driver) : NULL;

    memset(out, 0, sizeof(*out));
    if (d == NULL) {
        hall_err(cx, "msg=\"pay: no usable merchant account\" channel=%s partner=%s", in->channel,
                 in->partner != NULL ? in->partner : "");
        return HALL_ERR;
    }
    out->merchant_ref = m->id;
    return d->open(cx, m, in, out);
}

int
hall_payment_merchant(struct hall_ctx *cx, const char *partner, const char *channel)
{
    const struct merchant *m = merchant_for(cx, partner, channel);

    return m != NULL ? m->id : 0;
}

int
hall_payment_query(struct hall_ctx *cx, const char *out_trade_no, const char **state)
{
    const struct merchant *m;
    const struct pay_driver *d;

    *state = NULL;
    if (trade_merchant(cx, out_trade_no, &m, &d, NULL) != HALL_OK)
        return HALL_ERR;
    return d->query(cx, m, out_trade_no, state);
}

int
hall_payment_close_queue(struct hall_ctx *cx, int64_t pay_id, const char *out_trade_no)
{
    struct hall_val *p = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, p, "payment_id", pay_id);
    hall_val_set_str(cx->pool, p, "out_trade_no", out_trade_no);
    return hall_outbox_push(cx, "pay_close",
                            hall_psprintf(cx->pool, "pay-close-%lld", (long long)pay_id), p);
}

int
hall_payment_close(struct hall_ctx *cx, const char *out_trade_no, const char **status)
{
    const struct merchant *m;
    const struct pay_driver *d;

    *status = NULL;
    if (trade_merchant(cx, out_trade_no, &m, &d, NULL) != HALL_OK)
        return HALL_ERR;
    /* CLOSED, NOT_FOUND, or SUCCESS / REFUND: paid before we closed it
     * (the notification records it as a surplus and refunds it) */
    if (d->close(cx, m, out_trade_no, status) != HALL_OK) {
        hall_warn(cx, "msg=\"pay close: no verified answer\" out_trade_no=%s", out_trade_no);
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_payment_refund(struct hall_ctx *cx, struct hall_pay_refund *in, const char **refund_no,
                    const char **state)
{
    const struct merchant *m;
    const struct pay_driver *d;

    if (trade_merchant(cx, in->out_trade_no, &m, &d, &in->total_fen) != HALL_OK)
        return HALL_ERR;
    return d->refund(cx, m, in, refund_no, state);
}

int
hall_payment_notice(struct hall_ctx *cx, const char *driver, const struct hall_pay_inbound *in,
                    struct hall_pay_notice *out)
{
    const struct pay_driver *d = driver_of(driver);

    memset(out, 0, sizeof(*out));
    out->why = "driver";
    if (d == NULL)
        return HALL_ERR;
    return d->notice(cx, in, out);
}

/* ---- money in our tables: the one writer of payments ------------------------ */

int
hall_payment_close_row(struct hall_ctx *cx, int64_t pay_id)
{
    return hall_db_exec(cx, "pay_close_row", HALL_I64(pay_id)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_payment_create(struct hall_ctx *cx, const struct hall_pay_new *in, int64_t *pay_id,
                    long *attempt, const char **out_trade_no)
{
    struct hall_dbres *res = hall_db_exec(cx, "pay_next_attempt", HALL_I64(in->order_id));

    if (res == NULL)
        return HALL_ERR;
    *attempt = (long)hall_dbres_int(res, 0, "attempt");
    /* ours, sent to the gateway: the same again (a retry) opens the same trade */
    *out_trade_no = hall_psprintf(cx->pool, "%s-%ld", in->order_no, *attempt);
    res = hall_db_exec(cx, "pay_insert_online", HALL_I64(in->order_id), HALL_I64(*attempt),
                       HALL_STR(in->channel), HALL_I64(in->amount_fen), HALL_STR(*out_trade_no),
                       HALL_I64(in->merchant_ref), HALL_STR(in->mode));
    if (res == NULL)
        return HALL_ERR;
    *pay_id = hall_dbres_int(res, 0, "id");
    return HALL_OK;
}

int
hall_payment_url_set(struct hall_ctx *cx, int64_t pay_id, const char *pay_url)
{
    struct hall_dbres *res = hall_db_exec(cx, "pay_set_url", HALL_I64(pay_id), HALL_STR(pay_url));

    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res) > 0 ? HALL_OK : HALL_CONFLICT;
}

struct hall_dbres *
hall_payment_close_others(struct hall_ctx *cx, int64_t order_id, int64_t keep)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "pay_close_others", HALL_I64(order_id), HALL_I64(keep));
    int i;

    if (res == NULL)
        return NULL;
    for (i = 0; i < hall_dbres_rows(res); i++)
        if (hall_payment_close_queue(cx, hall_dbres_int(res, i, "id"),
                                     hall_dbres_str(res, i, "out_trade_no")) != HALL_OK)
            return NULL;
    return res;
}

int
hall_payment_transfer(struct hall_ctx *cx, int64_t order_id, int64_t amount_fen,
                      const struct hall_stored *voucher, const char *key)
{
    int64_t file_id = hall_order_voucher_add(cx, order_id, voucher->name, voucher->mime,
                                             (int64_t)voucher->size, voucher->sha256);

    if (file_id < 0)
        return HALL_ERR;
    if (hall_db_exec(cx, "pay_insert_transfer", HALL_I64(order_id), HALL_I64(amount_fen),
                     HALL_I64(file_id), key != NULL ? HALL_STR(key) : HALL_NULLP) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_payment_transfer_keyed(struct hall_ctx *cx, int64_t order_id, const char *key)
{
    struct hall_dbres *res;

    if (key == NULL)
        return 0;
    res = hall_db_exec(cx, "pay_transfer_keyed", HALL_I64(order_id), HALL_STR(key));
    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res) > 0;
}

int
hall_payment_transfer_decided(struct hall_ctx *cx, int64_t order_id, int paid, const char *reason)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "pay_transfer_decided", HALL_I64(order_id),
                     HALL_STR(paid ? "paid" : "refused"), HALL_STR(reason != NULL ? reason : ""));

    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res);
}

/* an ISO 8601 time as the gateway wrote it, or NULL (then now() is used) */
static const char *
paid_at_ok(const char *s)
{
    if (s == NULL || strlen(s) < 10 || strlen(s) > 40 || strspn(s, "0123456789-T:.Z+") != strlen(s))
        return NULL;
    return s;
}

static int
refused(struct hall_paid *out, const char *why)
{
    out->why = why;
    return HALL_PAY_REFUSED;
}

int
hall_payment_paid(struct hall_ctx *cx, const char *driver, const struct hall_pay_notice *nt,
                  struct hall_paid *out)
{
    const char *out_no = nt->out_trade_no, *trade_no = nt->trade_no, *method, *actor, *status;
    struct hall_dbres *res;
    struct hall_val *detail, *kept;
    const char *paid_at;
    int64_t amount = nt->amount_fen, mref;
    int rc;

    memset(out, 0, sizeof(*out));
    if (out_no == NULL || strlen(out_no) > 64)
        return refused(out, "out_trade_no");
    if (!pay_alnum_ok(trade_no, 64))
        return refused(out, "trade_no");
    if (amount <= 0)
        return refused(out, "amount");
    if (nt->status == NULL || strcmp(nt->status, "SUCCESS") != 0)
        return refused(out, "status");

    if (hall_db_exec(cx, "pay_cb_order_lock", HALL_STR(out_no)) == NULL)
        return HALL_ERR;
    res = hall_db_exec(cx, "pay_cb_lock", HALL_STR(out_no));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return refused(out, "unknown_order");
    out->payment_id = hall_dbres_int(res, 0, "id");
    mref = hall_dbres_int(res, 0, "merchant_ref");
    /* the account that was paid must be the one the trade was opened with */
    if (mref != 0 && mref != nt->merchant_ref)
        return refused(out, "merchant");
    out->order_id = hall_dbres_int(res, 0, "order_id");
    method = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "method"));
    if (amount != hall_dbres_int(res, 0, "amount_fen") ||
        amount != hall_dbres_int(res, 0, "order_amount_fen")) {
        hall_err(cx, "msg=\"notified amount differs from ours\" out_trade_no=%s", out_no);
        return refused(out, "amount_mismatch");
    }
    if (*hall_dbres_str(res, 0, "trade_no") != '\0' &&
        strcmp(hall_dbres_str(res, 0, "trade_no"), trade_no) != 0)
        return refused(out, "trade_mismatch");
    status = hall_dbres_str(res, 0, "status");
    if (strcmp(status, "paid") == 0) {
        /* a copy of a notification already applied: counted, nothing else */
        out->again = 1;
        return hall_db_exec(cx, "pay_cb_again", HALL_I64(out->payment_id)) != NULL ? HALL_OK
                                                                                   : HALL_ERR;
    }
    if (strcmp(status, "created") != 0 && strcmp(status, "closed") != 0)
        return refused(out, "payment_state");
    /* natural persons have no unit account to check; a 介质遗失补办's
     * micro-deposit carries the new PIN and goes once it is approved (seed
     * 004: 审核成功后…打款0.01元，并下发证书PIN码, modules/admin); the other
     * orders replacing a certificate (更新, 变更, 解锁: core/flow/replace.c)
     * were proven by its first order and go to review */
    out->to = strcmp(hall_dbres_str(res, 0, "cert_type"), "person") == 0 ||
                      hall_replace_business(hall_dbres_str(res, 0, "business_type"))
                  ? "review"
                  : "finauth_pending";
    detail = hall_val_obj(cx->pool);
    hall_val_set_int(cx->pool, detail, "payment_id", out->payment_id);
    hall_val_set_str(cx->pool, detail, "trade_no", trade_no);
    actor = hall_psprintf(cx->pool, "gateway:%s", method);
    /* only from unpaid: an order waiting for its transfer to be confirmed
     * (or further on) is not moved by money that came another way */
    rc = hall_order_move(cx, out->order_id, "unpaid", out->to, actor, detail);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == HALL_CONFLICT) {
        /* the money came, but the order was paid another way (or moved on):
         * kept, flagged, and refunded without anyone asking */
        out->surplus = 1;
        if (hall_audit(cx, actor, "order",
                       hall_psprintf(cx->pool, "%lld", (long long)out->order_id), "payment_surplus",
                       NULL, NULL, detail) != HALL_OK)
            return HALL_ERR;
        hall_warn(cx, "msg=\"payment for an order not unpaid\" out_trade_no=%s", out_no);
    }
    /* what the verified notification said of the trade, not the whole of
     * it: the payer's ids there (WeChat's openid, Alipay's buyer_id and
     * masked logon) are not kept */
    paid_at = paid_at_ok(nt->paid_at);
    kept = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, kept, "driver", driver);
    hall_val_set_int(cx->pool, kept, "merchant_ref", nt->merchant_ref);
    hall_val_set_str(cx->pool, kept, "out_trade_no", out_no);
    hall_val_set_str(cx->pool, kept, "trade_no", trade_no);
    hall_val_set_str(cx->pool, kept, "status", nt->status);
    hall_val_set_int(cx->pool, kept, "amount_fen", amount);
    if (paid_at != NULL)
        hall_val_set_str(cx->pool, kept, "paid_at", paid_at);
    if (hall_db_exec(cx, "pay_cb_paid", HALL_I64(out->payment_id), HALL_STR(trade_no),
                     paid_at != NULL ? HALL_STR(paid_at) : HALL_NULLP,
                     HALL_STR(hall_val_json(cx->pool, kept, NULL)),
                     HALL_STR(out->surplus ? "t" : "f")) == NULL)
        return HALL_ERR;
    if (out->surplus)
        return hall_refund_surplus(cx, out->order_id, out->payment_id, amount);
    return hall_payment_close_others(cx, out->order_id, out->payment_id) != NULL ? HALL_OK
                                                                                 : HALL_ERR;
}

int
hall_payment_state(struct hall_ctx *cx, const struct hall_pay_notice *nt, struct hall_paid *out)
{
    struct hall_dbres *res;

    memset(out, 0, sizeof(*out));
    if (nt->out_trade_no == NULL || strlen(nt->out_trade_no) > 64)
        return refused(out, "out_trade_no");
    if (!pay_alnum_ok(nt->trade_no, 64))
        return refused(out, "trade_no");
    res = hall_db_exec(cx, "pay_cb_state", HALL_STR(nt->out_trade_no), HALL_I64(nt->merchant_ref),
                       HALL_I64(nt->amount_fen), HALL_STR(nt->trade_no));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return refused(out, "unknown_trade");
    out->payment_id = hall_dbres_int(res, 0, "id");
    out->payment_status = hall_dbres_str(res, 0, "status");
    return HALL_OK;
}
