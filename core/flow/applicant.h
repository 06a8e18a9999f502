/*
 * core/flow/applicant.h: what proves the applicant: one-time SMS codes,
 * the micro-deposit of financial authentication, the identity check's PC
 * side.  Included by flow.h, at its end.
 */
#ifndef HALL_FLOW_APPLICANT_H
#define HALL_FLOW_APPLICANT_H

/* ---- sms.c: one-time codes -------------------------------------------- */

enum hall_sms_result {
    HALL_SMS_OK = 0,
    HALL_SMS_TOO_SOON,
    HALL_SMS_DAILY_LIMIT,
    HALL_SMS_BAD_CODE,
    HALL_SMS_EXPIRED, /* no live code for this phone and purpose */
    HALL_SMS_LOCKED,  /* too many wrong tries */
    HALL_SMS_DB_ERROR,
    HALL_SMS_IP_LIMIT,      /* sms_ip_hourly_max from this client address */
    HALL_SMS_SESSION_LIMIT, /* sms_session_hourly_max from this browser */
    HALL_SMS_OTHER_OBJECT,  /* the live code was asked for another object */
};

/* inside a transaction: creates a code and queues its SMS in the outbox */
/* the per-client limits of SMS sending (client IP, visitor's session), counted
 * in PostgreSQL; inside the caller's transaction, before hall_sms_code_send */
enum hall_sms_result hall_sms_client_limit(struct hall_req *req);
enum hall_sms_result hall_sms_code_send(struct hall_req *req, const char *phone,
                                        const char *purpose);
/* as hall_sms_code_send, counted the same, but the SMS is the template
 * notice (no parameters) instead of the code, which nobody learns: the
 * caller answers as for a code sent */
enum hall_sms_result hall_sms_notice_send(struct hall_req *req, const char *phone,
                                          const char *purpose, enum hall_sms_kind notice);
/* inside a transaction: consumes the code on success */
enum hall_sms_result hall_sms_code_check(struct hall_req *req, const char *phone,
                                         const char *purpose, const char *code);
/* a code that confirms one action (purpose) on one object (a certificate's
 * serial, at most 64 characters), counted as every code: its SMS is the
 * action's template kind, with code, minutes and serial_tail (the
 * object's last four characters); asking another one for the same purpose
 * voids it.  Only hall_sms_object_code_check with the same object accepts
 * it: with another, HALL_SMS_OTHER_OBJECT, counted as a wrong try */
enum hall_sms_result hall_sms_object_code_send(struct hall_req *req, const char *phone,
                                               const char *purpose, const char *object,
                                               enum hall_sms_kind kind);
enum hall_sms_result hall_sms_object_code_check(struct hall_req *req, const char *phone,
                                                const char *purpose, const char *object,
                                                const char *code);
const char *hall_sms_result_msg(enum hall_sms_result r);

/* ---- finauth_deposit.c: the micro-deposit of financial authentication - */

/* inside a transaction: a new finauth_attempts row for the order (a random
 * 6-digit code, or a new certificate PIN when the product has pin_by_memo,
 * kept as a MAC; a PIN also encrypted until the medium is made) and its "bank_transfer" outbox job
 * carrying the clear value in the encrypted payload.  HALL_ERR on database failure. */
int hall_finauth_queue(struct hall_req *req, int64_t order_id);
/* the MAC stored for a code of an order */
void hall_finauth_code_mac(int64_t order_id, const char *code, unsigned char out[32]);
/* the seeds' one name for the memo's six digits, on every page, message
 * and log label: 证书PIN码 when the memo carries the certificate PIN
 * (products.pin_by_memo, memo_kind 'pin'), 随机验证码 otherwise (seed 001) */
const char *hall_finauth_code_name(int pin);
/* the memo's words before it: 数字证书PIN码 or 办理数字证书编码 */
const char *hall_finauth_memo_label(int pin);
/* 基本户开户行: a listed branch (bank_branch_id) or a listed bank (bank_id,
 * or bank_name: its name or short name) and the branch as typed
 * (bank_branch_name); sets form's bank_id, bank_name, bank_branch_name and
 * bank_cnaps, or adds e's errors.  HALL_ERR: the store. */
int hall_finauth_bank_check(struct hall_req *req, struct hall_val *form, struct hall_errors *e);
/* ctx.banks: the complete list of banks (name, short).  HALL_ERR: the
 * database did not answer (nothing sent). */
int hall_finauth_banks_ctx(struct hall_req *req, struct hall_val *ctx);
extern const struct hall_stmt hall_finauth_stmts[];

/* ---- identity.c: the PC side of an online identity check --------------- */

/* who: "agent", "applicant" or "legal" (法人认证); its label */
const char *hall_identity_who_label(const char *who);
/* outside a transaction: a new one-time link for the phone (the previous
 * one of the order stops working), in its own transaction; the URL of the
 * phone page verify_path (a flow's /FLOW/m/verify, core/flow/phone.c) with the
 * token, NULL on failure */
const char *hall_identity_start(struct hall_req *req, int64_t order_id, const char *who,
                                const char *verify_path);
/* the newest check of that kind: *status pending / ocr_ok / passed /
 * failed / expired, *message why the last try failed (no personal data) */
int hall_identity_status(struct hall_req *req, int64_t order_id, const char *who,
                         const char **status, const char **message);
extern const struct hall_stmt hall_identity_stmts[];
/* the check's state after a step on the phone (core/flow/phone.c): status,
 * the reason shown on the PC page (NULL none), tries added to its count;
 * HALL_ERR on database failure */
int hall_identity_set(struct hall_ctx *cx, int64_t id, const char *status, const char *message,
                      int tries);

#endif
