/*
 * Online trades at the payment gateway, shared by modules/pay (a new trade
 * closes the old ones), modules/admin (an approved refund) and the outbox
 * worker (which delivers both jobs).
 *
 * One live trade per order: whenever a trade stops being the order's
 * current one (another was opened, the order was paid another way) it is
 * marked 'closed' in our table and a "pay_close" job is queued in the same
 * transaction; the caller may also close it at once (hall_payment_close)
 * so that the cashier page the applicant still has open cannot pay.
 * Money that arrives anyway (the cashier was confirmed before the close got
 * there) is a surplus, refunded through the job "pay_refund"
 * (docs/modules/pay.md).
 */
#include <string.h>

#include "biz/biz.h"

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
    const struct hall_conf *conf = cx->conf;
    struct hall_http_resp r;
    struct hall_val *body = hall_val_obj(cx->pool), *ans;
    const struct hall_val *st;
    const char *json;

    *status = NULL;
    hall_val_set_str(cx->pool, body, "out_trade_no", out_trade_no);
    json = hall_val_json(cx->pool, body, NULL);
    if (json == NULL)
        return HALL_ERR;
    /* closing is idempotent by nature: no key, so that a "not found yet"
     * answer is never replayed to a later try */
    if (hall_http_post_json(cx->pool, hall_psprintf(cx->pool, "%s/pay/close", conf->sandbox_url),
                            json, NULL, conf->http_connect_ms, conf->http_total_ms,
                            &r) != HALL_OK) {
        hall_warn(cx, "msg=\"pay close: gateway unreachable\" out_trade_no=%s", out_trade_no);
        return HALL_ERR;
    }
    if (r.status == 404) {
        *status = "NOT_FOUND";
        return HALL_OK;
    }
    if (r.status != 200 && r.status != 409) {
        hall_warn(cx, "msg=\"pay close refused\" out_trade_no=%s http=%ld", out_trade_no, r.status);
        return HALL_ERR;
    }
    ans = hall_val_parse(cx->pool, r.body, r.len, NULL, 0);
    st = hall_val_get(ans, "status");
    if (st == NULL || st->type != HALL_V_STR)
        return HALL_ERR;
    /* CLOSED, or SUCCESS / REFUND: paid before we closed it (the callback
     * records it as a surplus and refunds it) */
    *status = hall_pstrdup(cx->pool, st->str);
    return HALL_OK;
}

int
hall_refund_queue(struct hall_ctx *cx, int64_t refund_id)
{
    struct hall_val *p = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, p, "refund_id", refund_id);
    return hall_outbox_push(cx, "pay_refund",
                            hall_psprintf(cx->pool, "refund-%lld", (long long)refund_id), p);
}
