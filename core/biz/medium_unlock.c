/*
 * 证书解锁 of a USB key online, by the 证书助手 (hall-assist unlock;
 * docs/modules/assist.md, sql/152_unlock_tickets.sql; issue 64 §3).  The key
 * stays on the medium: the holder, proven again by 证书解锁's order (the
 * SMS code to the certificate's phone, the identity check, the review),
 * takes a one-time code for the medium; the tool sends the medium serial
 * and the code and receives the medium's SO PIN, with a new SO PIN to set
 * in the same session; it confirms the new one afterwards (rotated).  Two
 * phases: only the confirmation spends the code and moves the order 成功受理
 * -> 已签收.  Until then the same code releases the same two PINs again
 * (the answer lost, the medium refusing), within CODE_TTL of its taking;
 * the holder may take a new code (the ticket open again, its new SO PIN
 * kept: the medium may hold it already) or cancel.  Five wrong codes lock
 * that code, not the ticket.  The SO PIN is decrypted into the request's
 * memory only, cleansed by the caller, and never logged or audited.
 *
 * unlock_tickets is this file's (docs/architecture.md, "Who owns each
 * table"); media is production's: the SO PIN in force is the last rotated
 * ticket's new one, else the one production kept.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "biz/biz.h"

#define WRONG_MAX 5
/* how long a code lasts from when the holder took it: a release may be
 * asked again with it until then (the answer lost), not after */
#define CODE_TTL "interval '2 hours'"

const struct hall_stmt hall_assist_stmts[] = {
    /* tickets of the medium left by orders no longer 成功受理 (cancelled,
     * refunded, revoked away) give way to the order asking a code now */
    {"assist_retire",
     "UPDATE unlock_tickets t SET state = 'cancelled' FROM orders o WHERE o.id = t.order_id"
     " AND t.medium_serial = $2 AND t.order_id <> $1 AND t.state IN ('open', 'released', 'void')"
     " AND o.status <> 'accepted'",
     2},
    /* a new code for the order's ticket until it is rotated: the old code
     * (locked, expired, or in use) replaced, its tries forgotten, the
     * ticket open again (a new SO PIN kept from a release stays with it) */
    {"assist_code",
     "INSERT INTO unlock_tickets (order_id, cert_serial, medium_serial, code_hash, code_at)"
     " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (order_id) DO UPDATE SET code_hash ="
     " EXCLUDED.code_hash, code_at = now(), wrong_tries = 0, state = 'open'"
     " WHERE unlock_tickets.state IN ('open', 'released', 'void') RETURNING state",
     4},
    /* the medium's ticket with a code, the live one first, locked; the SO
     * PIN in force; the new SO PIN it must hand out: the one a release of
     * this medium gave since the last confirmed rotation (the medium may
     * hold it already), else none yet */
    {"assist_lock",
     "SELECT t.order_id, t.cert_serial, t.code_hash, t.state, t.wrong_tries, o.status,"
     " c.state = 'issued' AND c.not_after > now() AS live,"
     " t.code_at + " CODE_TTL " < now() AS expired,"
     " coalesce((SELECT r.new_so_pin_enc FROM unlock_tickets r WHERE r.medium_serial ="
     " t.medium_serial AND r.state = 'rotated' ORDER BY r.rotated_at DESC LIMIT 1),"
     " m.so_pin_enc) AS so_pin_enc,"
     " (SELECT r.new_so_pin_enc FROM unlock_tickets r WHERE r.medium_serial = t.medium_serial"
     "  AND r.state <> 'rotated' AND r.new_so_pin_enc IS NOT NULL AND r.released_at >"
     "  coalesce((SELECT max(x.rotated_at) FROM unlock_tickets x WHERE x.medium_serial ="
     "  t.medium_serial AND x.state = 'rotated'), '-infinity')"
     "  ORDER BY r.released_at DESC LIMIT 1) AS pending_so_pin_enc"
     " FROM unlock_tickets t JOIN orders o ON o.id = t.order_id"
     " JOIN certificates c ON c.serial = t.cert_serial JOIN media m ON m.serial = t.medium_serial"
     " WHERE t.medium_serial = $1 AND t.code_hash IS NOT NULL AND t.state <> 'cancelled'"
     " ORDER BY t.state IN ('open', 'released', 'void') DESC, t.created_at DESC LIMIT 1"
     " FOR UPDATE OF t",
     1},
    {"assist_wrong",
     "UPDATE unlock_tickets SET wrong_tries = wrong_tries + 1, state = CASE WHEN"
     " wrong_tries + 1 >= $2 THEN 'void' ELSE state END WHERE order_id = $1"
     " RETURNING state, wrong_tries",
     2},
    /* released (again): the order stays 成功受理 until the tool confirms */
    {"assist_release",
     "UPDATE unlock_tickets SET state = 'released', released_at = now(), new_so_pin_enc = $2"
     " WHERE order_id = $1 AND state IN ('open', 'released') RETURNING order_id",
     2},
    {"assist_rotate",
     "UPDATE unlock_tickets SET state = 'rotated', rotated_at = now()"
     " WHERE order_id = $1 AND (state = 'released' OR (state = 'void' AND released_at IS NOT NULL))"
     " RETURNING order_id",
     1},
    /* the holder's 取消: the order's ticket, not yet rotated */
    {"assist_cancel",
     "UPDATE unlock_tickets SET state = 'cancelled' WHERE order_id = $1"
     " AND state IN ('open', 'released', 'void') RETURNING order_id",
     1},
    /* staff's 作废解锁码: the code no longer opens anything; the holder
     * takes a new one on the order's page */
    {"assist_staff_reset",
     "UPDATE unlock_tickets SET state = 'open', code_hash = NULL, wrong_tries = 0"
     " WHERE order_id = $1 AND state IN ('open', 'released', 'void') RETURNING order_id",
     1},
    {NULL, NULL, 0},
};

