/*
 * Media left half-made (docs/internals/pki.md, "A medium left
 * initialising"; issue 64 §1).  A producer killed between the medium's
 * intent and the store (the key born on the medium, the certificate maybe
 * signed and even written) leaves its media row 'initialising' for ever.
 * The proof of possession is recorded only in the store's transaction
 * (media.csr_sha256, certificates.pop_checked_at), so the hall never saw
 * the key of such a medium proven: nothing is issued for it.  Each one
 * older than min_age_s is wiped with its SO PIN (C_InitToken again), its
 * order's certificate intents voided (listed revoked: a certificate may
 * have been signed for them), the row 'wiped' ('spoilt' when the medium is
 * not in the station or cannot be wiped), audited (medium, reconcile); the
 * order stays 成功受理 for a new medium.  One row at a time under FOR UPDATE
 * SKIP LOCKED: parallel reconcilers each take other rows, never the same.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "biz/biz.h"

/* its statements are hall_produce_stmts' (media_stale...) */

/* one stale medium reconciled in the transaction that locked it: 1 done,
 * 0 none left, -1 failed */
static int
one(struct hall_ctx *cx, long min_age_s, const char *actor, char cas[][32], int *ncas)
{
    struct hall_dbres *res, *v;
    struct hall_val *d;
    const char *serial, *state, *why, *so_pin = NULL;
    unsigned char *enc;
    size_t len;
    char err[400];
    int i, k;

    if (hall_db_begin(cx) != HALL_OK)
        return -1;
    res = hall_db_exec(cx, "media_stale", HALL_I64(min_age_s));
    if (res == NULL)
        return -1;
    if (hall_dbres_rows(res) == 0)
        return hall_db_commit(cx) == HALL_OK ? 0 : -1;
    serial = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "serial"));
    enc = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "so_pin_enc"), &len);
    if (enc != NULL)
        so_pin = hall_pii_decrypt(cx->pool, enc, len);
    if (so_pin == NULL) {
        state = "spoilt";
        why = "reconciled: its SO PIN unreadable, not wiped";
    } else if (hall_medium_wipe(cx->conf, serial, so_pin, err, sizeof(err)) == HALL_OK) {
        state = "wiped";
        why = "reconciled: left initialising by a production that did not finish";
    } else {
        state = "spoilt";
        why = hall_psprintf(cx->pool, "reconciled: left initialising; not wiped: %s", err);
    }
    if (so_pin != NULL)
        OPENSSL_cleanse((char *)so_pin, strlen(so_pin));
    v = hall_db_exec(cx, "media_stale_intents", HALL_I64(hall_dbres_int(res, 0, "order_id")));
    if (v == NULL || hall_db_exec(cx, "media_stale_end", HALL_STR(serial), HALL_STR(state),
                                  HALL_STR(why)) == NULL)
        return -1;
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "why", why);
    hall_val_set_str(cx->pool, d, "order_id", hall_dbres_str(res, 0, "order_id"));
    for (i = 0; i < hall_dbres_rows(v); i++) {
        const char *ca = hall_dbres_str(v, i, "ca");

        if (hall_cert_void(cx, hall_dbres_str(v, i, "serial"), actor) != HALL_OK ||
            hall_audit(cx, actor, "certificate", hall_dbres_str(v, i, "serial"), "void", "intent",
                       "void", d) != HALL_OK)
            return -1;
        for (k = 0; k < *ncas && strcmp(cas[k], ca) != 0; k++)
            ;
        if (k == *ncas && k < 4)
            snprintf(cas[(*ncas)++], 32, "%s", ca);
    }
    if (hall_audit(cx, actor, "medium", serial, "reconcile", "initialising", state, d) != HALL_OK ||
        hall_db_commit(cx) != HALL_OK)
        return -1;
    hall_warn(cx, "msg=\"medium reconciled\" medium=%s order=%s state=%s voided=%d", serial,
              hall_dbres_str(res, 0, "order_id"), state, hall_dbres_rows(v));
    return 1;
}

int
hall_media_reconcile(struct hall_ctx *cx, long min_age_s, const char *actor)
{
    char cas[4][32];
    int n = 0, ncas = 0, rc, k;

    if (!hall_medium_station(cx->conf))
        return 0;
    while ((rc = one(cx, min_age_s, actor, cas, &ncas)) == 1)
        n++;
    if (cx->in_tx)
        hall_db_rollback(cx);
    /* the voided serials listed revoked now */
    for (k = 0; k < ncas; k++)
        if (hall_pki_crl_refresh(cx, cas[k], 1) != HALL_OK)
            hall_warn(cx, "msg=\"crl refresh after media reconcile failed\" ca=%s", cas[k]);
    return rc < 0 ? -1 : n;
}
