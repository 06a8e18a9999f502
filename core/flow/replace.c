/*
 * The orders that replace a certificate: 介质遗失补办 reissue, 证书更新
 * renew, 证书变更 change, 证书解锁 unlock (sql/058).  One column,
 * orders.reissue_of, names the certificate an order replaces; this file is
 * what the four flows share on the way in:
 *
 *   - ownership: a certificate belongs to the applicant account whose order
 *     produced it (a replaced certificate's successor is that account's
 *     replacing order's, so ownership follows the chain).  Anybody else
 *     sees what the public serial lookup shows (status, validity,
 *     organisation), answered 403, and can replace nothing; an unknown
 *     serial answers 404.
 *   - the claim: at most one live replacing order (not cancelled, not
 *     refunded) per certificate, whatever its type; the claim locks the
 *     certificate's row inside the save's transaction, so of two submits at
 *     once the second finds the first, and the same form sent twice finds
 *     its own order (submit_key); orders_replaces_one holds it in the store.
 *   - renew's window (hall_replace_window): from N days before the end to
 *     M days after it, the product's (products.renew_before_days,
 *     renew_after_days).
 *
 * What the new certificate is, and when the old one is revoked, is
 * production's (core/biz/produce.c).  docs/internals/replace.md.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"

const struct hall_stmt hall_replace_stmts[] = {
    {"replace_cert",
     "SELECT c.serial, c.state, c.subject_org, c.subject_cn, o.cert_type, c.ca,"
     " coalesce(cert_org_code(c.der), '') AS uscc,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " extract(epoch FROM c.not_after)::bigint AS not_after_epoch,"
     " c.not_after < now() AS expired, o.user_id = $2 AS own, o.id AS order_id,"
     /* another live replacing order of any type; the same form again (sent
      * twice at once) is not another: the save answers its order */
     " (SELECT r.business_type FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded') AND r.id <> coalesce($3, 0)"
     "  AND ($4::text IS NULL OR r.user_id <> $2 OR r.submit_key IS DISTINCT FROM $4)"
     "  ORDER BY r.id LIMIT 1) AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     /* a seal's own certificate (sql/027) is re-made with the certificate
      * that signs its seal, never replaced by itself */
     " WHERE c.serial = $1 AND c.state <> 'intent' AND c.seal_item_id IS NULL",
     4},
    /* inside the save: the certificate's row is the lock two claims queue on */
    {"replace_cert_lock",
     "SELECT serial FROM certificates WHERE serial = $1 AND state = 'issued'"
     " AND (not_after > now() OR $2::boolean) FOR UPDATE",
     2},
    {"replace_claim",
     "UPDATE orders SET reissue_of = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM orders r"
     " WHERE r.reissue_of = $2 AND r.status NOT IN ('cancelled', 'refunded') AND r.id <> $1)"
     " RETURNING id",
     2},
    {NULL, NULL, 0},
};

int
hall_replace_business(const char *b)
{
    return b != NULL && (strcmp(b, "reissue") == 0 || strcmp(b, "renew") == 0 ||
                         strcmp(b, "change") == 0 || strcmp(b, "unlock") == 0);
}

/* c's result, its message and text: 补办 keeps seed 004's own wording */
static void
result_set(struct hall_req *req, struct hall_reissue_cert *c, const char *business,
           enum hall_reissue_result r, const char *pending)
{
    const char *label = hall_business_label(business);
    int reissue = strcmp(business, "reissue") == 0;

    c->result = r;
    switch (r) {
    case HALL_REISSUE_OK:
        c->code = HALL_M_SERIAL_FORMAT;
        c->why = NULL;
        return;
    case HALL_REISSUE_BAD_SERIAL: c->code = HALL_M_SERIAL_FORMAT; break;
    case HALL_REISSUE_NOT_FOUND: c->code = HALL_M_SERIAL_UNKNOWN; break;
    case HALL_REISSUE_FOREIGN:
        c->code = reissue ? HALL_M_SERIAL_FOREIGN : HALL_M_REPLACE_FOREIGN;
        break;
    case HALL_REISSUE_REVOKED:
        c->code = reissue ? HALL_M_SERIAL_REVOKED : HALL_M_REPLACE_REVOKED;
        break;
    case HALL_REISSUE_EXPIRED:
        c->code = reissue ? HALL_M_SERIAL_EXPIRED : HALL_M_REPLACE_EXPIRED;
        break;
    case HALL_REISSUE_PENDING:
        if (reissue && strcmp(pending, "reissue") == 0) {
            c->code = HALL_M_SERIAL_PENDING;
            break;
        }
        c->code = HALL_M_REPLACE_PENDING;
        c->why = hall_msg_text(req->pool, c->code, hall_business_label(pending), label);
        return;
    default: return; /* EARLY, LATE: hall_replace_window */
    }
    c->why = hall_msg_text(req->pool, c->code, label);
}

