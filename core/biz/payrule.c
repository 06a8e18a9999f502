/*
 * payrule.c: payment rules modules/pay answers (core/biz/rules.h): which
 * refund a refund notification may name, and which open trade a click on
 * 在线支付 may reuse.
 */
#include <stdlib.h>
#include <string.h>

#include "biz/biz.h"

int
hall_refund_notice_ours(struct hall_ctx *cx, const struct hall_pay_notice *nt, long long *refund_id,
                        const char **status)
{
    int64_t amount = 0;
    char *end;
    int rc;

    *refund_id = 0;
    *status = NULL;
    if (nt->out_refund_no == NULL || strncmp(nt->out_refund_no, "RF", 2) != 0 ||
        nt->out_trade_no == NULL)
        return 0;
    *refund_id = strtoll(nt->out_refund_no + 2, &end, 10);
    if (*end != '\0' || *refund_id <= 0)
        return 0;
    rc = hall_refund_of_trade(cx, (int64_t)*refund_id, nt->out_trade_no, &amount, status);
    if (rc == HALL_ERR)
        return HALL_ERR;
    return rc != 0 && amount == nt->amount_fen;
}

int
hall_payment_reusable(const struct hall_dbres *live, int row, const char *channel,
                      int64_t amount_fen, const char *mode, int merchant_ref)
{
    return strcmp(hall_dbres_str(live, row, "method"), channel) == 0 &&
           hall_dbres_int(live, row, "amount_fen") == amount_fen &&
           strcmp(hall_dbres_str(live, row, "pay_mode"), mode) == 0 &&
           hall_dbres_int(live, row, "merchant_ref") == merchant_ref;
}
