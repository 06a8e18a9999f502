/*
 * Made in the browser (docs/internals/pki.md, "Made in the browser"; issue
 * 64 §2): the certificate of an accepted order of a product whose key is
 * born in the holder's browser (products.key_origin 'browser', sql/151).
 * The holder's page generates the key pair (WebCrypto P-256, or SM2 with
 * the library 在线盖章 uses), signs a PKCS#10 request with it and posts the
 * request; the hall checks the proof of possession (the request's
 * signature under its own key) and that the key is of the product's
 * algorithm, certifies that key with the subject and extensions of the
 * ORDER (the request's subject and attributes are never read), and answers
 * the certificate with its issuing CA's.  The page assembles the PKCS#12
 * under the holder's own PIN; the hall never holds the private key, so the
 * certificate has no p12_enc (certificates_key_origin_custody, sql/153) and its key
 * origin is 'browser'.
 *
 * A certificate made in the browser stays in the browser (sql/160,
 * order_key_origin): its 证书更新, 证书变更, 介质遗失补办 and 证书解锁 (a
 * file cannot be unlocked: a new key, a new certificate) are made here
 * too, the order's flow deciding the subject, the validity and the CA
 * exactly as 制作证书 would (hall_produce_replacing): 更新 from the old
 * end, 补办 (the old one revoked when staff approved) and 变更 / 解锁 to
 * the old end, 变更 with the form's new subject, 变更 / 解锁 revoking the
 * old one as superseded in the transaction that stores the new one.
 * An order with seals (an SM2 电子签章申请, a 新办 with its 电子签章) has
 * them made in the same steps, and a replaced certificate's seals are made
 * again on the new one (core/biz/produce_csr_seal.c).
 *
 * The write-intent of core/biz/produce.c, in the same three steps: (1) the
 * order locked (its owner's only), the request checked, the serial's intent
 * committed; (2) signed; (3) stored with the order's moves accepted ->
 * issued -> delivered (nothing to mail: the holder has it) in one
 * transaction.  A second request for the order, parallel or later, finds
 * the live certificate or the moved order: 409.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"

#define SM2_ID "1234567812345678" /* GM/T 0009's default signer ID */

/* one production from a request: what its steps share */
struct csr_made {
    struct hall_ctx *cx;
    int64_t order_id, user_id;
    const char *actor, **msg, **field;
    const char *ca, *alg, *cert_type, *sha256;
    const char *cn, *org, *uscc, *ric;
    const char *business, *replaces, *superseded_ca;
    int years, supersede, remade;
    int64_t from, until;
    char serial[17];
    time_t nb, na;
    EVP_PKEY *pub;
    X509 *x;
    struct hall_csrseal *seals; /* produce_csr_seal.c */
};

/* the issuing CA called name: its algorithm (ecdsa, sm2) and PEM */
static int
ca_of(const char *name, const char **alg, const char **pem)
{
    const char *n;
    int i;

    for (i = 0; name != NULL && i < hall_pki_ca_count(); i++)
        if (hall_pki_ca_info(i, &n, alg, pem) == HALL_OK && strcmp(n, name) == 0)
            return HALL_OK;
    return HALL_ERR;
}

/* the request's key is of the CA's algorithm: P-256 for ecdsa, SM2 for sm2 */
static int
key_fits(EVP_PKEY *pub, const char *alg)
{
    char curve[32] = "";

    if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
                                       NULL) != 1)
        return 0;
    if (strcmp(alg, "sm2") == 0)
        return strcmp(curve, "SM2") == 0;
    return EVP_PKEY_is_a(pub, "EC") && strcmp(curve, "prime256v1") == 0;
}

/* the proof of possession: der is one PKCS#10 request whose signature its
 * own key verifies (SM2 with GM/T 0009's default ID), and that key is of
 * the CA's algorithm; HALL_CONFLICT with *msg naming the field otherwise */
