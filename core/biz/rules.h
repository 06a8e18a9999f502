/*
 * core/biz/rules.h: the business's rules a module answers (docs/
 * architecture.md, "Who owns each rule"): 电子印章验证's verdict
 * (sealverdict.c), a payment notification's refund and the online trade a
 * click reuses (payrule.c), the claim of an order replacing a certificate
 * (order.c, core/flow/replace.c).  Included by biz.h, at its end.
 */
#ifndef HALL_BIZ_RULES_H
#define HALL_BIZ_RULES_H

/* SQL: whether the replacing order aliased r still holds its claim on the
 * certificate orders.reissue_of names: any not cancelled or refunded, but a
 * 解锁 delivered (a USB key's, done on the medium, issues no certificate;
 * sql/190 and its index orders_replaces_one say the same) */
#define HALL_CLAIM_LIVE_R                                                                          \
    "(r.status NOT IN ('cancelled', 'refunded')"                                                   \
    " AND NOT (r.business_type = 'unlock' AND r.status = 'delivered'))"

/*
 * 电子印章验证's rule (sealverdict.c; modules/seal/seal_verify.c answers
 * it): the verdict on the SESeal der, its details and problems (in the
 * order checked, in the words shown) as members of r (es_id ... picture,
 * problems, seal_state, signers, valid, verdict); out its esID and
 * whether it is valid.  HALL_CONFLICT with out->err when der is no
 * SESeal (answer 400), HALL_ERR on database failure.
 */
struct hall_seal_verdict {
    const char *es_id;
    int valid;
    const char *err;
};
extern const struct hall_stmt hall_sealverdict_stmts[];
int hall_seal_verdict(struct hall_ctx *cx, const unsigned char *der, size_t len, struct hall_val *r,
                      struct hall_seal_verdict *out);

/*
 * A refund notification's refund (payrule.c): out_refund_no ours
 * ("RF<refunds.id>") of the trade out_trade_no, with the amount notified.
 * 1 with *refund_id and *status (refunds.status), 0 when not (answer
 * refund_unknown), HALL_ERR the store.
 */
int hall_refund_notice_ours(struct hall_ctx *cx, const struct hall_pay_notice *nt,
                            long long *refund_id, const char **status);
/*
 * 1 when a click on 在线支付 may reuse the order's newest open trade (a
 * row of pay_live, payments' columns): the same channel, amount, mode
 * (h5, native, wap, page) and merchant account; else a new trade is opened
 * and the older ones closed (payrule.c).
 */
int hall_payment_reusable(const struct hall_dbres *live, int row, const char *channel,
                          int64_t amount_fen, const char *mode, int merchant_ref);

/*
 * 在线支付's rule (payrule.c; modules/pay answers it): one live trade per
 * order.  Under the order's lock the newest open trade of the same channel,
 * amount, mode and merchant is reused, every other open one closed (here
 * and, at once, at the gateway); a reused trade the applicant cancelled at
 * the cashier is replaced; a new one is opened at the gateway outside any
 * transaction.  HALL_PAY_GO with out's mode and pay_url, or what to answer;
 * HALL_ERR the store.
 */
enum hall_pay_start {
    HALL_PAY_GO = 1,     /* send the browser to out->pay_url (mode "native": our QR page) */
    HALL_PAY_NOT_OWN,    /* no such order of this applicant: 404 */
    HALL_PAY_NOT_UNPAID, /* the order is not 待支付 */
    HALL_PAY_ZERO,       /* nothing to pay */
    HALL_PAY_PENDING,    /* a trade of it was paid: its notification is on its way */
    HALL_PAY_DOWN,       /* the channel cannot open a trade now */
    HALL_PAY_SUPERSEDED  /* another click replaced this one meanwhile */
};
struct hall_pay_start_in {
    int64_t order_id, user_id;
    const char *actor, *partner, *channel, *mode; /* mode: h5, native, wap, page */
    int merchant_ref, mobile;
    const char *client_ip, *return_url;
};
struct hall_pay_started {
    const char *mode, *pay_url;
};
extern const struct hall_stmt hall_payrule_stmts[];
int hall_payment_start(struct hall_ctx *cx, const struct hall_pay_start_in *in,
                       struct hall_pay_started *out);
/* 1 when the gateway says the trade was paid, 0 not, -1 no verified answer */
int hall_payment_trade_paid(struct hall_ctx *cx, const char *out_trade_no);
/* closes the trades at the gateway now (a cashier page still open cannot
 * pay); 1 when one of them had been paid */
int hall_payment_close_now(struct hall_ctx *cx, const char *const *outs, int n);

#endif
