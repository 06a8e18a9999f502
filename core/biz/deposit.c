/*
 * The micro-deposit's attempts (金融认证): this file owns finauth_attempts
 * (docs/architecture.md, "Who owns each table").  The attempt is queued by
 * core/flow/finauth_deposit.c (the code drawn, the job to the bank), its
 * code typed by the applicant (modules/finauth), unlocked by finance
 * (modules/admin), answered by the bank (hall-outbox), and the PIN it
 * carried destroyed with the medium made (core/biz/produce.c): each a call
 * here, inside the caller's transaction.
 */
#include "biz/biz.h"

const struct hall_stmt hall_deposit_stmts[] = {
    {"finauth_insert",
     "INSERT INTO finauth_attempts (order_id, memo_kind, code_hash, pin_enc)"
     " VALUES ($1, $2, $3, $4) RETURNING id",
     4},
    {"finauth_wrong",
     "UPDATE finauth_attempts SET tries = tries + 1,"
     " result = CASE WHEN tries + 1 >= $2 THEN 'locked' ELSE result END"
     " WHERE id = $1 RETURNING tries, result",
     2},
    {"finauth_verified",
     "UPDATE finauth_attempts SET result = 'verified', verified_at = now() WHERE id = $1", 1},
    {"finauth_unlock",
     "UPDATE finauth_attempts SET result = 'sent', tries = 0 WHERE id = $1 AND result = 'locked'"
     " RETURNING id",
     1},
    {"finauth_result",
     "UPDATE finauth_attempts SET result = $2, bank_ref = $3, fail_reason = $4,"
     " transferred_at = CASE WHEN $2 = 'sent' THEN now() END WHERE id = $1",
     4},
    {"pki_memo_pin_destroy",
     "UPDATE finauth_attempts SET pin_enc = NULL WHERE order_id = $1 AND pin_enc IS NOT NULL", 1},
    {NULL, NULL, 0},
};

int64_t
hall_finauth_insert(struct hall_ctx *cx, int64_t order_id, int pin, const unsigned char mac[32],
                    const unsigned char *pin_enc, size_t pin_len)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "finauth_insert", HALL_I64(order_id), HALL_STR(pin ? "pin" : "code"),
                     HALL_BIN(mac, 32), pin_enc != NULL ? HALL_BIN(pin_enc, pin_len) : HALL_NULLP);

    if (res == NULL)
        return -1;
    return hall_dbres_int(res, 0, "id");
}

int
hall_finauth_pin_destroy(struct hall_ctx *cx, int64_t order_id)
{
    return hall_db_exec(cx, "pki_memo_pin_destroy", HALL_I64(order_id)) != NULL ? HALL_OK
                                                                                : HALL_ERR;
}

int
hall_finauth_wrong(struct hall_ctx *cx, int64_t attempt_id, long max, long *tries)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "finauth_wrong", HALL_I64(attempt_id), HALL_I64((int64_t)max));

    if (res == NULL)
        return HALL_ERR;
    *tries = (long)hall_dbres_int(res, 0, "tries");
    return HALL_OK;
}

int
hall_finauth_verified(struct hall_ctx *cx, int64_t attempt_id)
{
    return hall_db_exec(cx, "finauth_verified", HALL_I64(attempt_id)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_finauth_unlock(struct hall_ctx *cx, int64_t attempt_id)
{
    return hall_db_exec(cx, "finauth_unlock", HALL_I64(attempt_id)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_finauth_result(struct hall_ctx *cx, int64_t attempt_id, int sent, const char *bank_ref,
                    const char *fail_reason)
{
    return hall_db_exec(cx, "finauth_result", HALL_I64(attempt_id),
                        HALL_STR(sent ? "sent" : "failed"),
                        bank_ref != NULL ? HALL_STR(bank_ref) : HALL_NULLP,
                        fail_reason != NULL ? HALL_STR(fail_reason) : HALL_NULLP) != NULL
               ? HALL_OK
               : HALL_ERR;
}
