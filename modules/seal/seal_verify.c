/*
 * seal_verify.c: 电子印章验证, public (GET and POST /seal/verify): an uploaded
 * SESeal's verdict (its signature, its chain, the revocation of the maker,
 * of the signer's certificate and of the seal) as core/biz/sealverdict.c
 * rules it; this file parses the upload and chooses the status and page.
 */

#include "seal.h"

int
seal_verify_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "电子印章验证");
    return hall_resp_page(req, 200, "seal_verify", ctx);
}

int
seal_verify(struct hall_req *req)
{
    const struct hall_upload *up = hall_req_upload(req, "seseal");
    struct hall_val *ctx = hall_req_wants_json(req) ? hall_val_obj(req->pool) : hall_page_ctx(req);
    struct hall_seal_verdict v;
    int rc;

    if (up == NULL || up->size == 0)
        return hall_msg(req, HALL_M_SEAL_VERIFY_FILE, "seseal");
    /* the rule is the core's (core/biz/sealverdict.c): this answers it */
    rc = hall_seal_verdict(req->cx, up->data, up->size, hall_val_set_obj(req->pool, ctx, "result"),
                           &v);
    if (rc == HALL_CONFLICT)
        return hall_resp_error(req, 400, "seseal", v.err);
    if (rc != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"seseal verified\" es_id=%s valid=%d", v.es_id, v.valid);
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_str(req->pool, ctx, "title", "电子印章验证");
    return hall_resp_page(req, 200, "seal_verify", ctx);
}
