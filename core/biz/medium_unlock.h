/*
 * core/biz/medium_unlock.c: 证书解锁 of a USB key by the 证书助手 (sql/152,
 * docs/modules/assist.md), included by biz.h.
 */
#ifndef HALL_BIZ_MEDIUM_UNLOCK_H
#define HALL_BIZ_MEDIUM_UNLOCK_H

extern const struct hall_stmt hall_assist_stmts[];
#define HALL_ASSIST_CODE_LEN 16
enum hall_assist_result {
    HALL_ASSIST_OK,
    HALL_ASSIST_NO_TICKET,    /* no code taken for this medium */
    HALL_ASSIST_WRONG_CODE,   /* counted; tries_left says how many remain */
    HALL_ASSIST_VOID,         /* this code locked by too many wrong tries */
    HALL_ASSIST_USED,         /* the ticket is done (rotated) */
    HALL_ASSIST_EXPIRED,      /* the code is older than its validity */
    HALL_ASSIST_CERT_GONE,    /* the certificate ended or the order moved */
    HALL_ASSIST_NOT_RELEASED, /* rotated before any release */
    HALL_ASSIST_DB_ERROR,
};
struct hall_assist_pins {
    int64_t order_id;
    int tries_left;
    char cert_serial[65];
    char *so_pin;        /* in cx's pool: the caller cleanses it */
    char new_so_pin[17]; /* likewise */
};
/* the code's SHA-256 in hex, the code as typed (case, '-' and blanks
 * ignored); HALL_ERR when it is not a code's form */
int hall_assist_code_hash(const char *code, char hex[65]);
void hall_assist_code_new(char out[HALL_ASSIST_CODE_LEN + 4]);
/* inside the caller's transaction: the order's ticket with this code's
 * hash, open again (a new code while it is not rotated nor cancelled;
 * another order's stale ticket of the medium retired); HALL_CONFLICT when
 * it is done */
int hall_assist_ticket_code(struct hall_ctx *cx, int64_t order_id, const char *cert_serial,
                            const char *medium, const char *code_hash);
/* its own transaction: the SO PIN in force and the new one, the same two
 * again while the tool has not confirmed (the code valid); the order stays
 * 成功受理; audited (never a PIN).  A wrong code is counted */
enum hall_assist_result hall_assist_release(struct hall_ctx *cx, const char *medium,
                                            const char *code, const char *actor,
                                            struct hall_assist_pins *out);
/* its own transaction: the tool set the new SO PIN; the code spent, the
 * order 成功受理 -> 已签收; idempotent */
enum hall_assist_result hall_assist_rotated(struct hall_ctx *cx, const char *medium,
                                            const char *code, const char *actor);
/* its own transaction: the holder's order 成功受理 -> 已取消 and its ticket
 * cancelled; HALL_ASSIST_CERT_GONE when the order is no longer 成功受理 */
enum hall_assist_result hall_assist_cancel(struct hall_ctx *cx, int64_t order_id,
                                           const char *actor);
/* its own transaction: staff void the order's code (the holder takes a new
 * one); HALL_CONFLICT when the ticket is done or has none */
int hall_assist_staff_reset(struct hall_ctx *cx, int64_t order_id, const char *actor);

/* the 证书助手's 在线更新 (core/biz/medium_renew.c) */
#include "biz/medium_renew.h"

#endif
