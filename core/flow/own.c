/*
 * What the logged-in applicant owns, read for it and for no one else: its
 * orders (another's is as absent as one that never was) and the PKCS#12
 * media of its certificates.
 */
#include "flow/flow.h"

struct hall_dbres *
hall_order_own(struct hall_req *req, const char *stmt, int64_t *id)
{
    struct hall_dbres *res;

    if (hall_req_param_i64(req, "id", id) != HALL_OK || *id <= 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    res = hall_db_exec(req->cx, stmt, HALL_I64(*id), HALL_I64(req->user_id));
    if (res == NULL) {
        hall_resp_busy(req);
        return NULL;
    }
    /* someone else's order is as absent as one that never was */
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    return res;
}

struct hall_dbres *
hall_order_lock_own(struct hall_req *req, const char *stmt, int64_t id)
{
    struct hall_dbres *res;

    if (hall_db_begin(req->cx) != HALL_OK) {
        hall_resp_busy(req);
        return NULL;
    }
    res = hall_db_exec(req->cx, stmt, HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL) {
        hall_resp_busy(req);
        return NULL;
    }
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    return res;
}

int
hall_medium_resp(struct hall_req *req, struct hall_dbres *res, const char *name)
{
    unsigned char *enc;
    char *p12;
    size_t len;

    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "p12_enc"), &len);
    p12 = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    if (p12 == NULL) {
        hall_err(req, "msg=\"medium unreadable\" serial=%s", hall_dbres_str(res, 0, "serial"));
        return hall_resp_busy(req);
    }
    hall_info(req, "msg=\"medium download\" serial=%s", hall_dbres_str(res, 0, "serial"));
    return hall_resp_bytes(
        req, (unsigned char *)p12, len - HALL_PII_OVERHEAD, "application/x-pkcs12",
        hall_psprintf(req->pool, "%s-%s.p12", name, hall_dbres_str(res, 0, "serial")));
}
