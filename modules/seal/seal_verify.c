/*
 * seal_verify.c: 电子印章验证, public (GET and POST /seal/verify): an uploaded
 * SESeal's verdict: its signature, its chain, the revocation of the maker,
 * of the signer's certificate and of the seal.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "seal.h"

static void
problem(struct hall_req *req, struct hall_val *list, const char *text)
{
    hall_val_push_str(req->pool, list, text);
}

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
    struct hall_val *r, *problems, *signers;
    struct hall_seseal_info info;
    struct hall_dbres *res;
    unsigned char *crl;
    size_t crl_len = 0;
    const char *err;
    time_t now = time(NULL);
    int i, valid;

    if (up == NULL || up->size == 0)
        return hall_msg(req, HALL_M_SEAL_VERIFY_FILE, "seseal");
    crl = hall_pki_crl_get(req->cx, "sm2", &crl_len);
    if (hall_seseal_verify(req->pool, up->data, up->size, crl, crl_len, &info, &err) != HALL_OK)
        return hall_resp_error(req, 400, "seseal", err);
    r = hall_val_set_obj(req->pool, ctx, "result");
    problems = hall_val_set_list(req->pool, r, "problems");
    hall_val_set_str(req->pool, r, "es_id", info.es_id);
    hall_val_set_str(req->pool, r, "name", info.name);
    hall_val_set_int(req->pool, r, "version", info.version);
    hall_val_set_str(req->pool, r, "type_label", info.type == 2 ? "个人印章" : "机构印章");
    hall_val_set_str(req->pool, r, "valid_start", hall_beijing_time(req->pool, info.valid_start));
    hall_val_set_str(req->pool, r, "valid_end", hall_beijing_time(req->pool, info.valid_end));
    hall_val_set_str(req->pool, r, "maker", info.maker_subject);
    hall_val_set_bool(req->pool, r, "signature_ok", info.signature_ok);
    hall_val_set_bool(req->pool, r, "chain_ok", info.chain_ok);
    hall_val_set_bool(req->pool, r, "crl_ok", info.crl_ok);
    hall_val_set_bool(req->pool, r, "maker_revoked", info.maker_revoked);
    if (strcmp(info.picture_type, "PNG") == 0 && info.png_len > 8 &&
        memcmp(info.png, "\x89PNG", 4) == 0)
        hall_val_set_fmt(req->pool, r, "picture", "data:image/png;base64,%s",
                         hall_b64(req->pool, info.png, info.png_len));
    if (!info.signature_ok)
        problem(req, problems, "制章者签名无效：印章内容已被改动或不是由本系统制作");
    if (!info.chain_ok)
        problem(req, problems, "制章者证书不能验证到本系统的根证书");
    if (!info.crl_ok)
        problem(req, problems, "无法取得有效的证书吊销列表，吊销状态无法确认");
    if (info.maker_revoked)
        problem(req, problems, "制章者证书已吊销");
    if (now < info.valid_start || now > info.valid_end)
        problem(req, problems, "印章不在有效期内");
    /* what only the register knows: the seal itself, the signers' certificates */
    res =
        hall_db_exec(req->cx, "seseal_lookup", HALL_STR(info.es_id), HALL_BIN(up->data, up->size));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_val_set_str(req->pool, r, "seal_state", "unknown");
        problem(req, problems, "本系统未登记该印章");
    } else if (strcmp(hall_dbres_str(res, 0, "state"), "valid") == 0 &&
               strcmp(hall_dbres_str(res, 0, "cert_state"), "issued") != 0) {
        /* a seal follows its signer: valid in the register, void with it */
        hall_val_set_str(req->pool, r, "seal_state", "signer_revoked");
        if (!hall_dbres_bool(res, 0, "same_der"))
            problem(req, problems, "文件与本系统登记的印章不一致");
    } else {
        hall_dbres_set(req->pool, r, res, 0, "seal_state=state");
        if (strcmp(hall_dbres_str(res, 0, "state"), "revoked") == 0)
            problem(
                req, problems,
                hall_psprintf(req->pool, "印章已于 %s 注销", hall_dbres_str(res, 0, "revoked_at")));
        if (strcmp(hall_dbres_str(res, 0, "state"), "replaced") == 0) {
            const char *next = hall_dbres_str(res, 0, "replaced_by"),
                       *now_in_use = hall_dbres_str(res, 0, "current_seal");

            /* the seal in use now, when the next one was replaced too */
            problem(req, problems,
                    hall_psprintf(
                        req->pool, "印章已于 %s 被替换：签章人证书已更换，新印章为 %s%s%s%s",
                        hall_dbres_str(res, 0, "replaced_at"), next,
                        *now_in_use != '\0' && strcmp(now_in_use, next) != 0
                            ? "（其后又经替换，现行印章为 "
                            : "",
                        *now_in_use != '\0' && strcmp(now_in_use, next) != 0 ? now_in_use : "",
                        *now_in_use != '\0' && strcmp(now_in_use, next) != 0 ? "）" : ""));
        }
        if (!hall_dbres_bool(res, 0, "same_der"))
            problem(req, problems, "文件与本系统登记的印章不一致");
    }
    signers = hall_val_set_list(req->pool, r, "signers");
    for (i = 0; i < info.nsigners; i++) {
        struct hall_val *s = hall_val_push_obj(req->pool, signers);
        struct hall_dbres *c =
            hall_db_exec(req->cx, "seal_cert_state", HALL_STR(info.signers[i].serial));
        const char *st;

        if (c == NULL)
            return HALL_ERR;
        st = hall_dbres_rows(c) > 0 ? hall_dbres_str(c, 0, "state") : "unknown";
        hall_val_set_str(req->pool, s, "serial", info.signers[i].serial);
        hall_val_set_str(req->pool, s, "subject", info.signers[i].subject);
        hall_val_set_str(req->pool, s, "state", st);
        /* the certificate's own state, named as such: beside a seal that
         * is 已替换 a bare 有效 read as the seal's */
        hall_val_set_str(req->pool, s, "state_label",
                         strcmp(st, "issued") == 0                               ? "证书有效"
                         : strcmp(st, "revoked") == 0 || strcmp(st, "void") == 0 ? "证书已吊销"
                                                                                 : "证书未登记");
        if (strcmp(st, "issued") != 0)
            problem(req, problems,
                    hall_psprintf(req->pool, "签章人证书 %s %s", info.signers[i].serial,
                                  strcmp(st, "unknown") == 0 ? "未在本系统登记" : "已吊销"));
    }
    if (info.nsigners == 0)
        problem(req, problems, "印章未列出签章人证书");
    valid = problems->first == NULL;
    hall_val_set_bool(req->pool, r, "valid", valid);
    hall_val_set_str(req->pool, r, "verdict", valid ? "印章有效" : "印章无效");
    hall_info(req, "msg=\"seseal verified\" es_id=%s valid=%d", info.es_id, valid);
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_str(req->pool, ctx, "title", "电子印章验证");
    return hall_resp_page(req, 200, "seal_verify", ctx);
}
