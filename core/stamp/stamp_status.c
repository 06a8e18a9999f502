/*
 * stamp_status.c: a signer's revocation status and a seal's state asked
 * from the hall over the network (docs/internals/stamp.md §3, "Revocation"):
 * the certificate's own OCSP URL (authorityInfoAccess), its CRL
 * distribution point when OCSP gives no answer, and the hall's seal lookup
 * (GET /sign/seal-status).  hall-stamp sign refuses a revoked signer with
 * it; hall-stamp verify gives hall_stamp_verdict the same records the
 * hall's own verifier reads from its tables.
 *
 * Every answer is checked before it is believed: the OCSP answer signed by
 * the issuing CA or by a responder it certified for OCSP (for an SM2 CA, with
 * the GM/T 0009 signer ID), for this serial, current; the CRL signed by the
 * issuer and current.  Whatever cannot be fetched or checked leaves the
 * status "unchecked", with why, never "good".
 *
 * Owns: the online answers hall-stamp gathers (a signer's status, a seal's
 * state) and their checks.  Follows: RFC 6960 (OCSP: the request, the
 * BasicOCSPResponse, a delegated responder §4.2.2.2); RFC 5280 §4.2.2.1
 * (authorityInfoAccess), §4.2.1.13 (cRLDistributionPoints) and §5 (the CRL
 * and its validity); GM/T 0009 (the SM2 signer ID).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "stamp_int.h"

#define STATUS_BODY_MAX  (4L * 1024 * 1024) /* an OCSP answer, a CRL, a certificate */
#define STATUS_TIMEOUT   10000L             /* ms, each request */
#define STATUS_SKEW_S    300                /* clocks apart, seconds */
#define STAMP_SM2_ID     "1234567812345678" /* GM/T 0009's default signer ID */
#define STAMP_SM2_ID_LEN 16

#define STAMP_KEPT_PAIRS 8 /* (certificate, issuer) pairs whose answers are kept */

/* one /DSS answer (ev->der[i], then ev->crl[i - n]) judged for a
 * (certificate, issuer): everything but its time against the signature's */
struct stamp_kept_item {
    const unsigned char *der; /* the item judged, as ev held it */
    size_t len;
    int judged, ok;
    struct hall_stamp_status st;
};

struct stamp_kept_pair {
    unsigned char *cert, *issuer; /* DER, in the pool */
    size_t cert_len, issuer_len;
    struct stamp_kept_item item[2 * HALL_STAMP_EVIDENCE_MAX];
};

/* what stamp_status_kept judged of a file's /DSS (ev->kept), in the pool
 * of the evidence: only for that evidence, never another file's */
struct stamp_kept {
    struct hall_pool *pool; /* the evidence's: the pairs live as long */
    /* the verification's, while stamp_levels runs (NULL otherwise): the
     * answers' responder certificates decoded once (stamp_memo_ocsp_basic) */
    struct stamp_memo *memo;
    int npairs;
    struct stamp_kept_pair *pair[STAMP_KEPT_PAIRS];
    /* the CertIDs each OCSP answer holds a status for, read once: keys
     * (certid_key) one after another, each after its 2-byte length;
     * names_done 1 read, -1 not kept (each asked of the answer) */
    const unsigned char *der[HALL_STAMP_EVIDENCE_MAX];
    size_t len[HALL_STAMP_EVIDENCE_MAX];
    int names_done[HALL_STAMP_EVIDENCE_MAX];
    unsigned char *names[HALL_STAMP_EVIDENCE_MAX];
    size_t names_len[HALL_STAMP_EVIDENCE_MAX];
};

struct stamp_kept *
stamp_kept_new(struct hall_pool *pool)
{
    struct stamp_kept *k = hall_pcalloc(pool, sizeof(*k));

    k->pool = pool;
    return k;
}

void
stamp_kept_memo(struct stamp_kept *k, struct stamp_memo *memo)
{
    if (k != NULL)
        k->memo = memo;
}

const char *
hall_stamp_reason_text(int reason)
{
    static const char *const t[] = {"未说明原因", "密钥泄露", "CA密钥泄露",  "信息变更",
                                    "已被替代",   "停止使用", "证书冻结",    "",
                                    "从CRL移除",  "权限撤销", "属性机构泄露"};

    if (reason < 0 || reason > 10 || t[reason][0] == '\0')
        return "未说明原因";
    return t[reason];
}

/* GET url, or POST body to it (type: its Content-Type), through core's HTTP
 * client: the answer in out (malloc'ed), HALL_ERR with why */
static int
fetch(struct hall_pool *pool, const char *url, const unsigned char *body, size_t body_len,
      const char *type, long timeout_ms, struct stamp_buf *out, const char **why)
{
    struct hall_http_call call;
    struct hall_http_resp resp;

    memset(out, 0, sizeof(*out));
    out->max = (size_t)STATUS_BODY_MAX;
    memset(&call, 0, sizeof(call));
    call.method = body != NULL ? "POST" : "GET";
    call.url = url;
    call.content_type = body != NULL ? type : NULL;
    call.body = (const char *)body;
    call.body_len = body_len;
    call.connect_ms = timeout_ms > 0 ? timeout_ms : STATUS_TIMEOUT;
    call.total_ms = call.connect_ms;
    call.max_body = (size_t)STATUS_BODY_MAX;
    if (hall_http_call(pool, &call, &resp) != HALL_OK || resp.status != 200) {
        *why = resp.status == 0 ? hall_psprintf(pool, "无法连接%s（%s）", url,
                                                resp.error != NULL ? resp.error : "连接失败")
                                : hall_psprintf(pool, "%s 答复HTTP %ld", url, resp.status);
        return HALL_ERR;
    }
    stamp_buf_put(out, resp.body, resp.len);
    return HALL_OK;
}

