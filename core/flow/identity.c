/*
 * The PC side of an online identity check (SPEC step 7): a one-time link
 * for the phone, shown as a QR code, and the state the PC page polls.  The
 * phone side (ID card OCR, liveness, core/flow/phone.c) answers at a flow's
 * /FLOW/m/verify?t=... for every kind of check: the agent or the applicant of a
 * new order, and the legal person of an order whose micro-deposits failed
 * (modules/finauth, 法人认证).  The token is random, kept only as its
 * SHA-256, bound to one order and lives 10 minutes; a new one ends the last.
 */
#include <string.h>

#include "flow/flow.h"

const struct hall_stmt hall_identity_stmts[] = {
    /* a new code voids the ones no phone has opened; a phone that is working
     * on its link keeps it until the link's own 10 minutes end */
    {"identity_expire",
     "UPDATE identity_checks SET status = 'failed', message = '二维码已失效', updated_at = now()"
     " WHERE order_id = $1 AND status IN ('pending', 'ocr_ok')"
     " AND (opened_at IS NULL OR expires_at <= now())",
     1},
    {"identity_opened",
     "UPDATE identity_checks SET opened_at = coalesce(opened_at, now()) WHERE id = $1", 1},
    {"identity_insert",
     "INSERT INTO identity_checks (order_id, token_hash, who, expires_at)"
     " VALUES ($1, $2, $3, now() + interval '10 minutes') RETURNING id",
     3},
    /* what the PC page shows: a pass, else the live check the phone used last */
    {"identity_latest",
     "SELECT status, coalesce(message, '') AS message, expires_at > now() AS live"
     " FROM identity_checks"
     " WHERE order_id = $1 AND who = $2 ORDER BY status = 'passed' DESC,"
     " (status <> 'failed' AND expires_at > now()) DESC, updated_at DESC, id DESC LIMIT 1",
     2},
    {"flow_identity_set",
     "UPDATE identity_checks SET status = $2, message = $3, attempts = attempts + $4,"
     " updated_at = now() WHERE id = $1",
     4},
    {NULL, NULL, 0},
};

const char *
hall_identity_who_label(const char *who)
{
    if (strcmp(who, "legal") == 0)
        return "法定代表人";
    return strcmp(who, "applicant") == 0 ? "申请人" : "经办人";
}

const char *
hall_identity_start(struct hall_req *req, int64_t order_id, const char *who,
                    const char *verify_path)
{
    unsigned char tok[32], hash[32];
    const char *token;

    if (hall_rand_bytes(tok, sizeof(tok)) != HALL_OK)
        return NULL;
    token = hall_b64url(req->pool, tok, sizeof(tok));
    hall_sha256(token, strlen(token), hash);
    /* a new code: the ones shown before stop working unless a phone opened them */
    if (hall_db_begin(req->cx) != HALL_OK)
        return NULL;
    if (hall_db_exec(req->cx, "identity_expire", HALL_I64(order_id)) == NULL ||
        hall_db_exec(req->cx, "identity_insert", HALL_I64(order_id), HALL_BIN(hash, 32),
                     HALL_STR(who)) == NULL ||
        hall_db_commit(req->cx) != HALL_OK) {
        if (req->cx->in_tx)
            hall_db_rollback(req->cx);
        return NULL;
    }
    return hall_psprintf(req->pool, "%s%s?t=%s", req->app->conf.public_url, verify_path, token);
}

int
hall_identity_status(struct hall_req *req, int64_t order_id, const char *who, const char **status,
                     const char **message)
{
    struct hall_dbres *res =
        hall_db_exec(req->cx, "identity_latest", HALL_I64(order_id), HALL_STR(who));

    *status = "pending";
    *message = "";
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) > 0) {
        *status = hall_dbres_str(res, 0, "status");
        *message = hall_dbres_str(res, 0, "message");
        if (!hall_dbres_bool(res, 0, "live") && strcmp(*status, "passed") != 0) {
            *status = "expired";
            *message = hall_msgs[HALL_M_IDENTITY_QR_EXPIRED].text;
        }
    }
    return HALL_OK;
}

int
hall_identity_set(struct hall_ctx *cx, int64_t id, const char *status, const char *message,
                  int tries)
{
    return hall_db_exec(cx, "flow_identity_set", HALL_I64(id), HALL_STR(status),
                        message != NULL ? HALL_STR(message) : HALL_NULLP, HALL_I64(tries)) != NULL
               ? HALL_OK
               : HALL_ERR;
}