static int
csr_check(struct csr_made *m, const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    EVP_PKEY *pub = req != NULL ? X509_REQ_get_pubkey(req) : NULL;
    ASN1_OCTET_STRING *id = NULL;
    unsigned char h[32];
    int ok;

    *m->field = "csr";
    if (req == NULL || p != der + len || pub == NULL) {
        *m->msg = "证书请求（csr）无法解析：请提交浏览器生成的PKCS#10证书请求";
        goto bad;
    }
    if (!key_fits(pub, m->alg)) {
        *m->msg = strcmp(m->alg, "sm2") == 0
                      ? "证书请求（csr）的公钥不是SM2密钥：该产品签发SM2证书"
                      : "证书请求（csr）的公钥不是ECC P-256密钥：该产品签发ECC证书";
        goto bad;
    }
    if (strcmp(m->alg, "sm2") == 0) {
        id = ASN1_OCTET_STRING_new();
        if (id == NULL ||
            ASN1_OCTET_STRING_set(id, (const unsigned char *)SM2_ID, (int)strlen(SM2_ID)) != 1) {
            ASN1_OCTET_STRING_free(id);
            goto err;
        }
        X509_REQ_set0_distinguishing_id(req, id);
    }
    ok = X509_REQ_verify(req, pub) == 1;
    if (!ok) {
        *m->msg = "证书请求（csr）的签名不能用其公钥验证：请求不是由该密钥签署的（未证明持有私钥）";
        goto bad;
    }
    EVP_Digest(der, len, h, NULL, EVP_sha256(), NULL);
    m->sha256 = hall_hex(m->cx->pool, h, sizeof(h));
    m->pub = pub;
    X509_REQ_free(req);
    return HALL_OK;
bad:
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    return HALL_CONFLICT;
err:
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    return HALL_ERR;
}

int
hall_csr_pop(struct hall_ctx *cx, const unsigned char *der, size_t len, const char *alg,
             EVP_PKEY **pub, const char **sha256, const char **msg, const char **field)
{
    struct csr_made m;
    int rc;

    memset(&m, 0, sizeof(m));
    m.cx = cx;
    m.alg = alg;
    m.msg = msg;
    m.field = field;
    rc = csr_check(&m, der, len);
    *pub = m.pub;
    *sha256 = m.sha256;
    return rc;
}

/* the order, locked: its owner's, accepted, of a browser product, no live
 * certificate.  HALL_CSR_NOT_OWN, HALL_CONFLICT with *msg */
static int
csr_order(struct csr_made *m)
{
    struct hall_ctx *cx = m->cx;
    struct hall_dbres *res, *live;
    struct hall_val *form;
    const char *status, *pem;

    /* hall_produce_onto's statements (core/biz/produce.c) */
    res = hall_db_exec(cx, "pki_order_lock", HALL_I64(m->order_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || hall_dbres_int(res, 0, "user_id") != m->user_id)
        return HALL_CSR_NOT_OWN;
    /* order_key_origin: a browser product's 新办 (with its bundled seal),
     * any SM2 certificate's (an SM2 电子签章申请's too), or any flow of a
     * browser-made certificate */
    if (strcmp(hall_dbres_str(res, 0, "key_origin"), "browser") != 0) {
        *m->msg = "该业务单的证书由网上营业厅制作，不能在浏览器中生成密钥";
        return HALL_CONFLICT;
    }
    status = hall_dbres_str(res, 0, "status");
    if (strcmp(status, "accepted") != 0) {
        const char *label = hall_order_label(status);

        *m->msg = hall_psprintf(cx->pool, "该业务单当前状态为“%s”，不能生成密钥和证书",
                                label != NULL ? label : status);
        return HALL_CONFLICT;
    }
    live = hall_db_exec(cx, "pki_live_cert", HALL_I64(m->order_id));
    if (live == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(live) > 0) {
        *m->msg = strcmp(hall_dbres_str(live, 0, "state"), "intent") == 0
                      ? "该业务单的证书正在签发，请勿重复提交"
                      : "该业务单的证书已签发，请勿重复提交";
        return HALL_CONFLICT;
    }
    m->business = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "business_type"));
    m->replaces = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "replaces"));
    /* a replaced certificate keeps its CA (ECDSA / SM2), as hall_produce_onto's */
    m->ca = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, *m->replaces != '\0' ? "old_ca" : "ca"));
    m->cert_type = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "cert_type"));
    m->years = (int)hall_dbres_int(res, 0, "years");
    form = hall_dbres_pii_json(cx, res, 0, hall_dbres_col(res, "form_enc"));
    if (ca_of(m->ca, &m->alg, &pem) != HALL_OK || form == NULL || form->type != HALL_V_OBJ) {
        hall_err(cx, "msg=\"csr: order unreadable\" order=%lld", (long long)m->order_id);
        return HALL_ERR;
    }
    /* the subject: the order's, as hall_produce_onto makes it */
    hall_produce_subject(m->cert_type, form, hall_dbres_str(res, 0, "subject"), &m->cn, &m->org,
                         &m->uscc, &m->ric);
    m->cn = hall_pstrdup(cx->pool, m->cn);
    m->org = hall_pstrdup(cx->pool, m->org);
    m->uscc = hall_pstrdup(cx->pool, m->uscc);
    m->ric = hall_pstrdup(cx->pool, m->ric);
    /* 更新, 变更, 补办, 解锁: the replaced certificate's subject and validity */
    if (*m->replaces != '\0' && !hall_dbres_isnull(res, 0, hall_dbres_col(res, "subject_cn"))) {
        int rc = hall_produce_replacing(cx, res, m->business, &m->cn, &m->org, &m->uscc, &m->from,
                                        &m->until, &m->supersede, m->msg);

        if (rc != HALL_OK)
            return rc;
    }
    if (*m->cn == '\0') {
        *m->msg = "业务单缺少证书主题（机构名称或姓名）";
        return HALL_CONFLICT;
    }
    return HALL_OK;
}