/* the first URI of the certificate's AIA for method (NID_ad_OCSP, NID_ad_ca_issuers) */
static const char *
aia_uri(struct hall_pool *pool, X509 *x, int method)
{
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
    const char *uri = NULL;
    int i;

    for (i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia) && uri == NULL; i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

        if (OBJ_obj2nid(ad->method) == method && ad->location->type == GEN_URI)
            uri = hall_pstrdup(pool, (const char *)ASN1_STRING_get0_data(
                                         ad->location->d.uniformResourceIdentifier));
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    return uri;
}

/* the first URI of the certificate's CRL distribution points */
static const char *
crl_uri(struct hall_pool *pool, X509 *x)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
    const char *uri = NULL;
    int i, j;

    for (i = 0; dps != NULL && i < sk_DIST_POINT_num(dps) && uri == NULL; i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

        if (dp->distpoint == NULL || dp->distpoint->type != 0)
            continue;
        for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname) && uri == NULL; j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);

            if (g->type == GEN_URI)
                uri = hall_pstrdup(
                    pool, (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier));
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return uri;
}

const char *
hall_stamp_hall_of(struct hall_pool *pool, X509 *cert)
{
    const char *ocsp = aia_uri(pool, cert, NID_ad_OCSP), *crl, *p;
    size_t n;

    if (ocsp == NULL) {
        /* a certificate of the hall's own without OCSP (the 验签报告's):
         * its CRL's URL, BASE/pki/NAME.crl */
        crl = crl_uri(pool, cert);
        p = crl != NULL ? strstr(crl, "/pki/") : NULL;
        n = crl != NULL ? strlen(crl) : 0;
        if (p == NULL || n <= 4 || strcmp(crl + n - 4, ".crl") != 0 || strchr(p + 5, '/') != NULL)
            return NULL;
        return hall_psprintf(pool, "%.*s", (int)(p - crl), crl);
    }
    n = strlen(ocsp);
    if (n <= 5 || strcmp(ocsp + n - 5, "/ocsp") != 0)
        return NULL;
    return hall_psprintf(pool, "%.*s", (int)(n - 5), ocsp);
}

/* url asked of the hall given instead (hall-stamp --hall): the part after
 * the certificate's hall (base) kept, or the URL's path */
static const char *
rebase(struct hall_pool *pool, const char *url, const char *base, const char *hall)
{
    const char *rest;
    size_t hn;

    if (url == NULL || hall == NULL)
        return url;
    if (base != NULL && strncmp(url, base, strlen(base)) == 0) {
        rest = url + strlen(base);
    } else {
        rest = strstr(url, "://");
        rest = rest != NULL ? strchr(rest + 3, '/') : NULL;
        if (rest == NULL)
            rest = "";
    }
    hn = strlen(hall);
    while (hn > 0 && hall[hn - 1] == '/')
        hn--;
    return hall_psprintf(pool, "%.*s%s", (int)hn, hall, rest);
}

/* tbs (DER) signed with sig under alg by key: 1 verified.  By hand rather
 * than X509_verify / OCSP_basic_verify: an SM2 CA signs with the GM/T 0009
 * signer ID, which those cannot be given for a CRL or an OCSP answer */
static int
sig_ok(const unsigned char *tbs, int n, const X509_ALGOR *alg, const ASN1_BIT_STRING *sig,
       EVP_PKEY *key)
{
    const ASN1_OBJECT *o = NULL;
    const EVP_MD *md;
    EVP_MD_CTX *m;
    EVP_PKEY_CTX *pc;
    int mdnid = 0, pknid = 0, ok = 0;

    if (tbs == NULL || n <= 0 || alg == NULL || sig == NULL || key == NULL)
        return 0;
    X509_ALGOR_get0(&o, NULL, NULL, alg);
    if (OBJ_find_sigid_algs(OBJ_obj2nid(o), &mdnid, &pknid) != 1)
        return 0;
    md = EVP_get_digestbynid(mdnid);
    if (md == NULL)
        return 0;
    m = EVP_MD_CTX_new();
    pc = EVP_PKEY_CTX_new(key, NULL);
    if (m == NULL || pc == NULL)
        abort();
    if (EVP_PKEY_is_a(key, "SM2") && EVP_PKEY_CTX_set1_id(pc, STAMP_SM2_ID, STAMP_SM2_ID_LEN) != 1)
        goto out;
    EVP_MD_CTX_set_pkey_ctx(m, pc);
    ok = EVP_DigestVerifyInit(m, NULL, md, NULL, key) == 1 &&
         EVP_DigestVerify(m, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), tbs,
                          (size_t)n) == 1;
out:
    EVP_MD_CTX_free(m);
    EVP_PKEY_CTX_free(pc);
    ERR_clear_error();
    return ok;
}

/* 1 when issuer signed x */
static int
issued_by(X509 *x, X509 *issuer)
{
    const ASN1_BIT_STRING *sig = NULL;
    const X509_ALGOR *alg = NULL;
    unsigned char *der = NULL;
    int n, ok;

    if (X509_check_issued(issuer, x) != X509_V_OK) {
        ERR_clear_error();
        return 0;
    }
    X509_get0_signature(&sig, &alg, x);
    n = i2d_re_X509_tbs(x, &der);
    ok = sig_ok(der, n, alg, sig, X509_get0_pubkey(issuer));
    OPENSSL_free(der);
    return ok;
}

