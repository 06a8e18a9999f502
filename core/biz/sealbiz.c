/*
 * An SM2 seal order's 机构业务章: its key born in the browser of the
 * organisation's applicant (docs/modules/seal.md, "The holder's own key";
 * issue 64 §2).  No medium signs with SM2 (core/biz/produce.c, medium_fits)
 * and the hall makes no subscriber key, so the production of an SM2 seal
 * order makes no certificate for its 业务章 (sealprod.c leaves them
 * waiting); the order's owner, logged in, makes a key pair in the browser
 * (the SM2 library 在线盖章 loads), signs a PKCS#10 request and posts it
 * with the seal's code (POST /pki/seal-key); the hall checks the request
 * (proof of possession), certifies its key as the 机构业务证书 (the subject
 * the production's: CN 机构名称 + 印章名称, O the unit, its USCC; never the
 * request's), makes the seal's SESeal listing it and answers both.
 *
 * The steps are sealcsr.c's (the write-intent, shared with sealhold.c);
 * this file judges the seal's row: its owner, its CA, made or not.  A
 * second request, parallel or later, finds the intent or the seal (409); a
 * failure after the intent voids it, and the seal waits for another
 * request.
 */
#include <string.h>

#include "biz/biz.h"
#include "biz/sealprod_int.h"

/* its statements are sealprod.c's (sh_lock, sh_read: the 个人章's too) */

/* the 业务章's subject as production makes it (hall_sealprod_intent) */
static int
subject(struct hall_sealcsr *b, struct hall_dbres *res)
{
    struct hall_ctx *cx = b->cx;
    struct hall_val *form = hall_dbres_pii_json(cx, res, 0, hall_dbres_col(res, "form_enc"));
    const char *cn, *ric, *seal_name = hall_dbres_str(res, 0, "seal_name");
    const char *name;
    size_t n = 0;

    if (form == NULL || form->type != HALL_V_OBJ)
        return HALL_ERR;
    hall_produce_subject("org", form, hall_dbres_str(res, 0, "subject"), &cn, &b->org, &b->uscc,
                         &ric);
    name = hall_psprintf(cx->pool, "%s%s", b->org, seal_name);
    for (cn = name; *cn != '\0'; cn++)
        n += ((unsigned char)*cn & 0xc0) != 0x80;
    /* CN at most 64 characters (certificates.subject_cn) */
    b->cn = n <= 64 ? name : hall_pstrdup(cx->pool, seal_name);
    return *b->org != '\0' ? HALL_OK : HALL_ERR;
}

/* the row read and judged: whose, which CA, made or not */
static int
biz_judge(struct hall_sealcsr *b, struct hall_dbres *res, int64_t user_id)
{
    struct hall_ctx *cx = b->cx;

    b->item_id = hall_dbres_int(res, 0, "id");
    if (hall_dbres_int(res, 0, "user_id") != user_id) {
        *b->msg = "该印章不属于当前登录的申请人";
        return HALL_SEALBIZ_FORBIDDEN;
    }
    b->ca = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "ca"));
    if (hall_sealcsr_ca(b) != HALL_OK || strcmp(b->alg, "sm2") != 0) {
        *b->msg = "该印章的密钥在USB Key中生成，不在浏览器中生成";
        return HALL_CONFLICT;
    }
    if (hall_dbres_bool(res, 0, "made")) {
        *b->msg = "该机构业务章的密钥已生成、证书已签发，请勿重复提交：证书文件只保存在生成它的"
                  "浏览器所在电脑中";
        return HALL_CONFLICT;
    }
    if (hall_dbres_bool(res, 0, "pending")) {
        *b->msg = "该机构业务章的证书正在签发，请勿重复提交";
        return HALL_CONFLICT;
    }
    if (!hall_dbres_bool(res, 0, "produced")) {
        /* the order's 机构证书, its key born in the same browser first */
        *b->msg = "该业务单的机构证书尚未签发：请先在业务单详情中生成密钥并下载证书，"
                  "再生成印章密钥";
        return HALL_CONFLICT;
    }
    b->years = (int)hall_dbres_int(res, 0, "years");
    b->png = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "image_png"), &b->png_len);
    if (b->png == NULL || subject(b, res) != HALL_OK) {
        hall_err(cx, "msg=\"seal business key: seal unreadable\" es_id=%s", b->es_id);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* 1. the seal's row locked, read and judged */
static int
biz_lock(struct hall_sealcsr *b, void *arg)
{
    struct hall_ctx *cx = b->cx;
    struct hall_dbres *res;

    res = hall_db_exec(cx, "sh_lock", HALL_I64(b->order_id), HALL_I64(b->position),
                       HALL_STR("org_business"));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        *b->field = "es_id";
        *b->msg = "印章编码不存在：请核对我的电子印章中的印章编码";
        return HALL_SEALBIZ_NOTFOUND;
    }
    res = hall_db_exec(cx, "sh_read", HALL_I64(hall_dbres_int(res, 0, "id")));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    return biz_judge(b, res, *(const int64_t *)arg);
}

int
hall_sealbiz_csr(struct hall_ctx *cx, const char *es_id, int64_t user_id, const unsigned char *csr,
                 size_t csr_len, const char *actor, struct hall_sealhold_out *out, const char **msg,
                 const char **field)
{
    struct hall_sealcsr b;

    memset(&b, 0, sizeof(b));
    memset(out, 0, sizeof(*out));
    b.cx = cx;
    b.es_id = es_id;
    b.actor = actor;
    b.msg = msg;
    b.field = field;
    b.seal_type = 1; /* 单位印章 */
    b.what = "seal business key";
    *field = NULL;
    *msg = "系统繁忙，请稍后再试";
    if (hall_sealcsr_es_parse(&b, 'B') != HALL_OK) {
        *field = "es_id";
        *msg = "印章编码格式不正确：请填写机构业务章的印章编码（SZCA开头，第17位为B，共19位）";
        return HALL_SEALHOLD_BAD;
    }
    return hall_sealcsr_run(&b, biz_lock, &user_id, csr, csr_len, out);
}
