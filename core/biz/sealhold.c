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
 * The write-intent of core/biz/produce.c: (1) the seal's row locked, the
 * code and the request checked, the certificate's intent committed; (2)
 * signed, the certificate and the SESeal; (3) stored, with the code used,
 * in one transaction.  A second request, parallel or later, finds the
 * intent (409) or the code used (410); a failure after (1) voids the
 * intent and leaves the code for another try.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ctype.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"

/* its statements are sealprod.c's (sh_*: hall_sealprod_stmts), as is
 * hall_sealhold_send, production's step */

/* what the three steps share */
struct held {
    struct hall_ctx *cx;
    const char *es_id, *actor, **msg, **field;
    int64_t order_id, item_id;
    int position, years;
    const char *ca, *alg, *ca_pem, *cn, *org, *uscc, *ric, *sha256;
    unsigned char *png;
    size_t png_len;
    char serial[17];
    time_t nb, na;
    EVP_PKEY *pub;
    X509 *x;
};

/* SZCA + 12 digits + P + 2 digits: the order and the position */
static int
es_parse(struct held *h)
{
    const char *s = h->es_id;
    int i;

    if (s == NULL || strlen(s) != 19 || strncmp(s, "SZCA", 4) != 0 || s[16] != 'P')
        return HALL_ERR;
    for (i = 4; i < 19; i++)
        if (i != 16 && !isdigit((unsigned char)s[i]))
            return HALL_ERR;
    h->order_id = strtoll(s + 4, NULL, 10);
    h->position = atoi(s + 17);
    return h->order_id > 0 ? HALL_OK : HALL_ERR;
}

/* the CA's algorithm and PEM */
static int
ca_of(struct held *h)
{
    const char *n;
    int i;

    for (i = 0; i < hall_pki_ca_count(); i++)
        if (hall_pki_ca_info(i, &n, &h->alg, &h->ca_pem) == HALL_OK && strcmp(n, h->ca) == 0)
            return HALL_OK;
    return HALL_ERR;
}

/* the holder and the unit: the holder's name and ID number (holder_enc),
 * the unit's name and code (the order's form, as production reads them) */
static int
subject(struct held *h, struct hall_dbres *res)
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