/* the OCSP answer's signer: the issuer itself, or a certificate the answer
 * carries that the issuer certified for OCSP signing; NULL none */
static X509 *
ocsp_signer(OCSP_BASICRESP *bs, X509 *issuer)
{
    const ASN1_OCTET_STRING *kid = NULL;
    const X509_NAME *nm = NULL;
    X509 *signer = NULL;

    if (OCSP_resp_get0_signer(bs, &signer, NULL) != 1) {
        ERR_clear_error();
        /* no certificate of the answer is its signer: the CA's own key? */
        if (OCSP_resp_get0_id(bs, &kid, &nm) == 1 && nm != NULL &&
            X509_NAME_cmp(nm, X509_get_subject_name(issuer)) == 0)
            return issuer;
        return NULL;
    }
    if (X509_cmp(signer, issuer) == 0)
        return issuer;
    if (!issued_by(signer, issuer) || (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) == 0)
        return NULL;
    return signer;
}

static void
unchecked(struct hall_stamp_status *st, const char *why)
{
    st->state = HALL_STAMP_REV_UNCHECKED;
    st->why = why;
}

/*
 * The DER OCSP answer (resp, len) about cert: HALL_OK with st set (good,
 * revoked, unknown) when its signer is the issuer or its responder, the
 * signature verifies and it is current at now — or, for an answer kept in
 * the file (now 0), made at or after after (the stamp's time) — else
 * HALL_ERR with *why.
 */
static int
ocsp_judge(struct hall_pool *pool, struct stamp_memo *m, OCSP_REQUEST *rq,
           const unsigned char *der_resp, size_t len, X509 *cert, X509 *issuer, time_t now,
           time_t after, struct hall_stamp_status *st, const char **why)
{
    OCSP_CERTID *mine = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
    const unsigned char *p = der_resp;
    unsigned char *der = NULL;
    X509 *signer;
    int n, status = -1, reason = -1, rc = HALL_ERR;

    if (mine == NULL)
        abort();
    resp = der_resp != NULL ? d2i_OCSP_RESPONSE(NULL, &p, (long)len) : NULL;
    if (resp == NULL) {
        *why = "答复不是OCSP答复";
        goto out;
    }
    if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        *why = hall_psprintf(pool, "OCSP服务答复：%s",
                             OCSP_response_status_str(OCSP_response_status(resp)));
        goto out;
    }
    bs = stamp_memo_ocsp_basic(m, der_resp, len); /* its certificates once a file */
    if (bs == NULL)
        bs = OCSP_response_get1_basic(resp);
    signer = bs != NULL ? ocsp_signer(bs, issuer) : NULL;
    if (signer == NULL) {
        *why = "OCSP答复的签名者不是签章人证书的签发CA";
        goto out;
    }
    n = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs), &der);
    if (!sig_ok(der, n, OCSP_resp_get0_tbs_sigalg(bs), OCSP_resp_get0_signature(bs),
                X509_get0_pubkey(signer))) {
        *why = "OCSP答复的签名无效";
        goto out;
    }
    /* asked with a nonce: an answer with another one is not ours (one
     * without, reused by the responder, is judged by its thisUpdate) */
    if (rq != NULL && OCSP_check_nonce(rq, bs) == 0) {
        *why = "OCSP答复的nonce与请求不符";
        goto out;
    }
    /* a CertID by SHA-1 (what this file asks with), or by SHA-256 */
    if (OCSP_resp_find_status(bs, mine, &status, &reason, &rev, &thisupd, &nextupd) != 1) {
        OCSP_CERTID_free(mine);
        mine = OCSP_cert_to_id(EVP_sha256(), cert, issuer);
        if (mine == NULL)
            abort();
    }
    if (OCSP_resp_find_status(bs, mine, &status, &reason, &rev, &thisupd, &nextupd) != 1) {
        *why = "OCSP答复中没有该证书的状态";
        goto out;
    }
    if (now != 0 && (stamp_asn1_time(thisupd) > now + STATUS_SKEW_S ||
                     (nextupd != NULL && stamp_asn1_time(nextupd) < now - STATUS_SKEW_S))) {
        *why = "OCSP答复已过期或时间不符";
        goto out;
    }
    if (now == 0 && (after == 0 || stamp_asn1_time(thisupd) < after)) {
        *why = "文件内嵌的OCSP答复早于签章时间";
        goto out;
    }
    st->state = status == V_OCSP_CERTSTATUS_GOOD      ? HALL_STAMP_REV_GOOD
                : status == V_OCSP_CERTSTATUS_REVOKED ? HALL_STAMP_REV_REVOKED
                                                      : HALL_STAMP_REV_UNKNOWN;
    if (st->state == HALL_STAMP_REV_REVOKED) {
        st->revoked_at = stamp_asn1_time(rev);
        st->reason = reason;
    }
    st->source = "OCSP";
    st->checked_at = stamp_asn1_time(thisupd);
    rc = HALL_OK;
out:
    ERR_clear_error();
    OPENSSL_free(der);
    OCSP_CERTID_free(mine);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    return rc;
}

static int ocsp_ask_keep(struct hall_pool *pool, const char *url, X509 *cert, X509 *issuer,
                         long timeout_ms, time_t now, struct hall_stamp_status *st,
                         const char **why, const unsigned char **der_out, size_t *der_len);

/* the status from the OCSP responder at url: as ocsp_judge */
static int
ocsp_ask(struct hall_pool *pool, const char *url, X509 *cert, X509 *issuer, long timeout_ms,
         time_t now, struct hall_stamp_status *st, const char **why)
{
    return ocsp_ask_keep(pool, url, cert, issuer, timeout_ms, now, st, why, NULL, NULL);
}

