/*
 * A 机构个人章's key born in its holder's browser (docs/modules/seal.md,
 * "The holder's own key"; issue 64 §2).  The production of a seal order
 * makes no certificate for a 机构个人章: it sends the holder, to the phone
 * verified at the application, a code (hall_sealhold_send).  On
 * /seal/holder the holder's browser makes the key pair (WebCrypto P-256,
 * or SM2 with the library 在线盖章 uses), signs a PKCS#10 request and posts
 * it with the seal's code and the SMS's code; the hall checks the request
 * (proof of possession), certifies its key as the 机构个人证书 (the subject
 * the holder's, never the request's), makes the seal's SESeal listing it
 * and answers both; the page assembles the PKCS#12 under the holder's own
 * PIN.  No private key of the holder ever exists in the hall.
 *
 * The steps are sealcsr.c's (the write-intent of core/biz/produce.c,
 * shared with sealbiz.c); this file judges the seal's row and the SMS's
 * code, and the code is used in the store's transaction (sh_made).  A
 * second request, parallel or later, finds the intent (409) or the code
 * used (410); a failure after the intent voids it and leaves the code for
 * another try.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "biz/biz.h"
#include "biz/sealprod_int.h"

/* its statements are sealprod.c's (sh_*: hall_sealprod_stmts), as is
 * hall_sealhold_send, production's step */

/* the holder and the unit: the holder's name and ID number (holder_enc),
 * the unit's name and code (the order's form, as production reads them) */
static int
subject(struct hall_sealcsr *h, struct hall_dbres *res)
{
    struct hall_ctx *cx = h->cx;
    size_t len;
    unsigned char *enc = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "holder_enc"), &len);
    char *json = enc != NULL ? hall_pii_decrypt(cx->pool, enc, len) : NULL;
    struct hall_val *v =
        json != NULL ? hall_val_parse(cx->pool, json, strlen(json), NULL, 0) : NULL;
    struct hall_val *form = hall_dbres_pii_json(cx, res, 0, hall_dbres_col(res, "form_enc"));
    const char *cn, *ric;

    if (v == NULL || form == NULL || form->type != HALL_V_OBJ)
        return HALL_ERR;
    hall_produce_subject("org_person", form, hall_dbres_str(res, 0, "subject"), &cn, &h->org,
                         &h->uscc, &ric);
    h->cn = hall_val_str(v, "name");
    h->ric = hall_val_str(v, "ric");
    return *h->cn != '\0' && *h->org != '\0' ? HALL_OK : HALL_ERR;
}

/* 1. the seal's row locked and read, the code checked */
static int
held_judge(struct hall_sealcsr *h, void *arg)
{
    struct hall_ctx *cx = h->cx;
    const char *code = arg;
    struct hall_dbres *res;
    const unsigned char *stored;
    unsigned char mac[32];
    size_t len;

    res = hall_db_exec(cx, "sh_lock", HALL_I64(h->order_id), HALL_I64(h->position),
                       HALL_STR("org_person"));
    if (res == NULL)
        return HALL_ERR;
    *h->field = "code";
    *h->msg = "印章编码或验证码不正确，请核对短信";
    if (hall_dbres_rows(res) == 0)
        return HALL_SEALHOLD_BAD;
    res = hall_db_exec(cx, "sh_read", HALL_I64(hall_dbres_int(res, 0, "id")));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    h->item_id = hall_dbres_int(res, 0, "id");
    if (hall_dbres_bool(res, 0, "made")) {
        *h->msg = "该机构个人章的密钥已生成、证书已签发，验证码已失效：证书文件只保存在生成它的浏览"
                  "器所在电脑中";
        return HALL_SEALHOLD_USED;
    }
    stored = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "key_code_mac"), &len);
    if (stored == NULL)
        return HALL_SEALHOLD_BAD; /* not produced yet */
    if (hall_dbres_int(res, 0, "key_code_tries") >= 10) {
        *h->msg = "验证码错误次数过多，已锁定：请联系申请单位的经办人";
        return HALL_SEALHOLD_LOCKED;
    }
    if (hall_seal_key_code_mac(h->es_id, code, mac) != HALL_OK || len != 32 ||
        !hall_ct_equal(stored, mac, 32)) {
        if (hall_db_exec(cx, "sh_code_fail", HALL_I64(h->item_id)) == NULL ||
            hall_db_commit(cx) != HALL_OK)
            return HALL_ERR;
        hall_warn(cx, "msg=\"seal holder key: wrong code\" es_id=%s", h->es_id);
        return HALL_SEALHOLD_BAD;
    }
    *h->field = NULL;
    *h->msg = "系统繁忙，请稍后再试";
    if (hall_dbres_bool(res, 0, "pending")) {
        *h->msg = "该机构个人章的证书正在签发，请勿重复提交";
        return HALL_CONFLICT;
    }
    h->ca = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "ca"));
    h->years = (int)hall_dbres_int(res, 0, "years");
    h->png = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "image_png"), &h->png_len);
    if (hall_sealcsr_ca(h) != HALL_OK || h->png == NULL || subject(h, res) != HALL_OK) {
        hall_err(cx, "msg=\"seal holder key: seal unreadable\" es_id=%s", h->es_id);
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_sealhold_csr(struct hall_ctx *cx, const char *es_id, const char *code,
                  const unsigned char *csr, size_t csr_len, const char *actor,
                  struct hall_sealhold_out *out, const char **msg, const char **field)
{
    struct hall_sealcsr h;

    memset(&h, 0, sizeof(h));
    memset(out, 0, sizeof(*out));
    h.cx = cx;
    h.es_id = es_id;
    h.actor = actor;
    h.msg = msg;
    h.field = field;
    h.seal_type = 2; /* 个人印章 */
    h.what = "seal holder key";
    h.made_stmt = "sh_made";
    *field = NULL;
    *msg = "系统繁忙，请稍后再试";
    if (hall_sealcsr_es_parse(&h, 'P') != HALL_OK) {
        *field = "es_id";
        *msg = "印章编码格式不正确：请填写短信中的印章编码（SZCA开头，19位）";
        return HALL_SEALHOLD_BAD;
    }
    return hall_sealcsr_run(&h, held_judge, (void *)code, csr, csr_len, out);
}

/* ---- a 机构个人章 holder's phone checked at the application (sql/053) ---- */

int
hall_seal_holder_code_store(struct hall_ctx *cx, int64_t id, const unsigned char mac[32],
                            long ttl_s, const unsigned char idx[32])
{
    return hall_db_exec(cx, "seal_holder_code_store", HALL_I64(id), HALL_BIN(mac, 32),
                        HALL_I64(ttl_s), HALL_BIN(idx, 32)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_seal_holder_code_fail(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "seal_holder_code_fail", HALL_I64(id)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_seal_holder_verified(struct hall_ctx *cx, int64_t id, const unsigned char idx[32])
{
    return hall_db_exec(cx, "seal_holder_verified", HALL_I64(id), HALL_BIN(idx, 32)) != NULL
               ? HALL_OK
               : HALL_ERR;
}
