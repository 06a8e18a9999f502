/*
 * POST /pki/seal-holder: a 机构个人章's holder's request (core/biz/sealhold.c;
 * docs/modules/seal.md, "The holder's own key").  The page /seal/holder
 * (hall-seal) made the key pair in the holder's browser and posts the seal's
 * code, the SMS's code and the PKCS#10 request; this process holds the
 * issuing CA keys and the seal maker's, so the certificate and the seal are
 * made here.  No session: the holder has no account, the code is the proof.
 */
#include <stdio.h>
#include <string.h>

#include "hall.h"

int pki_seal_holder(struct hall_req *req);

int
pki_seal_holder(struct hall_req *req)
{
    struct hall_sealhold_out out;
    struct hall_val *v;
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
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "serial", out.serial);
    hall_val_set_str(req->pool, v, "es_id", out.es_id);
    hall_val_set_str(req->pool, v, "algorithm", out.alg);
    hall_val_set_str(req->pool, v, "cert", hall_b64(req->pool, out.der, out.der_len));
    hall_val_set_str(req->pool, v, "ca", out.ca_pem);
    hall_val_set_str(req->pool, v, "name", out.cn);
    hall_val_set_str(req->pool, v, "seseal", hall_b64(req->pool, out.seal, out.seal_len));
    return hall_resp_ok(req, v);
}