/* ocsp_ask, the answer's DER kept (in pool) when der is not NULL */
static int
ocsp_ask_keep(struct hall_pool *pool, const char *url, X509 *cert, X509 *issuer, long timeout_ms,
              time_t now, struct hall_stamp_status *st, const char **why,
              const unsigned char **der_out, size_t *der_len)
{
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
    OCSP_REQUEST *rq = OCSP_REQUEST_new();
    struct stamp_buf body;
    unsigned char *der = NULL;
    int n, rc = HALL_ERR;

    memset(&body, 0, sizeof(body));
    if (id == NULL || rq == NULL || OCSP_request_add0_id(rq, id) == NULL ||
        OCSP_request_add1_nonce(rq, NULL, -1) != 1)
        abort();
    n = i2d_OCSP_REQUEST(rq, &der);
    if (n <= 0)
        abort();
    if (fetch(pool, url, der, (size_t)n, "application/ocsp-request", timeout_ms, &body, why) !=
        HALL_OK)
        goto out;
    rc = ocsp_judge(pool, NULL, rq, body.p, body.len, cert, issuer, now, 0, st, why);
    if (rc != HALL_OK) {
        *why = hall_psprintf(pool, "%s：%s", url, *why);
    } else {
        st->url = url;
        if (der_out != NULL) {
            unsigned char *k = hall_palloc(pool, body.len);

            memcpy(k, body.p, body.len);
            *der_out = k;
            *der_len = body.len;
        }
    }
out:
    OPENSSL_free(der);
    stamp_buf_free(&body);
    OCSP_REQUEST_free(rq);
    return rc;
}

/* the DER CRL about cert: HALL_OK with st when issuer signed it and it is
 * current at now — or, for one kept in the file (now 0), made at or after
 * after — else HALL_ERR with *why */
static int
crl_judge(struct hall_pool *pool, const unsigned char *der_crl, size_t len, X509 *cert,
          X509 *issuer, time_t now, time_t after, struct hall_stamp_status *st, const char **why)
{
    const unsigned char *p = der_crl;
    const ASN1_BIT_STRING *sig = NULL;
    const X509_ALGOR *alg = NULL;
    const ASN1_TIME *next;
    X509_CRL *crl = NULL;
    X509_REVOKED *r = NULL;
    unsigned char *der = NULL;
    int n, rc = HALL_ERR;

    crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl == NULL) {
        *why = "答复不是CRL";
        goto out;
    }
    X509_CRL_get0_signature(crl, &sig, &alg);
    n = i2d_re_X509_CRL_tbs(crl, &der);
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
        !sig_ok(der, n, alg, sig, X509_get0_pubkey(issuer))) {
        *why = "CRL不是签章人证书的签发CA签发的";
        goto out;
    }
    next = X509_CRL_get0_nextUpdate(crl);
    if (now != 0 && (next == NULL || stamp_asn1_time(next) < now - STATUS_SKEW_S)) {
        *why = "CRL已过期";
        goto out;
    }
    if (now == 0 && (after == 0 || stamp_asn1_time(X509_CRL_get0_lastUpdate(crl)) < after)) {
        *why = "文件内嵌的CRL早于签章时间";
        goto out;
    }
    if (X509_CRL_get0_by_serial(crl, &r, X509_get0_serialNumber(cert)) == 1 && r != NULL) {
        ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);

        st->state = HALL_STAMP_REV_REVOKED;
        st->revoked_at = stamp_asn1_time(X509_REVOKED_get0_revocationDate(r));
        st->reason = e != NULL ? (int)ASN1_ENUMERATED_get(e) : -1;
        ASN1_ENUMERATED_free(e);
    } else {
        st->state = HALL_STAMP_REV_GOOD;
    }
    st->source = "CRL";
    st->checked_at = stamp_asn1_time(X509_CRL_get0_lastUpdate(crl));
    rc = HALL_OK;
out:
    ERR_clear_error();
    OPENSSL_free(der);
    X509_CRL_free(crl);
    (void)pool;
    return rc;
}

/* the status from the CRL at url: as ocsp_ask_keep */
static int
crl_ask(struct hall_pool *pool, const char *url, X509 *cert, X509 *issuer, long timeout_ms,
        time_t now, struct hall_stamp_status *st, const char **why, const unsigned char **der_out,
        size_t *der_len)
{
    struct stamp_buf body;
    int rc;

    if (fetch(pool, url, NULL, 0, NULL, timeout_ms, &body, why) != HALL_OK)
        return HALL_ERR;
    rc = crl_judge(pool, body.p, body.len, cert, issuer, now, 0, st, why);
    if (rc != HALL_OK) {
        *why = hall_psprintf(pool, "%s：%s", url, *why);
    } else {
        st->url = url;
        if (der_out != NULL) {
            unsigned char *k = hall_palloc(pool, body.len);

            memcpy(k, body.p, body.len);
            *der_out = k;
            *der_len = body.len;
        }
    }
    stamp_buf_free(&body);
    return rc;
}

