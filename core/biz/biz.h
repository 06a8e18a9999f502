/*
 * core/biz: the hall's business on the store: the order's state machine,
 * prices, trades at the payment gateway and refunds, e-invoices, and the
 * production of an accepted order (its certificate made by core/pki, the
 * order moved, the PIN sent, its seals made).  No request and no page here:
 * every function takes the struct hall_ctx of the work at hand, so a
 * request, a tool and an outbox job call the same code.  Uses core/base,
 * core/store and core/pki.
 */
#ifndef HALL_BIZ_H
#define HALL_BIZ_H

#include "pki/pki.h"

/* ---- order.c: the order state machine ---------------------------------- */

struct hall_order_state {
    const char *code;  /* orders.status */
    const char *label; /* what users see: 待审核, 成功受理 ... */
};

/* every state, ending with {NULL, NULL} */
const struct hall_order_state *hall_order_states(void);
/* NULL for an unknown status */
const char *hall_order_label(const char *status);
/* the Chinese label of an audit_log action of an order (办理记录), never the code */
const char *hall_order_action_label(const char *action);
int hall_order_can(const char *from, const char *to);
/* inside a transaction: from -> to if allowed and the row is still in from;
 * HALL_CONFLICT when not (answer 409), HALL_ERR on database failure */
int hall_order_move(struct hall_ctx *cx, int64_t id, const char *from, const char *to,
                    const char *actor, const struct hall_val *detail);
extern const struct hall_stmt hall_order_stmts[];
/* 12345 fen -> "123.45" */
const char *hall_yuan(struct hall_pool *pool, int64_t fen);

/* ---- price.c: the one price function ------------------------------------ */

/* a product's price rule (products: price_per_year_fen, seal_fee_per_year_fen, fixed_fee_fen) */
struct hall_price {
    int64_t per_year_fen;
    int64_t seal_per_year_fen;
    int64_t fixed_fen;
};

/* the certificate fee in fen for years and the seal option */
int64_t hall_price_cert(const struct hall_price *p, int years, int seal);
/* {"1":{"no":fen,"yes":fen},...} for every years choice: the table the
 * 录入信息 page carries, so that the page picks and never computes */
struct hall_val *hall_price_table(struct hall_pool *pool, const struct hall_price *p, int min_years,
                                  int max_years, int seal_offered);

/* ---- payment.c: trades at the gateways (one live trade per order) ------ */

/* a trade to open: channel "wechat" | "alipay", the partner whose account
 * collects (its own in pay_merchants, else the hall's) */
struct hall_pay_open {
    const char *channel, *partner, *out_trade_no, *subject;
    int64_t amount_fen;
    const char *return_url; /* the hall's page the browser comes back to */
    int mobile;             /* a phone's browser: WeChat H5 / alipay.trade.wap.pay */
    const char *client_ip;
};

struct hall_pay_opened {
    int merchant_ref;    /* pay_merchants.id */
    const char *mode;    /* "native" (QR code), "h5", "page", "wap" */
    const char *pay_url; /* native: the code_url to show as a QR code; else
                          * where the browser goes */
};

/* what the gateway's notification (or refund notification) says, once its
 * signature checked out; why: the refusal's reason for the log */
struct hall_pay_notice {
    const char *kind; /* "paid" | "refund" */
    int merchant_ref;
    const char *out_trade_no, *trade_no, *status, *paid_at;
    int64_t amount_fen; /* paid: the trade's total; refund: the refund's */
    const char *out_refund_no, *refund_no;
    const char *why;
};

/* a notification as received: header(ud, "HTTP_WECHATPAY_SERIAL") reads a
 * request header by its CGI name */
struct hall_pay_inbound {
    const char *(*header)(void *ud, const char *name);
    void *ud;
    const char *body;
    size_t len;
};

struct hall_pay_refund {
    const char *out_trade_no, *out_refund_no, *reason;
    int64_t amount_fen;
    int64_t total_fen; /* filled in from the payment */
};

extern const struct hall_stmt hall_payment_stmts[];
/* "12.34" (yuan as the gateways write it: digits, at most two decimals) ->
 * 1234 fen, exactly; -1 when malformed */
int64_t hall_fen_of_yuan(const char *s);
/* opens a trade with the account of in->partner (outside any transaction) */
int hall_payment_open(struct hall_ctx *cx, const struct hall_pay_open *in,
                      struct hall_pay_opened *out);
/* the pay_merchants.id a trade of the partner and channel goes to, 0: none */
int hall_payment_merchant(struct hall_ctx *cx, const char *partner, const char *channel);
/* a trade's state at its gateway: "NOTPAY", "SUCCESS", "REFUND", "CLOSED",
 * "NOT_FOUND"; HALL_ERR: no verified answer */
int hall_payment_query(struct hall_ctx *cx, const char *out_trade_no, const char **state);
/* queues the "pay_close" job of an abandoned trade (caller's transaction) */
int hall_payment_close_queue(struct hall_ctx *cx, int64_t pay_id, const char *out_trade_no);
/* closes a trade at the gateway now; *status: "CLOSED", "NOT_FOUND", or
 * "SUCCESS" / "REFUND" when it had been paid.  HALL_ERR: no answer */
