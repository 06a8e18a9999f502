/*
 * Financial authentication (金融认证): queuing the micro-deposit.
 *
 * The code is drawn here, when the attempt is queued, and not by the outbox
 * worker when it calls the bank: a worker that dies after the bank acted
 * retries with the same idempotency key and gets the bank's first answer,
 * so the memo the bank sent must be the one whose MAC we stored.  The clear
 * code exists only inside the encrypted outbox payload; the database keeps
 * a MAC keyed with the installation's secret (six digits are too few for a
 * plain hash).  Used by modules/pay (after an online payment) and
 * modules/finauth (a retry with corrected account data);
 * modules/outbox/outbox.c delivers the job.
 */
#include <stdio.h>
#include <string.h>

#include "hall.h"

const struct hall_stmt hall_finauth_stmts[] = {
    {"finauth_product",
     "SELECT p.pin_by_memo FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = $1",
     1},
    {"finauth_insert",
     "INSERT INTO finauth_attempts (order_id, memo_kind, code_hash, pin_enc)"
     " VALUES ($1, $2, $3, $4) RETURNING id",
     4},
    {NULL, NULL, 0},
};

void
hall_finauth_code_mac(int64_t order_id, const char *code, unsigned char out[32])
{
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "%lld:%s", (long long)order_id, code);

    hall_mac("finauth-code", msg, (size_t)n, out);
}

const char *
hall_finauth_code_name(int pin)
{
    return pin ? "证书PIN码" : "随机验证码";
}

int
hall_finauth_queue(struct hall_req *req, int64_t order_id)
{
    struct hall_dbres *res;
    struct hall_val *payload;
    unsigned char mac[32];
    char code[7];
    int pin;
    int64_t attempt;
    unsigned char *pin_enc = NULL;
    size_t pin_len = 0;

    res = hall_db_exec(req, "finauth_product", HALL_I64(order_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    pin = hall_dbres_bool(res, 0, "pin_by_memo");
    snprintf(code, sizeof(code), "%06u", hall_rand_below(1000000));
    hall_finauth_code_mac(order_id, code, mac);
    /* a PIN is needed again to make the medium (core/pki.c): kept encrypted
     * until then, and destroyed when the medium is made */
    if (pin)
        pin_enc = hall_pii_encrypt(req->pool, code, strlen(code), &pin_len);
    res = hall_db_exec(req, "finauth_insert", HALL_I64(order_id), HALL_STR(pin ? "pin" : "code"),
                       HALL_BIN(mac, sizeof(mac)), pin ? HALL_BIN(pin_enc, pin_len) : HALL_NULLP);
    if (res == NULL)
        return HALL_ERR;
    attempt = hall_dbres_int(res, 0, "id");
    payload = hall_val_obj(req->pool);
    hall_val_set_int(req->pool, payload, "order_id", order_id);
    hall_val_set_int(req->pool, payload, "attempt_id", attempt);
    /* the memo wording of the seeds' bank receipts */
    hall_val_set_fmt(req->pool, payload, "memo", pin ? "数字证书PIN码: %s" : "办理数字证书编码: %s",
                     code);
    if (hall_outbox_push(req, "bank_transfer",
                         hall_psprintf(req->pool, "finauth-%lld", (long long)attempt),
                         payload) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}
