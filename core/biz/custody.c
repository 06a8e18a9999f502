/*
 * Key custody (docs/internals/pki.md, "Key custody"): the hall makes the key
 * pair and hands it over as a PIN-protected PKCS#12, then keeps no copy.
 * certificates.p12_enc is the only place a private key lives; it is
 * destroyed at the first download (core/flow/own.c) and otherwise
 * medium_keep_days after 已签收 (hall-outbox's CA tick), each time in one
 * transaction with its audit row.  A PIN is not kept either: its SMS's
 * payload is emptied in the outbox once sent (at the destruction, and by
 * the tick for every PIN SMS delivered), and so is the micro-deposit's whose
 * memo carried it (at the destruction).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "biz/biz.h"

const struct hall_stmt hall_custody_stmts[] = {
    /* the copies due: 已签收 more than $1 days ago, or a certificate no
     * longer issued; rows another worker holds are its own */
    {"custody_due",
     "SELECT c.serial, CASE WHEN c.state IN ('revoked', 'void') THEN 'revoked'"
     " ELSE 'delivered' END AS why FROM certificates c JOIN orders o ON o.id = c.order_id"
     " WHERE c.p12_enc IS NOT NULL AND (c.state IN ('revoked', 'void')"
     " OR o.delivery_received_at < now() - make_interval(days => $1::int))"
     " ORDER BY c.serial LIMIT 100 FOR UPDATE OF c SKIP LOCKED",
     1},
    {NULL, NULL, 0},
};

int
hall_custody_destroy(struct hall_ctx *cx, const char *serial, const char *why, const char *actor)
{
    struct hall_dbres *res;
    struct hall_val *d;

    res = hall_cert_medium_destroy(cx, serial, why);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_CONFLICT;
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "why", why);
    if (hall_outbox_pins_scrub(cx, serial) != HALL_OK ||
        hall_audit(cx, actor, "certificate", serial, "medium destroy", "held", "destroyed", d) !=
            HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_custody_sweep(struct hall_ctx *cx, long keep_days)
{
    struct hall_dbres *res;
    int i, n, done = 0;

    if (hall_db_begin(cx) != HALL_OK)
        return -1;
    res = hall_db_exec(cx, "custody_due", HALL_I64(keep_days));
    if (res == NULL)
        goto fail;
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        const char *serial = hall_dbres_str(res, i, "serial");
        int rc = hall_custody_destroy(cx, serial, hall_dbres_str(res, i, "why"), "pki:custody");

        if (rc == HALL_ERR)
            goto fail;
        done += rc == HALL_OK;
    }
    if (hall_outbox_pins_scrub(cx, NULL) != HALL_OK || hall_db_commit(cx) != HALL_OK)
        goto fail;
    if (done > 0)
        hall_info(cx, "msg=\"media destroyed\" count=%d keep_days=%ld", done, keep_days);
    return done;
fail:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return -1;
}

/* ---- a 机构个人章 holder's download code ------------------------------------ */

/* no 0/O, 1/I: read off a phone and typed in */
static const char code_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

void
hall_holder_code_make(char out[HALL_HOLDER_CODE_LEN + 1])
{
    int i;

    for (i = 0; i < HALL_HOLDER_CODE_LEN; i++)
        out[i] = code_alphabet[hall_rand_below(sizeof(code_alphabet) - 1)];
    out[HALL_HOLDER_CODE_LEN] = '\0';
}

int
hall_holder_code_mac(const char *serial, const char *code, unsigned char out[32])
{
    char msg[64];
    size_t i, n = strlen(code);

    if (strlen(serial) != 16 || n != HALL_HOLDER_CODE_LEN)
        return HALL_ERR;
    memcpy(msg, serial, 16);
    msg[16] = ':';
    /* typed in lower case too */
    for (i = 0; i < n; i++)
        msg[17 + i] = (char)toupper((unsigned char)code[i]);
    hall_mac("seal-holder-medium", msg, 17 + n, out);
    return HALL_OK;
}
