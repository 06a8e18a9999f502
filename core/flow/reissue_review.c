/*
 * The back office of 介质遗失补办 (seed 004, SPEC "Business-specific steps"):
 * a serial number to the certificate's details with the ownership rules,
 * and, when staff approve a reissue order, the old certificate's automatic
 * revocation.  The new certificate is made by hall_produce_onto (core/biz/produce.c)
 * for the old one's subject and end of validity, at the operator's
 * 制作证书 (or on its holder's request for a certificate made in the
 * browser or an SM2 one: core/biz/produce_csr.c; nothing makes it without
 * either, sql/162), and mailing is the operator's 邮寄 as for every order.
 *
 * Ownership and the claim on the certificate are the rules every order
 * that replaces a certificate shares (core/flow/replace.c): a certificate
 * belongs to the applicant account whose order produced it; anybody else
 * sees what the public serial lookup shows and cannot reissue it.
 * docs/modules/reissue.md.
 */
#include <string.h>

#include "flow/flow.h"

#define KEY_COMPROMISE 1 /* RFC 5280 CRLReason: the medium is lost */

const struct hall_stmt hall_reissue_stmts[] = {
    /* the approving transaction holds the order; this holds the certificate */
    {"reissue_old_lock",
     "SELECT o.reissue_of, o.business_type, c.state, c.not_after < now() AS expired,"
     " co.user_id = o.user_id AS own"
     " FROM orders o JOIN certificates c ON c.serial = o.reissue_of"
     " JOIN orders co ON co.id = c.order_id"
     " WHERE o.id = $1 FOR UPDATE OF c",
     1},
    {NULL, NULL, 0},
};

int
hall_reissue_cert_get(struct hall_req *req, const char *serial, int64_t order_id,
                      const char *submit_key, struct hall_replace_cert *c)
{
    /* the rules every replacing order shares (core/flow/replace.c) */
    return hall_replace_cert_get(req, "reissue", serial, order_id, submit_key, c);
}

int
hall_replace_approved(struct hall_req *req, int64_t order_id, const char *actor, const char **msg)
{
    struct hall_dbres *res;
    struct hall_val *detail;
    const char *serial, *business, *ca;
    int rc;

    *msg = NULL;
    res = hall_db_exec(req->cx, "reissue_old_lock", HALL_I64(order_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK; /* replaces no certificate */
    serial = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "reissue_of"));
    business = hall_dbres_str(res, 0, "business_type");
    if (strcmp(business, "reissue") != 0) {
        /* 更新, 变更, 解锁: nothing is revoked at approval (production
         * supersedes the old one), but a certificate its holder revoked
         * since the order was made, or (变更, 解锁) one that ended, has
         * nothing left to replace: refused now, not left to fail at
         * production */
        if (!hall_dbres_bool(res, 0, "own")) {
            *msg = hall_msg_text(req->pool, HALL_M_REPLACE_OLD_NOT_OWN);
            return HALL_CONFLICT;
        }
        if (strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0) {
            *msg = hall_msg_text(req->pool, HALL_M_REPLACE_OLD_REVOKED);
            return HALL_CONFLICT;
        }
        if (hall_dbres_bool(res, 0, "expired") && strcmp(business, "renew") != 0) {
            *msg = hall_msg_text(req->pool, HALL_M_REPLACE_OLD_EXPIRED);
            return HALL_CONFLICT;
        }
        return HALL_OK;
    }
    if (!hall_dbres_bool(res, 0, "own")) {
        *msg = hall_msg_text(req->pool, HALL_M_REISSUE_OLD_NOT_OWN);
        return HALL_CONFLICT;
    }
    if (strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0) {
        *msg = hall_msg_text(req->pool, HALL_M_REISSUE_OLD_REVOKED);
        return HALL_CONFLICT;
    }
    if (hall_dbres_bool(res, 0, "expired")) {
        *msg = hall_msg_text(req->pool, HALL_M_REISSUE_OLD_EXPIRED);
        return HALL_CONFLICT;
    }
    rc = hall_revoke_cert(req->cx, serial, KEY_COMPROMISE, actor, &ca);
    if (rc != HALL_OK) {
        if (rc == HALL_CONFLICT)
            *msg = hall_msg_text(req->pool, HALL_M_REISSUE_OLD_REVOKED);
        return rc;
    }
    detail = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, detail, "serial", serial);
    hall_val_set_str(req->pool, detail, "reason", hall_pki_reason_name(KEY_COMPROMISE));
    if (hall_audit(req->cx, actor, "order", hall_psprintf(req->pool, "%lld", (long long)order_id),
                   "reissue_revoke", NULL, NULL, detail) != HALL_OK)
        return hall_req_failed(req);
    hall_info(req, "msg=\"reissue: old certificate revoked\" order=%lld serial=%s ca=%s",
              (long long)order_id, serial, ca);
    return HALL_OK;
}
