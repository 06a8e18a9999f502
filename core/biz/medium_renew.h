/*
 * core/biz/medium_renew.c: 在线更新 and 在线变更 of a USB key's certificate
 * by the 证书助手 (sql/157, docs/modules/assist.md), included by biz.h.
 * verb: "renew" (a 证书更新 order) or "change" (a 证书变更 order); a code
 * is good only for its order's verb.
 */
#ifndef HALL_BIZ_MEDIUM_RENEW_H
#define HALL_BIZ_MEDIUM_RENEW_H

extern const struct hall_stmt hall_renew_assist_stmts[];
/* what the old key signs besides the request: "hall-assist ", the verb, a
 * newline, the medium serial, a newline, then the request's DER (SHA-256,
 * ECDSA) */
#define HALL_RENEW_PROOF_PREFIX  "hall-assist renew\n"
#define HALL_CHANGE_PROOF_PREFIX "hall-assist change\n"
enum hall_renew_result {
    HALL_RENEW_OK,
    HALL_RENEW_NO_TICKET,  /* no code taken for this medium */
    HALL_RENEW_WRONG_CODE, /* counted; tries_left says how many remain */
    HALL_RENEW_VOID,       /* too many wrong codes */
    HALL_RENEW_USED,       /* the new certificate was issued for it already */
    HALL_RENEW_CERT_GONE,  /* the old certificate revoked (or, 变更, ended), or the order moved */
    HALL_RENEW_BUSY,       /* the order's certificate is being made (parallel) */
    HALL_RENEW_BAD_CSR,    /* *why: the request is not the new key's (400 csr) */
    HALL_RENEW_BAD_PROOF,  /* the old key did not sign it (400 proof) */
    HALL_RENEW_SAME_KEY,   /* the request is for the old key (400 csr) */
    HALL_RENEW_KEY_TAKEN,  /* the request's key is certified already (sql/192) */
    HALL_RENEW_NOT_ISSUED, /* written / failed before any issue */
    HALL_RENEW_OTHER_SERIAL, /* written: the medium's is not the new serial */
    HALL_RENEW_DB_ERROR,
};
struct hall_renew_out {
    int64_t order_id;
    int tries_left;
    char cert_serial[65]; /* the old certificate */
    char new_serial[65];
    const char *why;   /* HALL_RENEW_BAD_CSR's reason (pool) */
    const char *chain; /* the new certificate, its CA, its root: PEM (pool) */
    int seals_remade;  /* the old certificate's seals made again on it */
};
/* inside the caller's transaction: the order's ticket with this code's
 * hash (a new one while it is open); HALL_CONFLICT when it is not open */
int hall_renew_ticket_code(struct hall_ctx *cx, int64_t order_id, const char *cert_serial,
                           const char *medium, const char *code_hash);
/* outside a transaction: the code checked (a wrong one counted), the old
 * key's proof checked against the ticket's certificate, the request's
 * (proof of possession of the new key), then the write-intent of
 * core/biz/produce.c: intent, sign, store (key_origin 'medium', the same
 * medium serial); the ticket issued.  The order stays accepted until the
 * tool says the certificate is on the medium */
enum hall_renew_result hall_renew_issue(struct hall_ctx *cx, const char *verb, const char *medium,
                                        const char *code, const unsigned char *csr, size_t csr_len,
                                        const unsigned char *proof, size_t proof_len,
                                        const char *actor, struct hall_renew_out *out);
/* its own transaction: the new certificate is on the medium; the order
 * accepted -> issued -> delivered (变更: the old certificate revoked as
 * superseded, in this transaction, and only now); idempotent (said again, or by two posts
 * at once, the same answer and one confirmation).  serial, when not NULL
 * or empty, is the certificate the tool found on the medium (hex, leading
 * zeros and case aside): another than the ticket's new one is refused */
enum hall_renew_result hall_renew_written(struct hall_ctx *cx, const char *verb, const char *medium,
                                          const char *code, const char *serial, const char *actor,
                                          struct hall_renew_out *out);
/* its own transaction: the tool could not write it (its new key deleted):
 * the new certificate revoked (cessationOfOperation), the ticket open for
 * a new code */
enum hall_renew_result hall_renew_failed(struct hall_ctx *cx, const char *verb, const char *medium,
                                         const char *code, const char *actor,
                                         struct hall_renew_out *out);

#endif
