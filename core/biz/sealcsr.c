/*
 * sealcsr.c: a seal's certificate for a key born in a browser, and the
 * seal's SESeal listing it: the steps that a 机构个人章's holder
 * (sealhold.c) and an SM2 seal order's 机构业务章 (sealbiz.c) share
 * (docs/modules/seal.md, "The holder's own key"; issue 64 §2).
 *
 * The write-intent of core/biz/produce.c: (1) the seal's row locked and
 * judged by the caller (its code, its owner), the request checked (proof
 * of possession), the certificate's intent committed; (2) signed, the
 * certificate and the SESeal; (3) stored in one transaction.  A failure
 * after (1) voids the intent (the serial listed revoked), and the seal
 * waits for another request.  No private key of a holder exists in the
 * hall: the page assembles the PKCS#12 under the holder's own PIN.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ctype.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"
#include "biz/sealprod_int.h"

int
hall_sealcsr_es_parse(struct hall_sealcsr *k, char kind)
{
    const char *s = k->es_id;
    int i;

    if (s == NULL || strlen(s) != 19 || strncmp(s, "SZCA", 4) != 0 || s[16] != kind)
        return HALL_ERR;
    for (i = 4; i < 19; i++)
        if (i != 16 && !isdigit((unsigned char)s[i]))
            return HALL_ERR;
    k->order_id = strtoll(s + 4, NULL, 10);
    k->position = atoi(s + 17);
    return k->order_id > 0 ? HALL_OK : HALL_ERR;
}

int
hall_sealcsr_ca(struct hall_sealcsr *k)
{
    const char *n;
    int i;

    for (i = 0; k->ca != NULL && i < hall_pki_ca_count(); i++)
        if (hall_pki_ca_info(i, &n, &k->alg, &k->ca_pem) == HALL_OK && strcmp(n, k->ca) == 0)
            return HALL_OK;
    k->alg = NULL;
    return HALL_ERR;
}

/* 1, after the caller's judge: the request checked, the intent committed */
static int
sealcsr_intent(struct hall_sealcsr *k, const unsigned char *csr, size_t csr_len)
{
    struct hall_ctx *cx = k->cx;
    int rc;

    rc = hall_csr_pop(cx, csr, csr_len, k->alg, &k->pub, &k->sha256, k->msg, k->field);
    if (rc != HALL_OK)
        return rc == HALL_CONFLICT ? HALL_SEALHOLD_BAD : rc;
    if (hall_cert_intent_drawn(cx, k->serial, k->order_id, k->item_id, k->ca, k->cn, k->org,
                               k->years, 0, 0, k->actor, &k->nb, &k->na) != HALL_OK)
        return HALL_ERR;
    /* one certificate a public key (sql/192), for anyone, valid or revoked */
    rc = hall_cert_spki_claim(cx, k->serial, k->pub);
    if (rc == HALL_CONFLICT) {
        *k->msg = HALL_PKI_SPKI_TAKEN;
        *k->field = "csr";
        return HALL_SEALHOLD_BAD;
    }
    if (rc != HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

/* 2. the certificate for the browser's key, and the seal listing it */
static int
sealcsr_sign(struct hall_sealcsr *k, struct hall_sealhold_out *out, time_t *start, time_t *end)
{
    struct hall_ctx *cx = k->cx;
    struct hall_seseal_in in;
    const unsigned char *certs[1];
    size_t lens[1];
    time_t now = time(NULL);

    k->x = hall_pki_cert_for(cx, k->ca, k->serial, k->nb, k->na, HALL_PKI_PROFILE_SEAL, k->cn,
                             k->org, k->uscc, k->ric != NULL ? k->ric : "", k->pub);
    out->der = k->x != NULL ? hall_pki_der(cx->pool, k->x, &out->der_len) : NULL;
    if (out->der == NULL || hall_sealprod_signer_ready(cx) != HALL_OK)
        return HALL_ERR;
    certs[0] = out->der;
    lens[0] = out->der_len;
    *start = now;
    *end = now + (time_t)k->years * 365 * 86400;
    if (*end > k->na)
        *end = k->na;
    hall_sealprod_seal_in(&in, k->es_id, certs, lens, now, *start, *end);
    in.type = k->seal_type;
    in.name = k->cn;
    in.png = k->png;
    in.png_len = k->png_len;
    in.width_mm = HALL_SEAL_MM;
    in.height_mm = HALL_SEAL_MM;
    out->seal = hall_seseal_make(cx->pool, &in, &out->seal_len);
    if (out->seal == NULL) {
        hall_err(cx, "msg=\"%s: seseal signing failed\" es_id=%s", k->what, k->es_id);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* 3. stored in one transaction: the certificate (no PKCS#12, key_origin
 * browser), where its key was born, the seal, the caller's made_stmt */
static int
sealcsr_store(struct hall_sealcsr *k, const struct hall_sealhold_out *out, time_t start, time_t end)
{
    struct hall_ctx *cx = k->cx;
    struct hall_dbres *r;
    struct hall_val *born, *d;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    r = hall_cert_store_browser(cx, k->serial, out->der, out->der_len);
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0) {
        *k->msg = "证书签发超时，请刷新页面后重新生成";
        return HALL_CONFLICT;
    }
    born = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, born, "born", "browser");
    hall_val_set_str(cx->pool, born, "seal", k->es_id);
    hall_val_set_str(cx->pool, born, "csr_sha256", k->sha256);
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "key_origin", "browser");
    hall_val_set_str(cx->pool, d, "pop", "checked");
    hall_val_set_str(cx->pool, d, "csr_sha256", k->sha256);
    if (hall_audit(cx, k->actor, "certificate", k->serial, "key_born", NULL, NULL, born) !=
            HALL_OK ||
        hall_audit(cx, k->actor, "certificate", k->serial, "issue", "intent", "issued", d) !=
            HALL_OK)
        return HALL_ERR;
    if (hall_db_exec(cx, "sp_seseal_store", HALL_STR(k->es_id), HALL_I64(k->item_id),
                     HALL_I64(k->order_id), HALL_STR(k->serial), HALL_BIN(out->seal, out->seal_len),
                     HALL_I64(start), HALL_I64(end)) == NULL)
        return HALL_ERR;
    if (k->made_stmt != NULL) {
        r = hall_db_exec(cx, k->made_stmt, HALL_I64(k->item_id));
        if (r == NULL || hall_dbres_rows(r) != 1)
            return HALL_ERR;
    }
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "cert_serial", k->serial);
    hall_val_set_fmt(cx->pool, d, "order_id", "%lld", (long long)k->order_id);
    if (hall_audit(cx, k->actor, "seseal", k->es_id, "make", NULL, "valid", d) != HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

int
hall_sealcsr_run(struct hall_sealcsr *k, int (*judge)(struct hall_sealcsr *k, void *arg), void *arg,
                 const unsigned char *csr, size_t csr_len, struct hall_sealhold_out *out)
{
    struct hall_ctx *cx = k->cx;
    time_t start = 0, end = 0;
    int rc, intent = 0;

    if (!hall_pki_can_sign())
        return HALL_ERR;
    if (hall_pki_token_ready("no certificate can be made") != HALL_OK) {
        *k->msg = "CA签名设备暂时不可用，请稍后再试";
        return HALL_ERR;
    }
    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    rc = judge(k, arg);
    if (rc == HALL_OK)
        rc = sealcsr_intent(k, csr, csr_len);
    if (rc == HALL_OK) {
        intent = 1;
        rc = sealcsr_sign(k, out, &start, &end);
        if (rc == HALL_OK)
            rc = sealcsr_store(k, out, start, end);
    }
    if (cx->in_tx)
        hall_db_rollback(cx);
    if (rc != HALL_OK && intent) {
        /* signed or not, never stored: the serial is burnt (listed
         * revoked), the seal waits for another request */
        hall_err(cx, "msg=\"%s: certificate not stored\" es_id=%s serial=%s", k->what, k->es_id,
                 k->serial);
        if (hall_db_begin(cx) != HALL_OK || hall_cert_void(cx, k->serial, k->actor) != HALL_OK ||
            hall_db_commit(cx) != HALL_OK)
            hall_err(cx, "msg=\"%s: intent not voided\" serial=%s", k->what, k->serial);
        if (cx->in_tx)
            hall_db_rollback(cx);
    }
    if (rc == HALL_OK) {
        hall_info(cx, "msg=\"certificate issued\" seal=%s serial=%s ca=%s key=browser csr=%s",
                  k->es_id, k->serial, k->ca, k->sha256);
        out->serial = hall_pstrdup(cx->pool, k->serial);
        out->es_id = k->es_id;
        out->ca_pem = k->ca_pem;
        out->alg = k->alg;
        out->cn = k->cn;
    }
    X509_free(k->x);
    EVP_PKEY_free(k->pub);
    k->x = NULL;
    k->pub = NULL;
    return rc;
}