/* the code as the holder may type it: letters upper-cased, '-' and blanks
 * dropped; its SHA-256 in hex; HALL_ERR for a code of the wrong form */
int
hall_assist_code_hash(const char *code, char hex[65])
{
    char norm[HALL_ASSIST_CODE_LEN + 1];
    unsigned char h[32];
    size_t n = 0;
    int i;

    for (; *code != '\0'; code++) {
        if (*code == '-' || *code == ' ')
            continue;
        if (!isalnum((unsigned char)*code) || n >= HALL_ASSIST_CODE_LEN)
            return HALL_ERR;
        norm[n++] = (char)toupper((unsigned char)*code);
    }
    if (n != HALL_ASSIST_CODE_LEN)
        return HALL_ERR;
    hall_sha256(norm, n, h);
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    OPENSSL_cleanse(norm, sizeof(norm));
    return HALL_OK;
}

/* a fresh code: 16 characters of an alphabet without 0/O, 1/I, in groups
 * of four ("ABCD-EFGH-JKLM-NPQR") */
void
hall_assist_code_new(char out[HALL_ASSIST_CODE_LEN + 4])
{
    static const char abc[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    size_t i, o = 0;

    for (i = 0; i < HALL_ASSIST_CODE_LEN; i++) {
        if (i > 0 && i % 4 == 0)
            out[o++] = '-';
        out[o++] = abc[hall_rand_below(sizeof(abc) - 1)];
    }
    out[o] = '\0';
}

int
hall_assist_ticket_code(struct hall_ctx *cx, int64_t order_id, const char *cert_serial,
                        const char *medium, const char *code_hash)
{
    struct hall_dbres *r = hall_db_exec(cx, "assist_retire", HALL_I64(order_id), HALL_STR(medium));

    if (r == NULL)
        return HALL_ERR;
    r = hall_db_exec(cx, "assist_code", HALL_I64(order_id), HALL_STR(cert_serial), HALL_STR(medium),
                     HALL_STR(code_hash));
    if (r == NULL)
        return HALL_ERR;
    return hall_dbres_rows(r) == 1 ? HALL_OK : HALL_CONFLICT;
}

/* the ticket of medium for code, locked, in the caller's transaction: OK
 * when the code is the ticket's (whatever its state: the caller judges);
 * a wrong code counted (and committed by the caller) while the ticket may
 * still release, a locked one (void) counts nothing more */
static enum hall_assist_result
ticket_check(struct hall_ctx *cx, const char *medium, const char *code, struct hall_dbres **out,
             int *tries_left)
{
    char hex[65];
    struct hall_dbres *t = hall_db_exec(cx, "assist_lock", HALL_STR(medium)), *w;
    const char *state;

    if (t == NULL)
        return HALL_ASSIST_DB_ERROR;
    if (hall_dbres_rows(t) == 0)
        return HALL_ASSIST_NO_TICKET;
    *out = t;
    state = hall_dbres_str(t, 0, "state");
    if (hall_assist_code_hash(code, hex) == HALL_OK &&
        hall_ct_equal(hex, hall_dbres_str(t, 0, "code_hash"), 64))
        return HALL_ASSIST_OK;
    if (strcmp(state, "void") == 0)
        return HALL_ASSIST_VOID;
    /* a used ticket's code is not this one: none to try */
    if (strcmp(state, "open") != 0 && strcmp(state, "released") != 0)
        return HALL_ASSIST_NO_TICKET;
    w = hall_db_exec(cx, "assist_wrong", HALL_I64(hall_dbres_int(t, 0, "order_id")),
                     HALL_I64(WRONG_MAX));
    if (w == NULL)
        return HALL_ASSIST_DB_ERROR;
    *tries_left = WRONG_MAX - (int)hall_dbres_int(w, 0, "wrong_tries");
    return *tries_left <= 0 ? HALL_ASSIST_VOID : HALL_ASSIST_WRONG_CODE;
}

/* the PIN of column col of t decrypted into cx's pool, NULL when absent */
static char *
pin_of(struct hall_ctx *cx, struct hall_dbres *t, const char *col)
{
    size_t len;
    unsigned char *enc = hall_dbres_bytea(cx, t, 0, hall_dbres_col(t, col), &len);

    return enc != NULL ? hall_pii_decrypt(cx->pool, enc, len) : NULL;
}

enum hall_assist_result
hall_assist_release(struct hall_ctx *cx, const char *medium, const char *code, const char *actor,
                    struct hall_assist_pins *out)
{
    struct hall_dbres *t = NULL;
    enum hall_assist_result r;
    unsigned char *enc;
    size_t len;
    int64_t order;
    struct hall_val *d;
    const char *state, *pending;

    memset(out, 0, sizeof(*out));
    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ASSIST_DB_ERROR;
    r = ticket_check(cx, medium, code, &t, &out->tries_left);
    if (r == HALL_ASSIST_WRONG_CODE || r == HALL_ASSIST_VOID) {
        /* the wrong try counts */
        if (hall_db_commit(cx) != HALL_OK)
            return HALL_ASSIST_DB_ERROR;
        return r;
    }
    if (r != HALL_ASSIST_OK) {
        hall_db_rollback(cx);
        return r;
    }
    order = hall_dbres_int(t, 0, "order_id");
    snprintf(out->cert_serial, sizeof(out->cert_serial), "%s", hall_dbres_str(t, 0, "cert_serial"));
    out->order_id = order;
    state = hall_dbres_str(t, 0, "state");
    r = strcmp(state, "void") == 0                                     ? HALL_ASSIST_VOID
        : strcmp(state, "open") != 0 && strcmp(state, "released") != 0 ? HALL_ASSIST_USED
        : hall_dbres_bool(t, 0, "expired")                             ? HALL_ASSIST_EXPIRED
        : !hall_dbres_bool(t, 0, "live") || strcmp(hall_dbres_str(t, 0, "status"), "accepted") != 0
            ? HALL_ASSIST_CERT_GONE
            : HALL_ASSIST_OK;
    if (r != HALL_ASSIST_OK) {
        hall_db_rollback(cx);
        return r;
    }
    out->so_pin = pin_of(cx, t, "so_pin_enc");
    if (out->so_pin == NULL) {
        hall_db_rollback(cx);
        return HALL_ASSIST_DB_ERROR;
    }
    /* the new SO PIN a release since the last rotation gave (this one's,
     * released before, or a cancelled one's): the medium may hold it */
    pending = pin_of(cx, t, "pending_so_pin_enc");
    if (pending != NULL) {
        snprintf(out->new_so_pin, sizeof(out->new_so_pin), "%s", pending);
        OPENSSL_cleanse((void *)pending, strlen(pending));
    } else {
        snprintf(out->new_so_pin, sizeof(out->new_so_pin), "%08u%08u", hall_rand_below(100000000),
                 hall_rand_below(100000000));
    }
    enc = hall_pii_encrypt(cx->pool, out->new_so_pin, strlen(out->new_so_pin), &len);
    if (enc == NULL)
        goto fail;
    t = hall_db_exec(cx, "assist_release", HALL_I64(order), HALL_BIN(enc, len));
    if (t == NULL || hall_dbres_rows(t) != 1)
        goto fail;
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "certificate", out->cert_serial);
    hall_val_set_int(cx->pool, d, "order", order);
    hall_val_set_bool(cx->pool, d, "again", strcmp(state, "released") == 0);
    if (hall_audit(cx, actor, "medium", medium, "unlock_release", state, "released", d) != HALL_OK)
        goto fail;
    if (hall_db_commit(cx) != HALL_OK)
        goto fail_committed;
    return HALL_ASSIST_OK;
fail:
    hall_db_rollback(cx);
fail_committed:
    OPENSSL_cleanse(out->so_pin, strlen(out->so_pin));
    OPENSSL_cleanse(out->new_so_pin, sizeof(out->new_so_pin));
    out->so_pin = NULL;
    return HALL_ASSIST_DB_ERROR;
}

