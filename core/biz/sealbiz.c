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
 * The write-intent of sealhold.c: (1) the seal's row locked, the owner and
 * the request checked, the certificate's intent committed; (2) signed, the
 * certificate and the SESeal; (3) stored in one transaction.  A second
 * request, parallel or later, finds the intent or the seal (409); a failure
 * after (1) voids the intent, and the seal waits for another request.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"

/* its statements are sealprod.c's (sh_lock, sh_read: the 个人章's too) */

/* what the three steps share */
struct biz {
    struct hall_ctx *cx;
    const char *es_id, *actor, **msg, **field;
    int64_t order_id, item_id, user_id;
    int position, years;
    const char *ca, *alg, *ca_pem, *cn, *org, *uscc, *sha256;
    unsigned char *png;
    size_t png_len;
    char serial[17];
    time_t nb, na;
    EVP_PKEY *pub;
    X509 *x;
};

/* the algorithm (ecdsa, sm2) and PEM of the CA named ca; NULL alg unknown */
static const char *
alg_of(const char *ca, const char **pem)
{
    const char *n, *alg, *p;
    int i;

    for (i = 0; ca != NULL && i < hall_pki_ca_count(); i++)
        if (hall_pki_ca_info(i, &n, &alg, &p) == HALL_OK && strcmp(n, ca) == 0) {
            *pem = p;
            return alg;
        }
    return NULL;
}

/* SZCA + 12 digits + B + 2 digits: the order and the position */
static int
es_parse(struct biz *b)
{
    const char *s = b->es_id;
    int i;

    if (s == NULL || strlen(s) != 19 || strncmp(s, "SZCA", 4) != 0 || s[16] != 'B')
        return HALL_ERR;
    for (i = 4; i < 19; i++)
        if (i != 16 && !isdigit((unsigned char)s[i]))
            return HALL_ERR;
    b->order_id = strtoll(s + 4, NULL, 10);
    b->position = atoi(s + 17);
    return b->order_id > 0 ? HALL_OK : HALL_ERR;
}