/* 1. the code and the request checked, the intent committed */
static int
held_intent(struct held *h, const char *code, const unsigned char *csr, size_t csr_len)
{
    struct hall_ctx *cx = h->cx;
    struct hall_dbres *res, *r = NULL;
    const unsigned char *stored;
    unsigned char mac[32];
    size_t len;
    int i, rc;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
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
    if (ca_of(h) != HALL_OK || h->png == NULL || subject(h, res) != HALL_OK) {
        hall_err(cx, "msg=\"seal holder key: seal unreadable\" es_id=%s", h->es_id);
        return HALL_ERR;
    }
    rc = hall_csr_pop(cx, csr, csr_len, h->alg, &h->pub, &h->sha256, h->msg, h->field);
    if (rc != HALL_OK)
        return rc == HALL_CONFLICT ? HALL_SEALHOLD_BAD : rc;
    for (i = 0; i < 5; i++) {
        hall_pki_serial_draw(h->serial);
        r = hall_cert_intent(cx, h->serial, h->order_id, h->item_id, h->ca, h->cn, h->org, h->years,
                             0, 0);
        if (r == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(r) == 1)
            break;
    }
    if (i == 5)
        return HALL_ERR;
    /* one certificate a public key (sql/192), for anyone, valid or revoked */
    rc = hall_cert_spki_claim(cx, h->serial, h->pub);
    if (rc == HALL_CONFLICT) {
        *h->msg = HALL_PKI_SPKI_TAKEN;
        *h->field = "csr";
        return HALL_SEALHOLD_BAD;
    }
    if (rc != HALL_OK)
        return HALL_ERR;
    h->nb = (time_t)hall_dbres_int(r, 0, "not_before_epoch");
    h->na = (time_t)hall_dbres_int(r, 0, "not_after_epoch");
    if (hall_audit(cx, h->actor, "certificate", h->serial, "intent", NULL, "intent", NULL) !=
        HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

/* 2. the certificate for the holder's key, and the seal listing it */
static int
held_sign(struct held *h, struct hall_sealhold_out *out, time_t *start, time_t *end)
{
    struct hall_ctx *cx = h->cx;
    struct hall_seseal_in in;
    const unsigned char *certs[1];
    size_t lens[1];
    char err[512];
    time_t now = time(NULL);

    h->x = hall_pki_cert_for(cx, h->ca, h->serial, h->nb, h->na, HALL_PKI_PROFILE_SEAL, h->cn,
                             h->org, h->uscc, h->ric, h->pub);
    out->der = h->x != NULL ? hall_pki_der(cx->pool, h->x, &out->der_len) : NULL;
    if (out->der == NULL)
        return HALL_ERR;
    if (hall_seseal_load(cx->conf, 1, err, sizeof(err)) != HALL_OK) {
        hall_err(cx, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    certs[0] = out->der;
    lens[0] = out->der_len;
    *start = now;
    *end = now + (time_t)h->years * 365 * 86400;
    if (*end > h->na)
        *end = h->na;
    memset(&in, 0, sizeof(in));
    in.es_id = h->es_id;
    in.type = 2; /* 个人印章 */
    in.name = h->cn;
    in.certs = certs;
    in.cert_lens = lens;
    in.ncerts = 1;
    in.created = now;
    in.valid_start = *start;
    in.valid_end = *end;
    in.png = h->png;
    in.png_len = h->png_len;
    in.width_mm = HALL_SEAL_MM;
    in.height_mm = HALL_SEAL_MM;
    out->seal = hall_seseal_make(cx->pool, &in, &out->seal_len);
    if (out->seal == NULL) {
        hall_err(cx, "msg=\"seal holder key: seseal signing failed\" es_id=%s", h->es_id);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* 3. stored in one transaction: the certificate (no PKCS#12, key_origin
 * browser), where its key was born, the seal, the code used */
static int
held_store(struct held *h, const struct hall_sealhold_out *out, time_t start, time_t end)
{
    struct hall_ctx *cx = h->cx;
    struct hall_dbres *r;
    struct hall_val *born, *d;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    r = hall_cert_store_browser(cx, h->serial, out->der, out->der_len);
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0) {
        *h->msg = "证书签发超时，请刷新页面后重新生成";
        return HALL_CONFLICT;
    }
    born = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, born, "born", "browser");
    hall_val_set_str(cx->pool, born, "seal", h->es_id);
    hall_val_set_str(cx->pool, born, "csr_sha256", h->sha256);
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "key_origin", "browser");
    hall_val_set_str(cx->pool, d, "pop", "checked");
    hall_val_set_str(cx->pool, d, "csr_sha256", h->sha256);
    if (hall_audit(cx, h->actor, "certificate", h->serial, "key_born", NULL, NULL, born) !=
            HALL_OK ||
        hall_audit(cx, h->actor, "certificate", h->serial, "issue", "intent", "issued", d) !=
            HALL_OK)
        return HALL_ERR;
    if (hall_db_exec(cx, "sp_seseal_store", HALL_STR(h->es_id), HALL_I64(h->item_id),
                     HALL_I64(h->order_id), HALL_STR(h->serial), HALL_BIN(out->seal, out->seal_len),
                     HALL_I64(start), HALL_I64(end)) == NULL)
        return HALL_ERR;
    r = hall_db_exec(cx, "sh_made", HALL_I64(h->item_id));
    if (r == NULL || hall_dbres_rows(r) != 1)
        return HALL_ERR;
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "cert_serial", h->serial);
    hall_val_set_fmt(cx->pool, d, "order_id", "%lld", (long long)h->order_id);
    if (hall_audit(cx, h->actor, "seseal", h->es_id, "make", NULL, "valid", d) != HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

int
hall_sealhold_csr(struct hall_ctx *cx, const char *es_id, const char *code,
                  const unsigned char *csr, size_t csr_len, const char *actor,
                  struct hall_sealhold_out *out, const char **msg, const char **field)
{
    struct held h;
    time_t start = 0, end = 0;
    int rc, intent = 0;

    memset(&h, 0, sizeof(h));
    memset(out, 0, sizeof(*out));
    h.cx = cx;
    h.es_id = es_id;
    h.actor = actor;
    h.msg = msg;
    h.field = field;
    *field = NULL;
    *msg = "系统繁忙，请稍后再试";
    if (es_parse(&h) != HALL_OK) {
        *field = "es_id";
        *msg = "印章编码格式不正确：请填写短信中的印章编码（SZCA开头，19位）";
        return HALL_SEALHOLD_BAD;
    }
    if (!hall_pki_can_sign())
        return HALL_ERR;
    if (hall_pki_token_ready("no certificate can be made") != HALL_OK) {
        *msg = "CA签名设备暂时不可用，请稍后再试";
        return HALL_ERR;
    }
    rc = held_intent(&h, code, csr, csr_len);
    if (rc == HALL_OK) {
        intent = 1;
        rc = held_sign(&h, out, &start, &end);
        if (rc == HALL_OK)
            rc = held_store(&h, out, start, end);
    }
    if (cx->in_tx)
        hall_db_rollback(cx);
    if (rc != HALL_OK && intent) {
        /* signed or not, never stored: the serial is burnt (listed revoked),
         * the code kept for another try */
        hall_err(cx, "msg=\"seal holder key: certificate not stored\" es_id=%s serial=%s", es_id,
                 h.serial);
        if (hall_db_begin(cx) != HALL_OK || hall_cert_void(cx, h.serial, actor) != HALL_OK ||
            hall_db_commit(cx) != HALL_OK)
            hall_err(cx, "msg=\"seal holder key: intent not voided\" serial=%s", h.serial);
        if (cx->in_tx)
            hall_db_rollback(cx);
    }
    if (rc == HALL_OK) {
        hall_info(cx, "msg=\"certificate issued\" seal=%s serial=%s ca=%s key=browser csr=%s",
                  es_id, h.serial, h.ca, h.sha256);
        out->serial = hall_pstrdup(cx->pool, h.serial);
        out->es_id = es_id;
        out->ca_pem = h.ca_pem;
        out->alg = h.alg;
        out->cn = h.cn;
    }
    X509_free(h.x);
    EVP_PKEY_free(h.pub);
    return rc;
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