enum hall_assist_result
hall_assist_rotated(struct hall_ctx *cx, const char *medium, const char *code, const char *actor)
{
    struct hall_dbres *t = NULL, *u;
    enum hall_assist_result r;
    int left = 0;
    int64_t order;
    const char *state;
    struct hall_val *d;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ASSIST_DB_ERROR;
    r = ticket_check(cx, medium, code, &t, &left);
    if (r == HALL_ASSIST_WRONG_CODE || r == HALL_ASSIST_VOID)
        return hall_db_commit(cx) == HALL_OK ? r : HALL_ASSIST_DB_ERROR;
    if (r != HALL_ASSIST_OK) {
        hall_db_rollback(cx);
        return r;
    }
    state = hall_dbres_str(t, 0, "state");
    order = hall_dbres_int(t, 0, "order_id");
    if (strcmp(state, "rotated") == 0) {
        /* said twice: the same answer */
        hall_db_rollback(cx);
        return HALL_ASSIST_OK;
    }
    /* a code locked after its release still confirms what the medium did */
    u = hall_db_exec(cx, "assist_rotate", HALL_I64(order));
    if (u == NULL) {
        hall_db_rollback(cx);
        return HALL_ASSIST_DB_ERROR;
    }
    if (hall_dbres_rows(u) != 1) {
        hall_db_rollback(cx);
        return HALL_ASSIST_NOT_RELEASED;
    }
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "medium", medium);
    hall_val_set_str(cx->pool, d, "certificate", hall_dbres_str(t, 0, "cert_serial"));
    hall_val_set_str(cx->pool, d, "via", "assist_unlock");
    /* the new PIN in force: the order done (已签收), the code spent; an
     * order cancelled meanwhile stays so, the medium's SO PIN recorded */
    if (strcmp(hall_dbres_str(t, 0, "status"), "accepted") == 0 &&
        hall_order_move(cx, order, "accepted", "delivered", actor, d) != HALL_OK)
        goto fail;
    hall_val_set_int(cx->pool, d, "order", order);
    if (hall_audit(cx, actor, "medium", medium, "so_pin_rotate", state, "rotated", d) != HALL_OK)
        goto fail;
    return hall_db_commit(cx) == HALL_OK ? HALL_ASSIST_OK : HALL_ASSIST_DB_ERROR;
