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
/* 1 for reissue, renew, change, unlock: the orders replacing a certificate */
int hall_replace_business(const char *business);
/*
 * The order's other columns, each written here (docs/architecture.md,
 * "Who owns each table"), inside the caller's transaction:
 *   accepted   after the move to accepted: the reject reason cleared, the
 *              ship-by day of a partner that promises one; RETURNING form_enc
 *   rejected   after the move to rejected: the reason and the revision it
 *              judged; RETURNING form_enc
 *   finauth_form  the form of an order in finauth_failed replaced by the
 *              applicant's (user_id) corrected account, a new revision with
 *              it; *rev the new one; HALL_CONFLICT when not in that state
 *   shipped    the waybill and carrier, after the move to shipped
 *   delivered  the carrier's time of delivery (at: seconds since the epoch)
 *              and ours, after the move to delivered
 * NULL / HALL_ERR on database failure.
 */
struct hall_dbres *hall_order_accepted(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_order_rejected(struct hall_ctx *cx, int64_t id, const char *reason);
int hall_order_finauth_form(struct hall_ctx *cx, int64_t id, int64_t user_id,
                            const unsigned char *enc, size_t len, int64_t *rev);
int hall_order_shipped(struct hall_ctx *cx, int64_t id, const char *waybill, const char *carrier);
int hall_order_delivered(struct hall_ctx *cx, int64_t id, int64_t at);
/*
 * The flow kit's writes of a draft (core/flow), in the caller's transaction
 * or alone:
 *   printed  打印申请表 confirmed by its applicant (user_id), a draft or a
 *            rejected order; HALL_CONFLICT when it is neither (or not theirs)
 *   step     a draft's step to `to` when it is one of `from` (comma-
 *            separated); no row moved is not an error
 *   claim    a replacing order's claim on the certificate it replaces
 *            (orders.reissue_of); HALL_CONFLICT when another live replacing
 *            order holds it
 * HALL_ERR on database failure.
 */
/*
 * The order's files (order_files; the uploads themselves are the SQL
 * function hall_file_upload's, core/flow/upload.c):
 *   files_move   the 机构个人章 holders' ID scans follow their holders
 *                (kinds from[i] -> to[i], text arrays; "" retires the scan);
 *                RETURNING old_id, old_name of the retired ones
 *   voucher_add  the corporate transfer's 汇款凭证 (the stored object), the
 *                one before replaced; the new file's id, -1 on failure
 */
struct hall_dbres *hall_order_files_move(struct hall_ctx *cx, int64_t id, const char *from,
                                         const char *to);
/* the sweep removed stored's object: its retired rows marked removed */
int hall_order_file_swept(struct hall_ctx *cx, const char *stored);
int64_t hall_order_voucher_add(struct hall_ctx *cx, int64_t id, const char *stored,
                               const char *mime, int64_t size, const unsigned char sha256[32]);
int hall_order_printed(struct hall_ctx *cx, int64_t id, int64_t user_id);
int hall_order_step(struct hall_ctx *cx, int64_t id, const char *from, const char *to);
int hall_order_claim(struct hall_ctx *cx, int64_t id, const char *serial);
/* a partner API application's project_id on the order its link's form made
 * (ticket hashed; claimed by user_id), core/flow/plink.c */
int hall_order_link_project(struct hall_ctx *cx, int64_t id, int64_t user_id,
                            const unsigned char ticket_hash[32]);
/* 12345 fen -> "123.45" */
const char *hall_yuan(struct hall_pool *pool, int64_t fen);
/* a review time as the seeds write it: 2 -> "两个工作日", 12 -> "12个工作日" */
const char *hall_workdays(struct hall_pool *pool, long n);

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
    const char *kind; /* "paid" | "refund" | "state" (verified, no money moved) */
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

/*
 * Money in our tables: payment.c is the one writer of payments (and of the
 * transfer vouchers' order_files rows).  Every function works inside the
 * caller's transaction; the caller keeps its locks (the order first) and
 * commits, so a handler's transaction stays one.
 */

/* a new online trade of an order (the order locked by the caller) */
struct hall_pay_new {
    int64_t order_id;
    const char *order_no; /* out_trade_no is "<order_no>-<attempt>" */
    const char *channel;  /* "wechat" | "alipay" */
    int64_t amount_fen;
    int merchant_ref;
    const char *mode; /* "native", "h5", "page", "wap" */
};
int hall_payment_create(struct hall_ctx *cx, const struct hall_pay_new *in, int64_t *pay_id,
                        long *attempt, const char **out_trade_no);
/* the trade's address at the gateway, kept while it is still open;
 * HALL_CONFLICT when another request closed it meanwhile */
int hall_payment_url_set(struct hall_ctx *cx, int64_t pay_id, const char *pay_url);
/* marks an open trade closed in our table (the caller queues or closes it
 * at the gateway) */
int hall_payment_close_row(struct hall_ctx *cx, int64_t pay_id);
/* the order's open online trades but keep (0: all) marked closed, each
 * with its pay_close job; the closed rows (id, out_trade_no), NULL on
 * failure */
struct hall_dbres *hall_payment_close_others(struct hall_ctx *cx, int64_t order_id, int64_t keep);
/* a corporate transfer: the voucher (replacing the one before) and its
 * pending payment of amount_fen, stored with the request's key (NULL:
 * none), which finds it again (hall_payment_transfer_keyed) */
int hall_payment_transfer(struct hall_ctx *cx, int64_t order_id, int64_t amount_fen,
                          const struct hall_stored *voucher, const char *key);
/* 1 when the order has a transfer stored with key, 0 when not, HALL_ERR */
int hall_payment_transfer_keyed(struct hall_ctx *cx, int64_t order_id, const char *key);
/* finance's decision on the order's pending transfer: paid, or refused
 * with the reason; how many payments it decided (0 or 1), HALL_ERR */
int hall_payment_transfer_decided(struct hall_ctx *cx, int64_t order_id, int paid,
                                  const char *reason);

/* hall_payment_paid and hall_payment_state: the notification is not to be
 * applied (out->why says why); the caller rolls back and does not
 * acknowledge it */
#define HALL_PAY_REFUSED (-30)

struct hall_paid {
    /* HALL_PAY_REFUSED: "out_trade_no", "trade_no", "amount", "status",
     * "unknown_order", "merchant", "amount_mismatch", "trade_mismatch",
     * "payment_state"; hall_payment_state: "unknown_trade" */
    const char *why;
    int again;      /* a copy of a notification applied before: counted only */
    int surplus;    /* the order was not unpaid: the money is refunded */
    const char *to; /* else the order's new state: "finauth_pending" (the
                     * caller queues the micro-deposit) or "review" */
    int64_t order_id, payment_id;
    const char *payment_status; /* hall_payment_state: the payment's */
};
/*
 * Applies a verified paid notification (hall_payment_notice) of driver,
 * exactly once, inside the caller's transaction: the order and the payment
 * locked (the order first), ours checked (our trade, its account, amount
 * and the gateway's trade number); the order moved from unpaid, the
 * payment paid with what the notification said, the order's other open
 * trades closed with their pay_close jobs.  Money for an order that was no
 * longer unpaid is kept as a surplus and refunded (hall_refund_surplus).
 * HALL_OK (out says what happened), HALL_PAY_REFUSED, HALL_ERR.
 */
int hall_payment_paid(struct hall_ctx *cx, const char *driver, const struct hall_pay_notice *nt,
                      struct hall_paid *out);
/* a verified notification that moves no money (a trade waiting or
 * closed): counted on our trade of its account and amount */
int hall_payment_state(struct hall_ctx *cx, const struct hall_pay_notice *nt,
                       struct hall_paid *out);

/* ---- refund.c: refunds (退费), the one writer of refunds ------------------ */

/* hall_refund_request's answers beyond HALL_OK, HALL_CONFLICT (the order
 * cannot be refunded from its state) and HALL_ERR */
#define HALL_REFUND_PRODUCING (-31) /* its certificate is being made */
#define HALL_REFUND_NOTHING   (-32) /* no paid payment to pay back */

/* a refunds row with its payment and order, locked (hall_refund_lock) */
struct hall_refund {
    int64_t id, order_id, amount_fen;
    const char *status;      /* requested, approved, refused, manual, done */
    const char *kind;        /* request, surplus */
    const char *from_status; /* the order's state before the request */
    const char *method;      /* the payment's: wechat, alipay, transfer */
    const char *out_trade_no, *order_status, *order_no, *cert_type;
    const struct hall_dbres *row;
};

extern const struct hall_stmt hall_refund_stmts[];
/* queues the "pay_refund" job of an approved refunds row (caller's transaction) */
int hall_refund_queue(struct hall_ctx *cx, int64_t refund_id);
/* the applicant's 申请退费 of an order they saw in from: the order moved to
 * refund_requested (audited with reason) and the refund of its paid
 * payment put in finance's queue */
int hall_refund_request(struct hall_ctx *cx, int64_t order_id, const char *from, const char *actor,
                        const char *reason);
/* a surplus (money for an order paid already) approved and queued */
int hall_refund_surplus(struct hall_ctx *cx, int64_t order_id, int64_t payment_id,
                        int64_t amount_fen);
/* locks the refund and its order until the caller's transaction ends;
 * 1 found, 0 none, HALL_ERR */
int hall_refund_lock(struct hall_ctx *cx, int64_t refund_id, struct hall_refund *rf);
/* finance's decision on a locked, requested refund, audited, with the
 * applicant's SMS: refused (the order back to from_status, note the
 * reason), a transfer paid back by hand (已退费, note how: "manual"), or an
 * online payment's refund approved and queued to its gateway ("approved");
 * first: the first of two approvers (four eyes), or NULL; *status what it
 * became.  HALL_CONFLICT when the order moved meanwhile */
int hall_refund_decide(struct hall_ctx *cx, const struct hall_refund *rf, int approve,
                       const char *note, const char *actor, const char *first, const char **status);
/* the gateway refunded a locked, approved refund (refund_no its number):
 * done; a request's order 已退费 (its red-letter invoice), a surplus's order
 * left as it is; the applicant's SMS.  HALL_CONFLICT: the order moved */
int hall_refund_applied(struct hall_ctx *cx, const struct hall_refund *rf, const char *refund_no,
                        const char *actor);
/* a refund notification's refund: ours, of that trade; 1 found (its amount
 * and status), 0 not, HALL_ERR */
int hall_refund_of_trade(struct hall_ctx *cx, int64_t refund_id, const char *out_trade_no,
                         int64_t *amount_fen, const char **status);
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
/* the table invoices is written here only, each inside the caller's
 * transaction with its audit row (actor) and the link's SMS and e-mail:
 * the e-invoice service issued the order's invoice no (url) of amount_fen;
 * its red-letter one no (url) for the blue invoice blue; the applicant's
 * 重新获取 (HALL_CONFLICT: once a minute, it was sent less than that ago) */
int hall_invoice_issued(struct hall_ctx *cx, int64_t order_id, const char *no, const char *url,
                        int64_t amount_fen, const char *actor);
int hall_invoice_red_issued(struct hall_ctx *cx, int64_t order_id, const char *blue, const char *no,
                            const char *url, const char *actor);
int hall_invoice_resend(struct hall_ctx *cx, int64_t order_id, const char *actor);
extern const struct hall_stmt hall_invoice_stmts[];

/* ---- produce.c: an accepted order's certificate made ------------------------ */

/* outside a transaction: write-intent, sign (core/pki), store, accepted -> issued, the PIN by
 * SMS, the seals; HALL_CONFLICT (*msg) when it cannot be issued now, HALL_ERR on failure.  medium
 * "pkcs11" (a blank USB key, core/pki/medium.c), "" production_medium (pkcs11 by default), "p12"
 * a file: refused for every order (hall-pkitool issue-file; the hall makes no subscriber key) */
int hall_produce_onto(struct hall_ctx *cx, int64_t order_id, const char *actor, const char *medium,
                      const char **msg);
extern const struct hall_stmt hall_produce_stmts[];

/* ---- reminder.c: SMS about a certificate, the expiry reminders ---------- */

/* inside the caller's transaction: text by SMS to the certificate's holder
 * (the account's phone) and to the phone its order named for the PIN when
 * that is another, each once per tag ("sms-TAG-SERIAL-holder|agent"), the
 * template kind with params (core/store/sms_tpl.def); how many were queued,
 * -1 on failure.  The parameters are personal data: never logged */
/* the phone a certificate's PIN goes to, from its order's form: the 经办人
 * for a unit's certificate, the applicant (else the 经办人) for a person's;
 * "" when the form names none */
const char *hall_pin_phone(const char *cert_type, const struct hall_val *form);
int hall_cert_sms(struct hall_ctx *cx, const char *serial, const char *tag, enum hall_sms_kind kind,
                  const struct hall_val *params);
/* hall-outbox's periodic work: the expiry reminders due (reminder_first_days,
 * reminder_last_days), each once; how many certificates, -1 on failure */
int hall_reminder_tick(struct hall_ctx *cx);
extern const struct hall_stmt hall_reminder_stmts[];

/* ---- custody.c: the hall keeps no private key once handed over ---------- */

/* in the caller's transaction: destroys serial's PKCS#12, why 'download' | 'delivered' |
 * 'revoked', with its audit row and the PIN SMS kept; HALL_CONFLICT: destroyed already */
int hall_custody_destroy(struct hall_ctx *cx, const char *serial, const char *why,
                         const char *actor);
/* hall-outbox's CA tick, its own transaction: destroys the media received (已签收) over
 * keep_days ago and those of revoked certificates, once whatever else runs; how many, -1 */
int hall_custody_sweep(struct hall_ctx *cx, long keep_days);
extern const struct hall_stmt hall_custody_stmts[];

/* ---- deposit.c: finauth_attempts, the micro-deposit's attempts ------------ */

/* the table finauth_attempts is written here only (inside the caller's
 * transaction): an attempt queued (pin: the memo carries the PIN, pin_enc
 * it encrypted, kept until the medium is made; the new id, -1 on failure),
 * a wrong code typed (*tries the attempt's tries now, locked at max), the
 * code verified, finance's unlock of a locked attempt, the bank's answer
 * to the micro-deposit (sent, with the bank's reference; or failed, with
 * its reason), the PIN destroyed once the medium is made */
int64_t hall_finauth_insert(struct hall_ctx *cx, int64_t order_id, int pin,
                            const unsigned char mac[32], const unsigned char *pin_enc,
                            size_t pin_len);
int hall_finauth_wrong(struct hall_ctx *cx, int64_t attempt_id, long max, long *tries);
int hall_finauth_verified(struct hall_ctx *cx, int64_t attempt_id);
int hall_finauth_unlock(struct hall_ctx *cx, int64_t attempt_id);
int hall_finauth_result(struct hall_ctx *cx, int64_t attempt_id, int sent, const char *bank_ref,
                        const char *fail_reason);
int hall_finauth_pin_destroy(struct hall_ctx *cx, int64_t order_id);
extern const struct hall_stmt hall_deposit_stmts[];

/* a 机构个人章 holder's code for its medium (sql/053): 10 characters of
 * 2-9 A-Z without I and O, sent to the holder's phone with the PIN; stored as
 * a MAC bound to the certificate's serial */
#define HALL_HOLDER_CODE_LEN 10
void hall_holder_code_make(char out[HALL_HOLDER_CODE_LEN + 1]);
/* HALL_ERR when serial or code cannot be one (wrong length) */
int hall_holder_code_mac(const char *serial, const char *code, unsigned char out[32]);

/* ---- smsdrv.c: outside providers' accounts; SMS by template --------------- */

/* a row of provider_accounts (sql/068_providers.sql) */
struct hall_provider_acct {
    const char *name;
    const char *driver;      /* "aliyun", "tencent"; "sf", "sandbox" */
    const char *endpoint;    /* the provider's base URL; sandbox_url when none */
    const char *account_id;  /* AccessKeyId, 顾客编码 (partnerID) ... */
    const char *secret_file; /* a file name under provider_key_dir */
    const char *sign;        /* SMS: the signature name (partners.sms_sign first) */
    struct hall_val *settings;
};

extern const struct hall_stmt hall_provider_stmts[];
/* service "sms" or "courier"; the partner's account (partners.sms_account,
 * partner_couriers), else the one called name */
int hall_provider_account(struct hall_ctx *cx, const char *service, const char *partner,
                          const char *name, struct hall_provider_acct *a);
/* the first line of the account's secret file, NULL when unreadable */
const char *hall_provider_secret(struct hall_ctx *cx, const struct hall_provider_acct *a);
/* settings.path1[.path2] when a string */
const char *hall_provider_setting(const struct hall_provider_acct *a, const char *path1,
                                  const char *path2);

/* one SMS as a driver sends it */
struct hall_sms_msg {
    const char *phone;
    const char *sign;                    /* SignName, without 【】 */
    const char *template_code;           /* the provider's code of the template */
    const char *template_param;          /* JSON object of the parameters */
    const struct hall_val *param_values; /* the same values, in the template's order */
    const char *out_id;                  /* the outbox job's key */
    long attempts;                       /* earlier attempts of the job */
};

struct hall_sms_outcome {
    int sent;
    int found_before;          /* an earlier attempt had gone out: not sent again */
    long retry_after_s;        /* a provider's limit: try again after this long */
    const char *error;         /* when not sent: short, no phone and no text */
    const char *provider_id;   /* the provider's id of the message, when it gives one */
    const char *account;       /* provider_accounts.name */
    const char *template_code; /* what was sent */
};

/* delivers the outbox payload {phone, kind, params[, partner]} */
void hall_sms_deliver(struct hall_ctx *cx, const struct hall_val *payload, const char *idem_key,
                      long attempts, struct hall_sms_outcome *out);
#include "biz/courier.h"

/* ---- approval.c: four eyes (sql/075, staff_requests) ------------------------ */

struct hall_approval {
    int64_t id;
    const char *kind;    /* revoke, refund, staff_add, staff_roles */
    const char *subject; /* the serial, the refund's id, the login */
    const char *reason;  /* why the requester asked */
    struct hall_val *payload;
    int64_t requested_by; /* staff id */
    const char *requested_login;
};

/* hall_approval_decide's answers beyond HALL_OK, HALL_CONFLICT (decided
 * already) and HALL_ERR */
#define HALL_APPROVAL_UNKNOWN (-20) /* no such request of these kinds */
#define HALL_APPROVAL_SELF    (-21) /* the decider asked it: never */
#define HALL_APPROVAL_ROLE    (-22) /* the decider lacks the kind's role */

extern const struct hall_stmt hall_approval_stmts[];
/* "operator" (revoke), "finance" (refund), "admin" (staff_add, staff_roles) */
const char *hall_approval_role(const char *kind);
/* 吊销证书, 大额退费 ... */
const char *hall_approval_kind_label(const char *kind);
/* inside the caller's transaction, audited: a pending request; HALL_CONFLICT
 * when the same thing (kind, subject) has one pending already */
int hall_approval_request(struct hall_ctx *cx, const char *kind, const char *subject,
                          const struct hall_val *payload, int64_t staff_id, const char *reason,
                          int64_t *id);
/* inside the caller's transaction, audited: staff_id approves (or refuses)
 * request id if its kind is one of kinds ("a,b"); out is the request when
 * HALL_OK: the caller then does what it asked, in the same transaction */
int hall_approval_decide(struct hall_ctx *cx, int64_t id, const char *kinds, int64_t staff_id,
                         int approve, const char *note, struct hall_approval *out);
/* 1 and out filled when (kind, subject) has a pending request, 0 when not */
/*
 * Every revocation of a certificate: the CA's (hall_pki_revoke, its
 * answers as that one's) and a pending staff request to revoke it (four
 * eyes) closed as moot, audited, in the caller's transaction: the only
 * caller of hall_pki_revoke.
 */
int hall_revoke_cert(struct hall_ctx *cx, const char *serial, int reason, const char *actor,
                     const char **ca);
int hall_approval_pending_of(struct hall_ctx *cx, const char *kind, const char *subject,
                             struct hall_approval *out);
#include "biz/medium_reconcile.h"
#include "biz/medium_unlock.h"
#include "biz/partner.h"
#include "biz/produce_csr.h"
#include "biz/sealprod.h"
#include "biz/rules.h"
#include "biz/signflow.h"

#endif