/* the certificate at url (DER or PEM) when it issued cert: NULL with why */
static X509 *
cert_at(struct hall_pool *pool, const char *url, X509 *cert, long timeout_ms, const char **why)
{
    struct stamp_buf body;
    const unsigned char *p;
    X509 *x = NULL;

    if (fetch(pool, url, NULL, 0, NULL, timeout_ms, &body, why) != HALL_OK)
        return NULL;
    p = body.p;
    x = d2i_X509(NULL, &p, (long)body.len);
    if (x == NULL) {
        BIO *b = BIO_new_mem_buf(body.p, (int)body.len);

        x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    stamp_buf_free(&body);
    ERR_clear_error();
    if (x != NULL && !issued_by(cert, x)) {
        X509_free(x);
        x = NULL;
    }
    if (x == NULL)
        *why = hall_psprintf(pool, "%s 不是签章人证书的签发CA证书", url);
    return x;
}

/* the certificate at the AIA's caIssuers URL that issued cert (DER or PEM) */
static X509 *
issuer_fetch(struct hall_pool *pool, X509 *cert, const char *base, const char *hall,
             long timeout_ms, const char **why)
{
    const char *url = rebase(pool, aia_uri(pool, cert, NID_ad_ca_issuers), base, hall);

    if (url == NULL) {
        *why = "签章人证书未载明签发CA证书的地址";
        return NULL;
    }
    return cert_at(pool, url, cert, timeout_ms, why);
}
void
hall_stamp_status_check(struct hall_pool *pool, X509 *cert, STACK_OF(X509) * cas,
                        const struct hall_stamp_online *o, struct hall_stamp_status *st)
{
    const char *base = hall_stamp_hall_of(pool, cert), *why = NULL, *why2 = NULL;
    const char *ocsp = rebase(pool, aia_uri(pool, cert, NID_ad_OCSP), base, o->hall);
    const char *crl = rebase(pool, crl_uri(pool, cert), base, o->hall);
    time_t now = o->now != 0 ? o->now : time(NULL);
    X509 *issuer = NULL, *fetched = NULL;
    int i;

    memset(st, 0, sizeof(*st));
    st->reason = -1;
    for (i = 0; cas != NULL && i < sk_X509_num(cas) && issuer == NULL; i++)
        if (issued_by(cert, sk_X509_value(cas, i)))
            issuer = sk_X509_value(cas, i);
    /* the file's own evidence first (PAdES B-LT's /DSS): nothing online */
    if (issuer != NULL && o->evidence != NULL &&
        stamp_status_kept(pool, cert, issuer, o->evidence, o->signing_time, st) == HALL_OK) {
        st->source = strcmp(st->source, "CRL") == 0 ? "文件内嵌CRL" : "文件内嵌OCSP答复";
        return;
    }
    memset(st, 0, sizeof(*st));
    st->reason = -1;
    why = NULL;
    if (o->offline) {
        unchecked(st, o->evidence != NULL && o->evidence->n > 0
                          ? "文件内嵌的OCSP答复不能证明签章时的状态，未联网查询"
                          : "文件中没有内嵌的吊销信息，未联网查询");
        return;
    }
    if (ocsp == NULL && crl == NULL) {
        unchecked(st, "签章人证书未载明OCSP服务和CRL的地址");
        return;
    }
    if (issuer == NULL) {
        fetched = issuer_fetch(pool, cert, base, o->hall, o->timeout_ms, &why);
        issuer = fetched;
        if (issuer == NULL) {
            unchecked(st, why);
            return;
        }
    }
    if (ocsp != NULL && ocsp_ask(pool, ocsp, cert, issuer, o->timeout_ms, now, st, &why) == HALL_OK)
        goto out;
    if (crl != NULL &&
        crl_ask(pool, crl, cert, issuer, o->timeout_ms, now, st, &why2, NULL, NULL) == HALL_OK)
        goto out;
    unchecked(st, why != NULL && why2 != NULL ? hall_psprintf(pool, "%s；%s", why, why2)
                  : why != NULL               ? why
                  : why2 != NULL              ? why2
                                              : "没有可用的吊销状态来源");
out:
    X509_free(fetched);
}

int
stamp_issued_by(X509 *x, X509 *issuer)
{
    return issued_by(x, issuer);
}

/* 1 when the DER OCSP answer holds a status for cert's CertID: looked at
 * before its signature is checked, so that a /DSS of many answers costs
 * one verification per signature, not one per answer */
static int
ocsp_names(const unsigned char *der, size_t len, OCSP_CERTID *id)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
    int st = -1, reason = -1, found;
    ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;

    found = bs != NULL && OCSP_resp_find_status(bs, id, &st, &reason, &rev, &tu, &nu) == 1;
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
    return found;
}

/* a CertID as OCSP_id_cmp compares it (the hash's algorithm, the name's
 * and key's hashes, the serial), each part after its length, in out:
 * its length, 0 when it does not fit */
static size_t
certid_key(OCSP_CERTID *id, unsigned char *out, size_t max)
{
    ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
    ASN1_OBJECT *md = NULL;
    ASN1_INTEGER *serial = NULL;
    unsigned char *parts[4] = {NULL, NULL, NULL, NULL};
    int lens[4] = {0, 0, 0, 0}, i;
    size_t at = 0;

    if (OCSP_id_get0_info(&nh, &md, &kh, &serial, id) != 1 || nh == NULL || md == NULL ||
        kh == NULL || serial == NULL)
        return 0;
    lens[0] = i2d_ASN1_OBJECT(md, &parts[0]);
    lens[1] = ASN1_STRING_length(nh);
    lens[2] = ASN1_STRING_length(kh);
    lens[3] = i2d_ASN1_INTEGER(serial, &parts[3]);
    for (i = 0; i < 4; i++) {
        const unsigned char *b = i == 1   ? ASN1_STRING_get0_data(nh)
                                 : i == 2 ? ASN1_STRING_get0_data(kh)
                                          : parts[i];

        if (lens[i] < 0 || lens[i] > 255 || b == NULL || at + 1 + (size_t)lens[i] > max) {
            at = 0;
            break;
        }
        out[at++] = (unsigned char)lens[i];
        memcpy(out + at, b, (size_t)lens[i]);
        at += (size_t)lens[i];
    }
    OPENSSL_free(parts[0]);
    OPENSSL_free(parts[3]);
    return at;
}

