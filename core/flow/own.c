/*
 * What the logged-in applicant owns, read for it and for no one else: its
 * orders (another's is as absent as one that never was) and the PKCS#12
 * media of its certificates, handed over once (docs/internals/pki.md, "Key
 * custody").
 */
#include <string.h>

#include "flow/flow.h"

/* the applicant's order id read with stmt ($1 id, $2 user); NULL after
 * answering 404, or unanswered when the store failed */
static struct hall_dbres *
order_read_own(struct hall_req *req, const char *stmt, int64_t id)
{
    struct hall_dbres *res = hall_db_exec(req->cx, stmt, HALL_I64(id), HALL_I64(req->user_id));

    if (res == NULL)
        return NULL;
    /* someone else's order is as absent as one that never was */
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    return res;
}

struct hall_dbres *
hall_order_own(struct hall_req *req, const char *stmt, int64_t *id)
{
    if (hall_req_param_i64(req, "id", id) != HALL_OK || *id <= 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    return order_read_own(req, stmt, *id);
}

struct hall_dbres *
hall_order_lock_own(struct hall_req *req, const char *stmt, int64_t id)
{
    if (hall_db_begin(req->cx) != HALL_OK)
        return NULL;
    return order_read_own(req, stmt, id);
}

const char *
hall_medium_why_label(const char *why)
{
    if (why == NULL)
        return "";
    if (strcmp(why, "download") == 0)
        return "首次下载时交付";
    if (strcmp(why, "delivered") == 0)
        return "签收后保管期满";
    if (strcmp(why, "revoked") == 0)
        return "证书已吊销";
    return "按密钥保管规定";
}

const char *
hall_medium_revoked(struct hall_req *req, const char *row)
{
    const char *bar = strchr(row, '|'), *bar2 = bar != NULL ? strchr(bar + 1, '|') : NULL;
    const char *at = bar != NULL ? hall_pstrndup(req->pool, row, (size_t)(bar - row)) : row;
    int reason = bar != NULL ? atoi(bar + 1) : 0;
    const char *next = bar2 != NULL ? bar2 + 1 : "";

    return hall_psprintf(req->pool, "已于%s吊销（%s）%s%s", at, hall_pki_reason_label(reason),
                         *next != '\0' ? "，新证书为 " : "", next);
}

void
hall_medium_links(struct hall_req *req, struct hall_val *v, const char *partner, const char *serial)
{
    const char *base = hall_req_base(req), *p = hall_url_encode(req->pool, partner);
    /* only the flows the certificate's partner sells: 建筑工务署 sells no
     * 证书解锁, and its path answers 404 该项目暂不办理证书解锁业务 */
    struct hall_dbres *sold = req->cx->in_tx
                                  ? hall_db_exec(req->cx, "partner_flows", HALL_STR(partner))
                                  : hall_db_ref(req->cx, "partner_flows", HALL_STR(partner));
    int reissue = sold == NULL, unlock = sold == NULL, i;

    for (i = 0; sold != NULL && i < hall_dbres_rows(sold); i++) {
        reissue |= strcmp(hall_dbres_str(sold, i, "business_type"), "reissue") == 0;
        unlock |= strcmp(hall_dbres_str(sold, i, "business_type"), "unlock") == 0;
    }
    if (reissue)
        hall_val_set_str(
            req->pool, v, "reissue_url",
            hall_psprintf(req->pool, "%s/reissue/serial?project=%s&serial=%s", base, p, serial));
    if (unlock)
        hall_val_set_str(
            req->pool, v, "unlock_url",
            hall_psprintf(req->pool, "%s/unlock/serial?project=%s&serial=%s", base, p, serial));
}

/* 410: the hall's copy is gone; why and when, and where to go instead */
static int
medium_gone(struct hall_req *req, struct hall_dbres *res)
{
    const char *serial = hall_dbres_str(res, 0, "serial"), *remedy = "";
    struct hall_val *v;
    int reissue, unlock;

    hall_buf_reset(&req->headers);
    v = hall_req_wants_json(req) ? hall_val_obj(req->pool) : hall_page_ctx(req);
    hall_val_set_str(req->pool, v, "serial", serial);
    hall_dbres_set(req->pool, v, res, 0, "destroyed_why");
    hall_medium_links(req, v, hall_dbres_str(res, 0, "partner_code"), serial);
    /* the words name only what the partner sells: 揭阳 no 证书解锁 */
    reissue = hall_val_str_or_null(v, "reissue_url") != NULL;
    unlock = hall_val_str_or_null(v, "unlock_url") != NULL;
    if (reissue || unlock)
        remedy = hall_msg_text(req->pool, reissue && unlock ? HALL_M_MEDIUM_REMEDY_BOTH
                                          : reissue         ? HALL_M_MEDIUM_REMEDY_REISSUE
                                                            : HALL_M_MEDIUM_REMEDY_UNLOCK);
    hall_val_set_str(
        req->pool, v, "message",
        hall_msg_text(req->pool, HALL_M_MEDIUM_DELIVERED, hall_dbres_str(res, 0, "destroyed_at"),
                      hall_medium_why_label(hall_dbres_str(res, 0, "destroyed_why")), remedy));
    if (hall_req_wants_json(req)) {
        hall_val_set_bool(req->pool, v, "ok", 0);
        return hall_resp_json(req, 410, v);
    }
    hall_val_set_str(req->pool, v, "title", "证书介质已交付");
    return hall_resp_page(req, 410, "medium_gone", v);
}

int
hall_medium_hand(struct hall_req *req, struct hall_dbres *res, const char *actor)
{
    unsigned char *enc;
    char *p12;
    const char *serial = hall_dbres_str(res, 0, "serial");
    size_t len;

    if (hall_dbres_isnull(res, 0, hall_dbres_col(res, "p12_enc"))) {
        hall_db_rollback(req->cx);
        return medium_gone(req, res);
    }
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "p12_enc"), &len);
    p12 = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    if (p12 == NULL) {
        hall_err(req, "msg=\"medium unreadable\" serial=%s", serial);
        goto busy;
    }
    /* the copy goes in the transaction that read it: once committed, the
     * only copy is the one being sent; a failed commit keeps it, and sends
     * nothing */
    if (hall_custody_destroy(req->cx, serial, "download", actor) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        goto busy;
    hall_info(req, "msg=\"medium delivered, copy destroyed\" serial=%s", serial);
    return hall_resp_bytes(
        req, (unsigned char *)p12, len - HALL_PII_OVERHEAD, "application/x-pkcs12",
        hall_psprintf(req->pool, "%s-%s.p12", hall_dbres_str(res, 0, "order_no"), serial));
busy:
    if (req->cx->in_tx)
        hall_db_rollback(req->cx);
    return HALL_ERR;
}

int
hall_medium_take(struct hall_req *req, const char *stmt, int64_t id)
{
    struct hall_dbres *res;

    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, stmt, HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL || hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        /* none: the caller says why */
        return res == NULL ? HALL_ERR : HALL_CONFLICT;
    }
    return hall_medium_hand(req, res, hall_req_actor(req));
}