/* 1. the intent, committed before anything is signed */
static int
csr_intent(struct csr_made *m, const unsigned char *csr, size_t csr_len)
{
    struct hall_ctx *cx = m->cx;
    int rc;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    rc = csr_order(m);
    if (rc == HALL_OK)
        rc = csr_check(m, csr, csr_len);
    if (rc == HALL_CONFLICT && *m->field != NULL)
        return HALL_CSR_BAD;
    if (rc != HALL_OK)
        return rc;
    if (hall_cert_intent_drawn(cx, m->serial, m->order_id, 0, m->ca, m->cn, m->org, m->years,
                               m->until, m->from, m->actor, &m->nb, &m->na) != HALL_OK)
        return HALL_ERR;
    /* one certificate a public key (sql/192), for anyone, valid or revoked */
    rc = hall_cert_spki_claim(cx, m->serial, m->pub);
    if (rc == HALL_CONFLICT) {
        *m->msg = HALL_PKI_SPKI_TAKEN;
        *m->field = "csr";
        return HALL_CSR_BAD;
    }
    if (rc != HALL_OK)
        return HALL_ERR;
    /* the order's seals, and those the replaced certificate signs */
    rc = hall_csrseal_intent(cx, m->order_id, m->ca, m->org, m->uscc, m->business, m->replaces,
                             m->actor, m->msg, &m->seals);
    if (rc != HALL_OK)
        return rc;
    return hall_db_commit(cx);
}

/* 3. stored: no PKCS#12, where the key was born, the order issued and
 * handed over (nothing to mail), the memo's code destroyed */
static int
csr_store(struct csr_made *m, const unsigned char *der, size_t der_len)
{
    struct hall_ctx *cx = m->cx;
    struct hall_val *detail, *born;
    struct hall_dbres *res;
    int rc;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    res = hall_cert_store_browser(cx, m->serial, der, der_len);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        *m->msg = "证书签发超时，请刷新页面后重新生成";
        return HALL_CONFLICT;
    }
    born = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, born, "born", "browser");
    hall_val_set_str(cx->pool, born, "csr_sha256", m->sha256);
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "serial", m->serial);
    hall_val_set_str(cx->pool, detail, "ca", m->ca);
    rc = hall_order_move(cx, m->order_id, "accepted", "issued", m->actor, detail);
    if (rc == HALL_OK)
        rc = hall_order_move(cx, m->order_id, "issued", "delivered", m->actor, born);
    if (rc != HALL_OK) {
        if (rc == HALL_CONFLICT)
            *m->msg = "该业务单状态已变化，请刷新页面";
        return rc;
    }
    if (hall_order_delivered(cx, m->order_id, (int64_t)time(NULL)) != HALL_OK ||
        hall_audit(cx, m->actor, "certificate", m->serial, "key_born", NULL, NULL, born) !=
            HALL_OK ||
        hall_audit(cx, m->actor, "certificate", m->serial, "issue", "intent", "issued", NULL) !=
            HALL_OK ||
        hall_finauth_pin_destroy(cx, m->order_id) != HALL_OK ||
        hall_csrseal_store(cx, m->seals, m->actor, &m->remade) != HALL_OK)
        return HALL_ERR;
    /* 变更, 解锁: the old one ends as the new one is stored */
    if (m->supersede &&
        (rc = hall_produce_supersede(cx, m->order_id, m->replaces, m->serial, m->actor,
                                     &m->superseded_ca, m->msg)) != HALL_OK)
        return rc;
    return hall_db_commit(cx);
}