int
hall_replace_cert_get(struct hall_req *req, const char *business, const char *serial,
                      int64_t order_id, const char *submit_key, struct hall_reissue_cert *c)
{
    struct hall_dbres *res;
    const char *pending;
    int revoked;

    memset(c, 0, sizeof(*c));
    if (!hall_reissue_serial_ok(serial)) {
        result_set(req, c, business, HALL_REISSUE_BAD_SERIAL, NULL);
        return HALL_OK;
    }
    res = hall_db_exec(req->cx, "replace_cert", HALL_STR(serial), HALL_I64(req->user_id),
                       order_id > 0 ? HALL_I64(order_id) : HALL_NULLP,
                       submit_key != NULL ? HALL_STR(submit_key) : HALL_NULLP);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        result_set(req, c, business, HALL_REISSUE_NOT_FOUND, NULL);
        return HALL_OK;
    }
    c->expired = hall_dbres_bool(res, 0, "expired");
    revoked = strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0;
    c->serial = hall_dbres_str(res, 0, "serial");
    c->status = revoked ? "revoked" : (c->expired ? "expired" : "good");
    c->status_label = revoked ? "已吊销" : (c->expired ? "已过期" : "有效");
    c->org = hall_dbres_str(res, 0, "subject_org");
    c->not_before = hall_dbres_str(res, 0, "not_before");
    c->not_after = hall_dbres_str(res, 0, "not_after");
    c->own = hall_dbres_bool(res, 0, "own");
    if (!c->own) {
        /* what /pki/lookup shows anyway, and not a word more */
        result_set(req, c, business, HALL_REISSUE_FOREIGN, NULL);
        return HALL_OK;
    }
    c->cn = hall_dbres_str(res, 0, "subject_cn");
    c->cert_type = hall_dbres_str(res, 0, "cert_type");
    c->cert_type_label = hall_cert_type_label(c->cert_type);
    c->order_id = hall_dbres_int(res, 0, "order_id");
    c->not_after_epoch = hall_dbres_int(res, 0, "not_after_epoch");
    c->ca = hall_dbres_str(res, 0, "ca");
    c->uscc = hall_dbres_str(res, 0, "uscc");
    pending = hall_dbres_str(res, 0, "pending");
    if (revoked)
        result_set(req, c, business, HALL_REISSUE_REVOKED, NULL);
    else if (c->expired && strcmp(business, "renew") != 0)
        result_set(req, c, business, HALL_REISSUE_EXPIRED, NULL);
    else if (pending != NULL)
        result_set(req, c, business, HALL_REISSUE_PENDING, pending);
    else
        result_set(req, c, business, HALL_REISSUE_OK, NULL);
    return HALL_OK;
}

/* YYYY-MM-DD of t in China time (UTC+8, no daylight saving) */
static const char *
beijing_date(struct hall_req *req, int64_t t)
{
    time_t bt = (time_t)(t + 8 * 3600);
    struct tm tm;
    char buf[16];

    if (gmtime_r(&bt, &tm) == NULL)
        return "";
    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return hall_pstrdup(req->pool, buf);
}

void
hall_replace_window(struct hall_req *req, struct hall_reissue_cert *c, int before_days,
                    int after_days)
{
    int64_t now = (int64_t)time(NULL), from, until;

    if (c->result != HALL_REISSUE_OK)
        return;
    from = c->not_after_epoch - (int64_t)before_days * 86400;
    until = c->not_after_epoch + (int64_t)after_days * 86400;
    if (now < from) {
        c->result = HALL_REISSUE_EARLY;
        c->code = HALL_M_RENEW_EARLY;
        c->why = hall_msg_text(req->pool, c->code, beijing_date(req, c->not_after_epoch),
                               before_days, beijing_date(req, from));
    } else if (now > until) {
        c->result = HALL_REISSUE_LATE;
        c->code = HALL_M_RENEW_LATE;
        c->why = hall_msg_text(req->pool, c->code, beijing_date(req, c->not_after_epoch),
                               after_days, beijing_date(req, until));
    }
}

int
hall_replace_refuse(struct hall_req *req, const struct hall_reissue_cert *c, const char *field)
{
    return hall_resp_error(req, hall_msgs[c->code].status, field,
                           c->why != NULL ? c->why : hall_msgs[c->code].text);
}

int
hall_replace_claim(struct hall_req *req, int64_t order_id, void *arg)
{
    const char *serial = arg;
    const char *business = hall_flow_current()->business;
    const char *label = hall_business_label(business);
    int reissue = strcmp(business, "reissue") == 0;
    struct hall_dbres *r;

    r = hall_db_exec(req->cx, "replace_cert_lock", HALL_STR(serial),
                     HALL_STR(strcmp(business, "renew") == 0 ? "t" : "f"));
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0)
        return reissue ? hall_msg(req, HALL_M_SERIAL_REVOKED, "serial")
                       : hall_msg(req, HALL_M_REPLACE_REVOKED, "serial", label),
               HALL_ERR;
    r = hall_db_exec(req->cx, "replace_claim", HALL_I64(order_id), HALL_STR(serial));
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0)
        return reissue ? hall_msg(req, HALL_M_SERIAL_PENDING, "serial")
                       : hall_msg(req, HALL_M_REPLACE_PENDING, "serial", "补办、更新、变更或解锁",
                                  label),
               HALL_ERR;
    return HALL_OK;
}