/* the keys of the CertIDs OCSP answer i of ev holds a status for, read
 * once a file into ev->kept: 1 read, -1 not kept */
static int
kept_names_read(struct stamp_kept *k, const struct hall_stamp_evidence *ev, int i)
{
    const unsigned char *p = ev->der[i];
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ev->len[i]);
    OCSP_BASICRESP *bs =
        resp != NULL ? stamp_memo_ocsp_basic(k->memo, ev->der[i], ev->len[i]) : NULL;
    unsigned char key[256]; /* a CertID: its hash algorithm, two hashes, the serial */
    int j, n, rc = 1;
    size_t kl, at = 0;

    if (resp != NULL && bs == NULL)
        bs = OCSP_response_get1_basic(resp);
    n = bs != NULL ? OCSP_resp_count(bs) : 0;

    k->names[i] = n > 0 && n <= 64 ? hall_palloc(k->pool, (size_t)n * (2 + sizeof(key))) : NULL;
    if (n > 64)
        rc = -1;
    for (j = 0; j < n && rc == 1; j++) {
        OCSP_SINGLERESP *one = OCSP_resp_get0(bs, j);
        const OCSP_CERTID *id = one != NULL ? OCSP_SINGLERESP_get0_id(one) : NULL;

        kl = id != NULL ? certid_key((OCSP_CERTID *)id, key, sizeof(key)) : 0;
        if (kl == 0) {
            rc = -1;
            break;
        }
        k->names[i][at++] = (unsigned char)(kl >> 8);
        k->names[i][at++] = (unsigned char)(kl & 0xff);
        memcpy(k->names[i] + at, key, kl);
        at += kl;
    }
    k->names_len[i] = at;
    k->der[i] = ev->der[i];
    k->len[i] = ev->len[i];
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
    return rc;
}

/* ocsp_names of OCSP answer i of ev, its CertIDs read once a file */
static int
kept_names(const struct hall_stamp_evidence *ev, int i, OCSP_CERTID *id)
{
    struct stamp_kept *k = ev->kept;
    unsigned char key[256]; /* a CertID: its hash algorithm, two hashes, the serial */
    size_t kl, at;

    if (k == NULL ||
        (k->names_done[i] != 0 && (k->der[i] != ev->der[i] || k->len[i] != ev->len[i])))
        return ocsp_names(ev->der[i], ev->len[i], id);
    if (k->names_done[i] == 0)
        k->names_done[i] = kept_names_read(k, ev, i);
    kl = certid_key(id, key, sizeof(key));
    if (k->names_done[i] != 1 || kl == 0)
        return ocsp_names(ev->der[i], ev->len[i], id);
    for (at = 0; at + 2 <= k->names_len[i];) {
        size_t l = ((size_t)k->names[i][at] << 8) | k->names[i][at + 1];

        if (l == kl && memcmp(k->names[i] + at + 2, key, kl) == 0)
            return 1;
        at += 2 + l;
    }
    return 0;
}

/* x's DER (in pool), NULL none */
static unsigned char *
pool_der(struct hall_pool *pool, X509 *x, size_t *len)
{
    unsigned char *der = NULL, *k;
    int n = i2d_X509(x, &der);

    if (n <= 0)
        return NULL;
    k = hall_palloc(pool, (size_t)n);
    memcpy(k, der, (size_t)n);
    OPENSSL_free(der);
    *len = (size_t)n;
    return k;
}

/* the answers of ev judged for (cert, issuer) before, DER for DER, or a
 * new place for them; NULL when ev keeps none (or no more pairs) */
static struct stamp_kept_pair *
kept_pair(const struct hall_stamp_evidence *ev, X509 *cert, X509 *issuer)
{
    struct stamp_kept *k = ev->kept;
    struct stamp_kept_pair *p;
    unsigned char *cd, *id;
    size_t cl = 0, il = 0;
    int i;

    if (k == NULL)
        return NULL;
    cd = pool_der(k->pool, cert, &cl);
    id = pool_der(k->pool, issuer, &il);
    if (cd == NULL || id == NULL)
        return NULL;
    for (i = 0; i < k->npairs; i++) {
        p = k->pair[i];
        if (p->cert_len == cl && p->issuer_len == il && memcmp(p->cert, cd, cl) == 0 &&
            memcmp(p->issuer, id, il) == 0)
            return p;
    }
    if (k->npairs >= STAMP_KEPT_PAIRS)
        return NULL;
    p = hall_pcalloc(k->pool, sizeof(*p));
    p->cert = cd;
    p->cert_len = cl;
    p->issuer = id;
    p->issuer_len = il;
    k->pair[k->npairs++] = p;
    return p;
}

/*
 * Item i of ev (an OCSP answer, then a CRL) for cert: HALL_OK with *one
 * when its signer, signature and status of cert hold and it was made at or
 * after after.  Judged once for a (certificate, issuer) with the time left
 * out (made at or after 1 s: every time but an unreadable one), kept in
 * pair, the time compared each call: the same as judging it with after
 * (> 0), at the cost of a comparison.
 */