int hall_payment_close(struct hall_ctx *cx, const char *out_trade_no, const char **status);
/* a refund through the trade's gateway; *state "SUCCESS" or "PROCESSING" */
int hall_payment_refund(struct hall_ctx *cx, struct hall_pay_refund *in, const char **refund_no,
                        const char **state);
/* verifies and reads a notification for driver "wechatpay_v3" | "alipay";
 * HALL_ERR (out->why says why) when it is not to be believed */
int hall_payment_notice(struct hall_ctx *cx, const char *driver, const struct hall_pay_inbound *in,
                        struct hall_pay_notice *out);
/* queues the "pay_refund" job of an approved refunds row (caller's transaction) */
int hall_refund_queue(struct hall_ctx *cx, int64_t refund_id);
/* ---- invoice.c: the e-invoice (电子发票) of a paid order ------------------ */

/* inside the approving transaction: the outbox job "invoice-<id>" (queued
 * once per order, whoever calls); the job issues nothing when 是否开票 is 否
 * or the order was refunded by then */
int hall_invoice_queue(struct hall_ctx *cx, int64_t order_id);
/* inside the transaction that makes the order 已退费: the red-letter job
 * "invoice-red-<id>" when a blue invoice issued (once per order) */
int hall_invoice_refunded(struct hall_ctx *cx, int64_t order_id);
/* inside a transaction: SMS and e-mail jobs carrying the invoice link of an
 * order that has one (red: the red-letter invoice's); tag makes their
 * idempotency keys ("0" at issue, the resend count for 重新获取).  HALL_ERR
 * when there is no such invoice. */
int hall_invoice_notify(struct hall_ctx *cx, int64_t order_id, const char *tag, int red);
extern const struct hall_stmt hall_invoice_stmts[];

/* ---- produce.c: an accepted order's certificate made ------------------------ */

/* outside a transaction: write-intent, sign (core/pki), store the medium,
 * accepted -> issued, the PIN by SMS, the seals of a seal order and those
 * the replaced certificate signed; HALL_CONFLICT (with *msg) when the order
 * cannot be issued now, HALL_ERR on failure */
int hall_produce(struct hall_ctx *cx, int64_t order_id, const char *actor, const char **msg);
/* hall-outbox's periodic work for production: one order that the partner's
 * products make automatically once accepted; 1 when one was made */
int hall_produce_auto(struct hall_ctx *cx);
extern const struct hall_stmt hall_produce_stmts[];

/* ---- sealprod.c: the seals made with the order's certificate -------------- */

/* the seals one order may hold */
#define HALL_SEAL_BIZ_MAX     8  /* 机构业务章 online (seed 001) */
#define HALL_SEAL_PERSONS_MAX 50 /* 机构个人章 rows in one order */
#define HALL_SEAL_ITEMS_MAX   (1 + HALL_SEAL_BIZ_MAX + HALL_SEAL_PERSONS_MAX)

struct hall_sealprod;

/* hall_produce's step 1, inside its intent transaction: the seals of a
 * seal order that have no SESeal yet, with a certificate intent for each
 * 机构业务章 and 机构个人章; *out NULL for an order without seals.
 * HALL_CONFLICT with *msg when a seal has no picture yet */
int hall_sealprod_intent(struct hall_ctx *cx, int64_t order_id, const char *ca, const char *org,
                         const char *uscc, const char *actor, const char **msg,
                         struct hall_sealprod **out);
/* step 2: the seals' certificates, then every seal's SESeal (the 机构章's
 * lists the order's certificate) */
int hall_sealprod_sign(struct hall_ctx *cx, struct hall_sealprod *sp, const char *order_serial,
                       const unsigned char *order_cert, size_t order_cert_len, time_t order_na);
/* step 3, inside the transaction that moves the order to issued */
int hall_sealprod_store(struct hall_ctx *cx, struct hall_sealprod *sp, const char *pin,
                        const char *actor);
void hall_sealprod_free(struct hall_sealprod *sp);

/*
 * The re-make (docs/modules/seal.md, "When the signer's certificate is
 * replaced"): when a certificate that signs seals is replaced by a new one
 * (介质遗失补办; later 更新, 变更, 解锁), every valid seal listing the old
 * certificate is made again on the new one, with the same name, kind and
 * picture, free and without review; the old seal becomes 'replaced'.  The
 * same three steps as the production that makes the new certificate
 * (hall_produce), so that it happens exactly once, with it:
 *   1. in the intent transaction: the seals of old_serial (*out NULL: none);
 *   2. after signing the new certificate: the new SESeals, listing it;
 *   3. in the transaction that stores it: the old seals replaced, the new
 *      ones stored, both audited; *made says how many (a seal an operator
 *      revoked meanwhile is not made again).
 */
struct hall_sealremake;
int hall_sealprod_remake_intent(struct hall_ctx *cx, const char *old_serial,
                                struct hall_sealremake **out);
int hall_sealprod_remake_sign(struct hall_ctx *cx, struct hall_sealremake *rm,
                              const char *new_serial, const unsigned char *cert, size_t cert_len,
                              time_t cert_na);
int hall_sealprod_remake_store(struct hall_ctx *cx, struct hall_sealremake *rm, const char *actor,
                               int *made);

extern const struct hall_stmt hall_sealprod_stmts[];

#endif
