/*
 * POST /pki/seal-holder: a 机构个人章's holder's request (core/biz/sealhold.c;
 * docs/modules/seal.md, "The holder's own key").  The page /seal/holder
 * (hall-seal) made the key pair in the holder's browser and posts the seal's
 * code, the SMS's code and the PKCS#10 request; this process holds the
 * issuing CA keys and the seal maker's, so the certificate and the seal are
 * made here.  No session: the holder has no account, the code is the proof.
 *
 * POST /pki/seal-key: an SM2 seal order's 机构业务章, its key born in the
 * browser of the order's applicant (core/biz/sealbiz.c): the applicant's
 * session is the proof, the seal's code (es_id) and the request are posted.
 */
#include <stdio.h>
#include <string.h>

#include "hall.h"

int pki_seal_holder(struct hall_req *req), pki_seal_key(struct hall_req *req);

const struct hall_pspec pki_seal_key_params[] = {
    {"es_id", HALL_P_TEXT, 0, 1, 40, "印章编码", NULL},
    {"csr", HALL_P_TEXT, 0, 1, 8000, "证书请求", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the certificate for the page's PKCS#12, the CA's PEM, the seal */
static int
made(struct hall_req *req, const struct hall_sealhold_out *out)
{
    struct hall_val *v = hall_val_obj(req->pool);

    hall_val_set_str(req->pool, v, "serial", out->serial);
    hall_val_set_str(req->pool, v, "es_id", out->es_id);
    hall_val_set_str(req->pool, v, "algorithm", out->alg);
    hall_val_set_str(req->pool, v, "cert", hall_b64(req->pool, out->der, out->der_len));
    hall_val_set_str(req->pool, v, "ca", out->ca_pem);
    hall_val_set_str(req->pool, v, "name", out->cn);
    hall_val_set_str(req->pool, v, "seseal", hall_b64(req->pool, out->seal, out->seal_len));
    return hall_resp_ok(req, v);
}

int
pki_seal_key(struct hall_req *req)
{
    struct hall_sealhold_out out;
    const char *msg, *field;
    unsigned char *der;
    size_t len;
    int rc;

    der = hall_unb64(req->pool, hall_req_param(req, "csr"), &len);
    if (der == NULL)
        return hall_msg(req, HALL_M_CSR_BAD, "csr");
    rc = hall_sealbiz_csr(req->cx, hall_req_param(req, "es_id"), req->user_id, der, len,
                          hall_req_actor(req), &out, &msg, &field);
    if (rc == HALL_SEALHOLD_BAD)
        return hall_resp_error(req, 400, field, msg);
    if (rc == HALL_SEALBIZ_FORBIDDEN)
        return hall_resp_error(req, 403, "es_id", msg);
    if (rc == HALL_SEALBIZ_NOTFOUND)
        return hall_resp_error(req, 404, field, msg);
    if (rc == HALL_CONFLICT)
        return hall_resp_error(req, 409, NULL, msg);
    if (rc != HALL_OK)
        return hall_resp_error(req, 503, NULL, msg);
    return made(req, &out);
}

int
pki_seal_holder(struct hall_req *req)
{
    struct hall_sealhold_out out;
    const char *msg, *field;
    unsigned char *der;
    size_t len;
    int rc;

    der = hall_unb64(req->pool, hall_req_param(req, "csr"), &len);
    if (der == NULL)
        return hall_msg(req, HALL_M_CSR_BAD, "csr");
    rc = hall_sealhold_csr(req->cx, hall_req_param(req, "es_id"), hall_req_param(req, "code"), der,
                           len, hall_psprintf(req->pool, "holder:%s", hall_req_param(req, "es_id")),
                           &out, &msg, &field);
    if (rc == HALL_SEALHOLD_BAD)
        return hall_resp_error(req, 400, field, msg);
    if (rc == HALL_SEALHOLD_USED)
        return hall_resp_error(req, 410, "code", msg);
    if (rc == HALL_SEALHOLD_LOCKED)
        return hall_resp_error(req, 429, "code", msg);
    if (rc == HALL_CONFLICT)
        return hall_resp_error(req, 409, NULL, msg);
    if (rc != HALL_OK)
        return hall_resp_error(req, 503, NULL, msg);
    return made(req, &out);
}