int
hall_produce_csr(struct hall_ctx *cx, int64_t order_id, int64_t user_id, const char *actor,
                 const unsigned char *csr, size_t csr_len, struct hall_csr_cert *out,
                 const char **msg, const char **field)
{
    struct csr_made m;
    unsigned char *der = NULL;
    size_t der_len = 0;
    const char *pem;
    int rc, intent = 0;

    memset(&m, 0, sizeof(m));
    m.cx = cx;
    m.order_id = order_id;
    m.user_id = user_id;
    m.actor = actor;
    m.msg = msg;
    m.field = field;
    *field = NULL;
    *msg = "系统繁忙，请稍后再试";
    if (!hall_pki_can_sign())
        return HALL_ERR;
    if (hall_pki_token_ready("no certificate can be made") != HALL_OK) {
        *msg = "CA签名设备暂时不可用，请稍后再试";
        return HALL_ERR;
    }
    rc = csr_intent(&m, csr, csr_len);
    if (rc == HALL_OK) {
        intent = 1;
        m.x = hall_pki_cert_for(cx, m.ca, m.serial, m.nb, m.na, m.cert_type, m.cn, m.org, m.uscc,
                                m.ric, m.pub);
        der = m.x != NULL ? hall_pki_der(cx->pool, m.x, &der_len) : NULL;
        rc = der != NULL && hall_csrseal_sign(cx, m.seals, m.serial, der, der_len, m.na) == HALL_OK
                 ? csr_store(&m, der, der_len)
                 : HALL_ERR;
    }
    if (cx->in_tx)
        hall_db_rollback(cx);
    if (rc != HALL_OK && intent) {
        /* signed or not, never stored: the serial is burnt (listed revoked) */
        hall_err(cx, "msg=\"csr: certificate not stored\" order=%lld serial=%s",
                 (long long)order_id, m.serial);
        if (hall_db_begin(cx) != HALL_OK || hall_cert_void(cx, m.serial, actor) != HALL_OK ||
            hall_db_commit(cx) != HALL_OK)
            hall_err(cx, "msg=\"csr: intent not voided\" serial=%s", m.serial);
        if (cx->in_tx)
            hall_db_rollback(cx);
    }
    if (rc == HALL_OK) {
        hall_info(cx,
                  "msg=\"certificate issued\" order=%lld serial=%s ca=%s key=browser csr=%s"
                  " business=%s superseded=%s seals_remade=%d",
                  (long long)order_id, m.serial, m.ca, m.sha256, m.business,
                  m.superseded_ca != NULL ? m.replaces : "-", m.remade);
        /* the CRL now, as hall_produce_onto's; the outbox's pki tick retries */
        if (m.superseded_ca != NULL && hall_pki_crl_refresh(cx, m.superseded_ca, 1) != HALL_OK)
            hall_warn(cx, "msg=\"crl refresh after supersede failed\" ca=%s", m.superseded_ca);
        ca_of(m.ca, &m.alg, &pem);
        out->serial = hall_pstrdup(cx->pool, m.serial);
        out->der = der;
        out->der_len = der_len;
        out->ca_pem = pem;
        out->alg = m.alg;
        out->cn = m.cn;
    }
    hall_csrseal_done(cx, m.seals, m.superseded_ca, rc == HALL_OK);
    X509_free(m.x);
    EVP_PKEY_free(m.pub);
    return rc;
}
