/*
 * seal_download.c: what a seal's owner and holders take away: the
 * holder's page /seal/holder (机构个人章密钥生成: the key made in the
 * holder's browser, posted to hall-pki's POST /pki/seal-holder; and the
 * 机构个人章证书下载 of one made before sql/159, by the SMS's download code); the owner's SESeal
 * file (GET /seal/seseal) and the PKCS#12 a seal signs with, once (GET /seal/medium); 我的电子印章,
 * an order's seals (GET /seal/seals).
 */

#include <stdio.h>
#include <string.h>

#include "seal.h"

int
seal_holder_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "机构个人章密钥生成");
    return hall_resp_page(req, 200, "seal_holder", ctx);
}

/* the serial and the download code the holder's SMS carried: the medium,
 * once (hall_medium_hand destroys the hall's copy as it hands it over);
 * ten wrong codes stop it */
int
seal_holder_download(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial"), *code = hall_req_param(req, "code");
    const unsigned char *stored;
    struct hall_dbres *res;
    unsigned char mac[32];
    size_t len;

    if (!hall_pki_serial_ok(serial))
        return hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
    if (hall_holder_code_mac(serial, code, mac) != HALL_OK)
        return hall_msg(req, HALL_M_HOLDER_CODE_FORMAT, "code");
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "seal_holder_medium", HALL_STR(serial));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_HOLDER_NO_MATCH, "code");
    /* handed over already: said so, with why and where to go */
    if (hall_dbres_isnull(res, 0, hall_dbres_col(res, "p12_enc")))
        return hall_medium_hand(req, res, NULL);
    if (hall_dbres_int(res, 0, "holder_code_tries") >= 10)
        return hall_msg(req, HALL_M_HOLDER_LOCKED, "code");
    stored = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "holder_code_hash"), &len);
    if (stored == NULL || len != 32 || !hall_ct_equal(stored, mac, 32)) {
        if (hall_medium_code_fail(req->cx, serial) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_warn(req, "msg=\"holder download: wrong code\" serial=%s", serial);
        return hall_msg(req, HALL_M_HOLDER_NO_MATCH, "code");
    }
    return hall_medium_hand(req, res, hall_psprintf(req->pool, "holder:%s", serial));
}

/* ---- SESeal: the owner's download ---------------------------------------------------- */

/* a seal with nothing to download: another's (404), revoked or its signer's
 * certificate revoked (410), or not yet made (409) */
static int
not_made(struct hall_req *req, int64_t id, int holder_only)
{
    struct hall_dbres *o =
        hall_db_exec(req->cx, "seal_item_order", HALL_I64(id), HALL_I64(req->user_id));

    if (o == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0)
        return hall_msg(req, HALL_M_SEAL_NOT_FOUND, NULL);
    if (strcmp(hall_dbres_str(o, 0, "seseal_state"), "revoked") == 0)
        return hall_msg(req, HALL_M_SEAL_REVOKED, NULL);
    /* 补办 refuses a revoked certificate: it is offered only while one is under way */
    if (strcmp(hall_dbres_str(o, 0, "seseal_state"), "valid") == 0 &&
        strcmp(hall_dbres_str(o, 0, "cert_state"), "issued") != 0)
        return hall_msg(req,
                        hall_dbres_bool(o, 0, "reissued") ? HALL_M_SEAL_SIGNER_REISSUED
                                                          : HALL_M_SEAL_SIGNER_REVOKED,
                        NULL);
    /* a medium, if asked for: a 机构个人章's is its holder's alone */
    if (holder_only && strcmp(hall_dbres_str(o, 0, "seseal_state"), "valid") == 0 &&
        strcmp(hall_dbres_str(o, 0, "kind"), "org_person") == 0)
        return hall_msg(req, HALL_M_SEAL_MEDIUM_HOLDER_ONLY, NULL);
    /* its key born on the order's USB key or in the holder's browser: no file, ever */
    if (holder_only && strcmp(hall_dbres_str(o, 0, "key_origin"), "medium") == 0)
        return hall_msg(req, HALL_M_SEAL_MEDIUM_ON_USB, NULL, hall_dbres_str(o, 0, "usb_serial"));
    if (holder_only && strcmp(hall_dbres_str(o, 0, "key_origin"), "browser") == 0)
        return hall_msg(req, HALL_M_SEAL_MEDIUM_IN_BROWSER, NULL);
    return hall_msg(req, HALL_M_SEAL_NOT_MADE, NULL);
}

/* made and stored by the production step with the certificates
 * (core/biz/sealprod.c, called by hall_produce_onto): served as stored */
int
seal_seseal_download(struct hall_req *req)
{
    struct hall_dbres *res;
    unsigned char *der;
    size_t len;
    int64_t id;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    res = hall_db_exec(req->cx, "seseal_own", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return not_made(req, id, 0);
    der = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "der"), &len);
    if (der == NULL)
        return HALL_ERR;
    return hall_resp_bytes(req, der, len, "application/octet-stream",
                           hall_psprintf(req->pool, "%s.seseal", hall_dbres_str(res, 0, "es_id")));
}

/* the medium of the certificate a seal signs with (the order's PIN opens
 * it), handed over once like every medium (hall_medium_take): a file only
 * for a certificate whose key the hall made, before issue 64 */
int
seal_medium(struct hall_req *req)
{
    int64_t id;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    if (hall_medium_take(req, "seal_medium_own", id) == HALL_CONFLICT)
        return not_made(req, id, 1);
    return HALL_OK;
}

/* 我的电子印章: an order's seals, each with its state and, once made, its
 * SESeal file and its certificate's medium; then the seals re-made on a new
 * certificate as they were (已替换, with the date) */
int
seal_seals_page(struct hall_req *req)
{
    struct hall_val *ctx = seal_order_page(req, "我的电子印章"), *list;
    struct hall_dbres *res;
    int i;

    if (ctx == NULL)
        return HALL_OK;
    res = hall_db_exec(req->cx, "seal_replaced_of", HALL_I64(hall_val_get(ctx, "id")->i));
    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "replaced");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *it = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, it, "kind_label",
                         hall_seal_kind_text(hall_dbres_str(res, i, "kind")));
        hall_val_set_str(req->pool, it, "name", hall_seal_shown_name(req->cx, res, i));
        hall_dbres_set(req->pool, it, res, i, "es_id replaced_at");
    }
    return hall_resp_page(req, 200, "seal_list", ctx);
}