/* the 业务章's subject as production makes it (hall_sealprod_intent) */
static int
subject(struct biz *b, struct hall_dbres *res)
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
biz_judge(struct biz *b, struct hall_dbres *res)
{
    struct hall_ctx *cx = b->cx;

    b->item_id = hall_dbres_int(res, 0, "id");
    if (hall_dbres_int(res, 0, "user_id") != b->user_id) {
        *b->msg = "该印章不属于当前登录的申请人";
        return HALL_SEALBIZ_FORBIDDEN;
    }
    b->ca = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "ca"));
    b->alg = alg_of(b->ca, &b->ca_pem);
    if (b->alg == NULL || strcmp(b->alg, "sm2") != 0) {
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

/* 1. the owner and the request checked, the intent committed */
static int
biz_intent(struct biz *b, const unsigned char *csr, size_t csr_len)
{
    struct hall_ctx *cx = b->cx;
    struct hall_dbres *res, *r = NULL;
    int i, rc;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
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
    rc = biz_judge(b, res);
    if (rc != HALL_OK)
        return rc;
    rc = hall_csr_pop(cx, csr, csr_len, b->alg, &b->pub, &b->sha256, b->msg, b->field);
    if (rc != HALL_OK)
        return rc == HALL_CONFLICT ? HALL_SEALHOLD_BAD : rc;
    for (i = 0; i < 5; i++) {
        hall_pki_serial_draw(b->serial);
        r = hall_cert_intent(cx, b->serial, b->order_id, b->item_id, b->ca, b->cn, b->org, b->years,
                             0, 0);
        if (r == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(r) == 1)
            break;
    }
    if (i == 5)
        return HALL_ERR;
    b->nb = (time_t)hall_dbres_int(r, 0, "not_before_epoch");
    b->na = (time_t)hall_dbres_int(r, 0, "not_after_epoch");
    if (hall_audit(cx, b->actor, "certificate", b->serial, "intent", NULL, "intent", NULL) !=
        HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

/* 2. the certificate for the applicant's key, and the seal listing it */
static int
biz_sign(struct biz *b, struct hall_sealhold_out *out, time_t *start, time_t *end)
{
    struct hall_ctx *cx = b->cx;
    struct hall_seseal_in in;
    const unsigned char *certs[1];
    size_t lens[1];
    char err[512];
    time_t now = time(NULL);

    b->x = hall_pki_cert_for(cx, b->ca, b->serial, b->nb, b->na, HALL_PKI_PROFILE_SEAL, b->cn,
                             b->org, b->uscc, "", b->pub);
    out->der = b->x != NULL ? hall_pki_der(cx->pool, b->x, &out->der_len) : NULL;
    if (out->der == NULL)
        return HALL_ERR;
    if (hall_seseal_load(cx->conf, 1, err, sizeof(err)) != HALL_OK) {
        hall_err(cx, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    certs[0] = out->der;
    lens[0] = out->der_len;
    *start = now;
    *end = now + (time_t)b->years * 365 * 86400;
    if (*end > b->na)
        *end = b->na;
    memset(&in, 0, sizeof(in));
    in.es_id = b->es_id;
    in.type = 1; /* 单位印章 */
    in.name = hall_psprintf(cx->pool, "%s", b->cn);
    in.certs = certs;
    in.cert_lens = lens;
    in.ncerts = 1;
    in.created = now;
    in.valid_start = *start;
    in.valid_end = *end;
    in.png = b->png;
    in.png_len = b->png_len;
    in.width_mm = HALL_SEAL_MM;
    in.height_mm = HALL_SEAL_MM;
    out->seal = hall_seseal_make(cx->pool, &in, &out->seal_len);
    if (out->seal == NULL) {
        hall_err(cx, "msg=\"seal business key: seseal signing failed\" es_id=%s", b->es_id);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* 3. stored in one transaction: the certificate (no PKCS#12, key_origin
 * browser), where its key was born, the seal */
static int
biz_store(struct biz *b, const struct hall_sealhold_out *out, time_t start, time_t end)
{
    struct hall_ctx *cx = b->cx;
    struct hall_dbres *r;
    struct hall_val *born, *d;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    r = hall_cert_store_browser(cx, b->serial, out->der, out->der_len);
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0) {
        *b->msg = "证书签发超时，请刷新页面后重新生成";
        return HALL_CONFLICT;
    }
    born = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, born, "born", "browser");
    hall_val_set_str(cx->pool, born, "seal", b->es_id);
    hall_val_set_str(cx->pool, born, "csr_sha256", b->sha256);
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "key_origin", "browser");
    hall_val_set_str(cx->pool, d, "pop", "checked");
    hall_val_set_str(cx->pool, d, "csr_sha256", b->sha256);
    if (hall_audit(cx, b->actor, "certificate", b->serial, "key_born", NULL, NULL, born) !=
            HALL_OK ||
        hall_audit(cx, b->actor, "certificate", b->serial, "issue", "intent", "issued", d) !=
            HALL_OK)
        return HALL_ERR;
    if (hall_db_exec(cx, "sp_seseal_store", HALL_STR(b->es_id), HALL_I64(b->item_id),
                     HALL_I64(b->order_id), HALL_STR(b->serial), HALL_BIN(out->seal, out->seal_len),
                     HALL_I64(start), HALL_I64(end)) == NULL)
        return HALL_ERR;
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "cert_serial", b->serial);
    hall_val_set_fmt(cx->pool, d, "order_id", "%lld", (long long)b->order_id);
    if (hall_audit(cx, b->actor, "seseal", b->es_id, "make", NULL, "valid", d) != HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

int
hall_sealbiz_csr(struct hall_ctx *cx, const char *es_id, int64_t user_id, const unsigned char *csr,
                 size_t csr_len, const char *actor, struct hall_sealhold_out *out, const char **msg,
                 const char **field)
{
    struct biz b;
    time_t start = 0, end = 0;
    int rc, intent = 0;

    memset(&b, 0, sizeof(b));
    memset(out, 0, sizeof(*out));
    b.cx = cx;
    b.es_id = es_id;
    b.user_id = user_id;
    b.actor = actor;
    b.msg = msg;
    b.field = field;
    *field = NULL;
    *msg = "系统繁忙，请稍后再试";
    if (es_parse(&b) != HALL_OK) {
        *field = "es_id";
        *msg = "印章编码格式不正确：请填写机构业务章的印章编码（SZCA开头，第17位为B，共19位）";
        return HALL_SEALHOLD_BAD;
    }
    if (!hall_pki_can_sign())
        return HALL_ERR;
    if (hall_pki_token_ready("no certificate can be made") != HALL_OK) {
        *msg = "CA签名设备暂时不可用，请稍后再试";
        return HALL_ERR;
    }
    rc = biz_intent(&b, csr, csr_len);
    if (rc == HALL_OK) {
        intent = 1;
        rc = biz_sign(&b, out, &start, &end);
        if (rc == HALL_OK)
            rc = biz_store(&b, out, start, end);
    }
    if (cx->in_tx)
        hall_db_rollback(cx);
    if (rc != HALL_OK && intent) {
        /* signed or not, never stored: the serial is burnt (listed
         * revoked), the seal waits for another request */
        hall_err(cx, "msg=\"seal business key: certificate not stored\" es_id=%s serial=%s", es_id,
                 b.serial);
        if (hall_db_begin(cx) != HALL_OK || hall_cert_void(cx, b.serial, actor) != HALL_OK ||
            hall_db_commit(cx) != HALL_OK)
            hall_err(cx, "msg=\"seal business key: intent not voided\" serial=%s", b.serial);
        if (cx->in_tx)
            hall_db_rollback(cx);
    }
    if (rc == HALL_OK) {
        hall_info(cx, "msg=\"certificate issued\" seal=%s serial=%s ca=%s key=browser csr=%s",
                  es_id, b.serial, b.ca, b.sha256);
        out->serial = hall_pstrdup(cx->pool, b.serial);
        out->es_id = es_id;
        out->ca_pem = b.ca_pem;
        out->alg = b.alg;
        out->cn = b.cn;
    }
    X509_free(b.x);
    EVP_PKEY_free(b.pub);
    return rc;
}