static int
kept_item(struct hall_pool *pool, const struct hall_stamp_evidence *ev, int i, X509 *cert,
          X509 *issuer, OCSP_CERTID **ids, struct stamp_kept_pair *pair, time_t after,
          struct hall_stamp_status *one)
{
    const unsigned char *der = i < ev->n ? ev->der[i] : ev->crl[i - ev->n];
    size_t len = i < ev->n ? ev->len[i] : ev->crl_len[i - ev->n];
    struct stamp_kept_item *it = pair != NULL ? &pair->item[i] : NULL;
    const char *why = NULL;
    int ok;

    if (it != NULL && it->judged && it->der == der && it->len == len) {
        *one = it->st;
        return it->ok && one->checked_at >= after ? HALL_OK : HALL_ERR;
    }
    memset(one, 0, sizeof(*one));
    one->reason = -1;
    if (i < ev->n) {
        if (ids[0] == NULL) {
            ids[0] = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
            ids[1] = OCSP_cert_to_id(EVP_sha256(), cert, issuer);
            if (ids[0] == NULL || ids[1] == NULL)
                abort();
        }
        ok = (kept_names(ev, i, ids[0]) || kept_names(ev, i, ids[1])) &&
             ocsp_judge(pool, ev->kept != NULL ? ev->kept->memo : NULL, NULL, der, len, cert,
                        issuer, 0, it != NULL ? 1 : after, one, &why) == HALL_OK;
    } else {
        ok = crl_judge(pool, der, len, cert, issuer, 0, it != NULL ? 1 : after, one, &why) ==
             HALL_OK;
    }
    if (it != NULL) {
        it->der = der;
        it->len = len;
        it->judged = 1;
        it->ok = ok;
        it->st = *one;
        ok = ok && one->checked_at >= after;
    }
    return ok ? HALL_OK : HALL_ERR;
}

int
stamp_status_kept(struct hall_pool *pool, X509 *cert, X509 *issuer,
                  const struct hall_stamp_evidence *ev, time_t after, struct hall_stamp_status *st)
{
    OCSP_CERTID *ids[2] = {NULL, NULL};
    struct stamp_kept_pair *pair;
    struct hall_stamp_status one;
    int i, found = 0;

    memset(st, 0, sizeof(*st));
    st->reason = -1;
    if (after == 0) /* no time to speak for: no answer does */
        return HALL_ERR;
    /* a time before 1970 is judged each time, as the kept results assume
     * an answer made at or after 1 s */
    pair = after > 0 ? kept_pair(ev, cert, issuer) : NULL;
    /* the freshest of the answers that speak for the time: a later one may
     * know of a revocation dated back before it */
    for (i = 0; i < ev->n + ev->ncrl; i++)
        if (kept_item(pool, ev, i, cert, issuer, ids, pair, after, &one) == HALL_OK &&
            (!found || one.checked_at > st->checked_at)) {
            *st = one;
            found = 1;
        }
    OCSP_CERTID_free(ids[0]);
    OCSP_CERTID_free(ids[1]);
    if (!found)
        return HALL_ERR;
    st->url = "/DSS";
    st->embedded = 1;
    return HALL_OK;
}

int
stamp_status_fetch(struct hall_pool *pool, X509 *cert, X509 *issuer,
                   const struct hall_stamp_online *o, time_t after, int *kind,
                   const unsigned char **der, size_t *len, const char **why)
{
    const char *base = hall_stamp_hall_of(pool, cert), *w1 = NULL, *w2 = NULL;
    const char *ocsp = rebase(pool, aia_uri(pool, cert, NID_ad_OCSP), base, o->hall);
    const char *crl = rebase(pool, crl_uri(pool, cert), base, o->hall);
    time_t now = o->now != 0 ? o->now : time(NULL);
    struct hall_stamp_status st;
    size_t n = crl != NULL ? strlen(crl) : 0;

    memset(&st, 0, sizeof(st));
    /* the hall's CRL made after the timestamp, so that it speaks for it
     * (a certificate without OCSP: the 验签报告's) */
    if (after != 0 && base != NULL && n > 4 && strcmp(crl + n - 4, ".crl") == 0 &&
        strstr(crl, "/pki/") != NULL && strchr(crl, '?') == NULL)
        crl = hall_psprintf(pool, "%s?after=%lld", crl, (long long)after);
    if (ocsp != NULL && ocsp_ask_keep(pool, ocsp, cert, issuer, o->timeout_ms, now, &st, &w1, der,
                                      len) == HALL_OK) {
        *kind = HALL_STAMP_DSS_OCSP;
        return HALL_OK;
    }
    if (crl != NULL &&
        crl_ask(pool, crl, cert, issuer, o->timeout_ms, now, &st, &w2, der, len) == HALL_OK) {
        *kind = HALL_STAMP_DSS_CRL;
        return HALL_OK;
    }
    *why = w1 != NULL && w2 != NULL ? hall_psprintf(pool, "%s；%s", w1, w2)
           : w1 != NULL             ? w1
           : w2 != NULL             ? w2
                                    : "证书未载明OCSP服务和CRL的地址";
    return HALL_ERR;
}