fail:
    hall_db_rollback(cx);
    return HALL_ASSIST_DB_ERROR;
}

enum hall_assist_result
hall_assist_cancel(struct hall_ctx *cx, int64_t order_id, const char *actor)
{
    struct hall_dbres *t;
    struct hall_val *d = hall_val_obj(cx->pool);
    int rc;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ASSIST_DB_ERROR;
    hall_val_set_str(cx->pool, d, "via", "assist_unlock");
    /* the order first: its row decides between a cancel and a confirmation
     * running at once (hall_order_move moves it only from 成功受理) */
    rc = hall_order_move(cx, order_id, "accepted", "cancelled", actor, d);
    if (rc != HALL_OK) {
        hall_db_rollback(cx);
        return rc == HALL_CONFLICT ? HALL_ASSIST_CERT_GONE : HALL_ASSIST_DB_ERROR;
    }
    t = hall_db_exec(cx, "assist_cancel", HALL_I64(order_id));
    if (t == NULL) {
        hall_db_rollback(cx);
        return HALL_ASSIST_DB_ERROR;
    }
    return hall_db_commit(cx) == HALL_OK ? HALL_ASSIST_OK : HALL_ASSIST_DB_ERROR;
}

int
hall_assist_staff_reset(struct hall_ctx *cx, int64_t order_id, const char *actor)
{
    struct hall_dbres *t;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    t = hall_db_exec(cx, "assist_staff_reset", HALL_I64(order_id));
    if (t == NULL) {
        hall_db_rollback(cx);
        return HALL_ERR;
    }
    if (hall_dbres_rows(t) != 1) {
        hall_db_rollback(cx);
        return HALL_CONFLICT;
    }
    if (hall_audit(cx, actor, "order", hall_dbres_str(t, 0, "order_id"), "unlock_code_reset", NULL,
                   NULL, NULL) != HALL_OK) {
        hall_db_rollback(cx);
        return HALL_ERR;
    }
    return hall_db_commit(cx) == HALL_OK ? HALL_OK : HALL_ERR;
}
