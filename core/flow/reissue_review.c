/*
 * The back office of 介质遗失补办 (seed 004, SPEC "Business-specific steps"):
 * a serial number to the certificate's details with the ownership rules,
 * and, when staff approve a reissue order, the old certificate's automatic
 * revocation.  The new certificate is made by hall_produce (core/pki/pki.c)
 * for the old one's subject and end of validity: the reissue products are
 * auto_issue, so hall-outbox's pki tick makes it within seconds of the
 * approval, and mailing is the operator's 邮寄 as for every order.
 *
 * Ownership: a certificate belongs to the applicant account whose order
 * produced it (a reissued certificate's order is that account's reissue
 * order, so ownership follows the chain).  Anybody else sees what the
 * public serial lookup shows (status, validity, organisation) and nothing
 * more, and cannot reissue it.  docs/modules/reissue.md.
 */
#include <string.h>

#include "flow/flow.h"

#define KEY_COMPROMISE 1 /* RFC 5280 CRLReason: the medium is lost */

const struct hall_stmt hall_reissue_stmts[] = {
    {"reissue_cert",
     "SELECT c.serial, c.state, c.subject_org, c.subject_cn, o.cert_type,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.not_after < now() AS expired, o.user_id = $2 AS own, o.id AS order_id,"
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded') AND r.id <> coalesce($3, 0)"
     /* the same form again (sent twice at once): the save answers its order */
     "  AND ($4::text IS NULL OR r.user_id <> $2 OR r.submit_key IS DISTINCT FROM $4)) AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     /* a seal's own certificate (sql/027) is not a medium to reissue */
     " WHERE c.serial = $1 AND c.state <> 'intent' AND c.seal_item_id IS NULL",
     4},
    /* the approving transaction holds the order; this holds the certificate */
    {"reissue_old_lock",
     "SELECT o.reissue_of, c.state, c.not_after < now() AS expired, co.user_id = o.user_id AS own"
     " FROM orders o JOIN certificates c ON c.serial = o.reissue_of"
     " JOIN orders co ON co.id = c.order_id"
     " WHERE o.id = $1 AND o.business_type = 'reissue' FOR UPDATE OF c",
     1},
    {NULL, NULL, 0},
};

int
hall_reissue_serial_ok(const char *s)
{
    /* case-sensitive, as the seed says: 712c1b5a584a1bbe is not 712C1B5A584A1BBE */
    return s != NULL && strlen(s) == 16 && strspn(s, "0123456789ABCDEF") == 16;
}

int
hall_reissue_cert_get(struct hall_req *req, const char *serial, int64_t order_id,
                      const char *submit_key, struct hall_reissue_cert *c)
{
    struct hall_dbres *res;
    int expired, revoked;

    memset(c, 0, sizeof(*c));
    if (!hall_reissue_serial_ok(serial)) {
        c->result = HALL_REISSUE_BAD_SERIAL;
        c->why = hall_msgs[HALL_M_SERIAL_FORMAT].text;
        return HALL_OK;
    }
    res = hall_db_exec(req->cx, "reissue_cert", HALL_STR(serial), HALL_I64(req->user_id),
                       order_id > 0 ? HALL_I64(order_id) : HALL_NULLP,
                       submit_key != NULL ? HALL_STR(submit_key) : HALL_NULLP);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        c->result = HALL_REISSUE_NOT_FOUND;
        c->why = hall_msgs[HALL_M_SERIAL_UNKNOWN].text;
        return HALL_OK;
    }
    expired = hall_dbres_bool(res, 0, "expired");
    revoked = strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0;
    c->serial = hall_dbres_str(res, 0, "serial");
    c->status = revoked ? "revoked" : (expired ? "expired" : "good");
    c->status_label = revoked ? "已吊销" : (expired ? "已过期" : "有效");
    c->org = hall_dbres_str(res, 0, "subject_org");
    c->not_before = hall_dbres_str(res, 0, "not_before");
    c->not_after = hall_dbres_str(res, 0, "not_after");
    c->own = hall_dbres_bool(res, 0, "own");
    if (!c->own) {
        /* what /pki/lookup shows anyway, and not a word more */
        c->result = HALL_REISSUE_FOREIGN;
        c->why = hall_msgs[HALL_M_SERIAL_FOREIGN].text;
        return HALL_OK;
    }
    c->cn = hall_dbres_str(res, 0, "subject_cn");
    c->cert_type = hall_dbres_str(res, 0, "cert_type");
    c->cert_type_label = hall_cert_type_label(c->cert_type);
    c->order_id = hall_dbres_int(res, 0, "order_id");
    if (revoked) {
        c->result = HALL_REISSUE_REVOKED;
        c->why = hall_msgs[HALL_M_SERIAL_REVOKED].text;
    } else if (expired) {
        c->result = HALL_REISSUE_EXPIRED;
        c->why = hall_msgs[HALL_M_SERIAL_EXPIRED].text;
    } else if (hall_dbres_bool(res, 0, "pending")) {
        c->result = HALL_REISSUE_PENDING;
        c->why = hall_msgs[HALL_M_SERIAL_PENDING].text;
    } else
        c->result = HALL_REISSUE_OK;
    return HALL_OK;
}

int
hall_reissue_approved(struct hall_req *req, int64_t order_id, const char *actor, const char **msg)
{
    struct hall_dbres *res;
    struct hall_val *detail;
    const char *serial, *ca;
    int rc;

    *msg = NULL;
    res = hall_db_exec(req->cx, "reissue_old_lock", HALL_I64(order_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK; /* not a reissue order */
    serial = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "reissue_of"));
    if (!hall_dbres_bool(res, 0, "own")) {
        *msg = "原证书不属于该申请人，不能补办";
        return HALL_CONFLICT;
    }
    if (strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0) {
        *msg = "原证书已吊销，不能补办";
        return HALL_CONFLICT;
    }
    if (hall_dbres_bool(res, 0, "expired")) {
        *msg = "原证书已过期，不能补办";
        return HALL_CONFLICT;
    }
    rc = hall_pki_revoke(req->cx, serial, KEY_COMPROMISE, actor, &ca);
    if (rc != HALL_OK) {
        if (rc == HALL_CONFLICT)
            *msg = "原证书已吊销，不能补办";
        return rc;
    }
    detail = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, detail, "serial", serial);
    hall_val_set_str(req->pool, detail, "reason", hall_pki_reason_name(KEY_COMPROMISE));
    if (hall_audit(req->cx, actor, "order", hall_psprintf(req->pool, "%lld", (long long)order_id),
                   "reissue_revoke", NULL, NULL, detail) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"reissue: old certificate revoked\" order=%lld serial=%s ca=%s",
              (long long)order_id, serial, ca);
    return HALL_OK;
}