X509 *
stamp_root_fetch(struct hall_pool *pool, X509 *cert, const char *hall,
                 const struct hall_stamp_online *o, const char **why)
{
    const char *base = o->hall != NULL ? o->hall : hall;
    size_t hn = base != NULL ? strlen(base) : 0;
    X509 *x;

    while (hn > 0 && base[hn - 1] == '/')
        hn--;
    if (base == NULL)
        return NULL;
    x = cert_at(pool, hall_psprintf(pool, "%.*s/pki/root.crt", (int)hn, base), cert, o->timeout_ms,
                why);
    if (x != NULL && X509_check_issued(x, x) != X509_V_OK) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

int
stamp_arl_fetch(struct hall_pool *pool, X509 *cert, X509 *root, const char *hall,
                const struct hall_stamp_online *o, time_t after, const unsigned char **der,
                size_t *len, const char **why)
{
    const char *base = o->hall != NULL ? o->hall : hall;
    struct hall_stamp_status st;
    size_t hn;

    memset(&st, 0, sizeof(st));
    if (base == NULL) {
        *why = "不知道本CA营业厅的地址，无法取得根CA的CRL";
        return HALL_ERR;
    }
    hn = strlen(base);
    while (hn > 0 && base[hn - 1] == '/')
        hn--;
    return crl_ask(
        pool, hall_psprintf(pool, "%.*s/pki/root.crl?after=%lld", (int)hn, base, (long long)after),
        cert, root, o->timeout_ms, o->now != 0 ? o->now : time(NULL), &st, why, der, len);
}

X509 *
stamp_issuer_fetch(struct hall_pool *pool, X509 *cert, const struct hall_stamp_online *o,
                   const char **why)
{
    return issuer_fetch(pool, cert, hall_stamp_hall_of(pool, cert), o->hall, o->timeout_ms, why);
}

int
stamp_status_sources(struct hall_pool *pool, X509 *cert)
{
    return aia_uri(pool, cert, NID_ad_OCSP) != NULL || crl_uri(pool, cert) != NULL;
}

void
hall_stamp_seal_check(struct hall_pool *pool, X509 *cert, const char *es_id,
                      const struct hall_stamp_online *o, struct hall_stamp_seal_status *ss)
{
    const char *base = o->hall != NULL ? o->hall : hall_stamp_hall_of(pool, cert), *why = NULL;
    const struct hall_val *v, *state, *at, *when, *cur;
    struct hall_val *j;
    struct stamp_buf body;
    char *url, err[128];
    size_t bn;
    const char *c;

    memset(ss, 0, sizeof(*ss));
    if (base == NULL) {
        ss->why = "签章人证书未载明营业厅的地址";
        return;
    }
    for (c = es_id; *c != '\0'; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
            break;
    if (*es_id == '\0' || *c != '\0' || c - es_id > 64) {
        ss->why = "印章编码格式不正确";
        return;
    }
    bn = strlen(base);
    while (bn > 0 && base[bn - 1] == '/')
        bn--;
    url = hall_psprintf(pool, "%.*s/sign/seal-status?es_id=%s", (int)bn, base, es_id);
    if (fetch(pool, url, NULL, 0, NULL, o->timeout_ms, &body, &why) != HALL_OK) {
        ss->why = why;
        return;
    }
    j = body.len > 0 ? hall_val_parse(pool, (const char *)body.p, body.len, err, sizeof(err))
                     : NULL;
    stamp_buf_free(&body);
    v = j != NULL ? hall_val_get(j, "seal") : NULL;
    state = v != NULL ? hall_val_get(v, "state") : NULL;
    if (state == NULL || state->type != HALL_V_STR) {
        ss->why = hall_psprintf(pool, "%s 的答复无法识别", url);
        return;
    }
    ss->checked = 1;
    ss->state = state->str;
    at = hall_val_get(v, "revoked_s");
    when = hall_val_get(v, "revoked_at");
    ss->revoked_at = at != NULL && at->type == HALL_V_INT ? (time_t)at->i : 0;
    ss->revoked_text = when != NULL && when->type == HALL_V_STR ? when->str : "";
    cur = hall_val_get(v, "current_seal");
    if (cur == NULL || cur->type != HALL_V_STR || *cur->str == '\0')
        cur = hall_val_get(v, "replaced_by"); /* a hall of before the chain */
    ss->current = cur != NULL && cur->type == HALL_V_STR ? cur->str : "";
}

void
hall_stamp_records_online(struct hall_pool *pool, const struct hall_stamp_status *st,
                          const struct hall_stamp_seal_status *ss, struct hall_stamp_records *rec)
{
    memset(rec, 0, sizeof(*rec));
    if (st->state == HALL_STAMP_REV_UNCHECKED) {
        rec->unchecked = st->why != NULL ? st->why : "";
        return;
    }
    rec->looked_up = 1;
    rec->cert_known = st->state != HALL_STAMP_REV_UNKNOWN;
    rec->cert_revoked = st->state == HALL_STAMP_REV_REVOKED;
    rec->cert_revoked_at = st->revoked_at;
    if (ss != NULL && ss->checked) {
        rec->seal_known = strcmp(ss->state, "unknown") != 0;
        rec->seal_revoked = strcmp(ss->state, "revoked") == 0;
        rec->seal_revoked_at = ss->revoked_at;
    } else {
        /* the seal's state not learnt: not said unregistered */
        rec->seal_known = 1;
        rec->seal_unchecked = ss != NULL && ss->why != NULL ? ss->why : "";
    }
    (void)pool;
}

void
hall_stamp_records_rows(const char *cert_state, time_t cert_revoked_at, const char *seal_state,
                        time_t seal_revoked_at, struct hall_stamp_records *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->looked_up = 1;
    if (cert_state != NULL) {
        rec->cert_known = 1;
        /* a void certificate (an intent never issued) is revoked for a stamp */
        rec->cert_revoked = strcmp(cert_state, "revoked") == 0 || strcmp(cert_state, "void") == 0;
        rec->cert_revoked_at = cert_revoked_at;
    }
    if (seal_state != NULL) {
        rec->seal_known = 1;
        /* 注销; a seal replaced by its re-make still stands for its stamps */
        rec->seal_revoked = strcmp(seal_state, "revoked") == 0;
        rec->seal_revoked_at = seal_revoked_at;
    }
}
