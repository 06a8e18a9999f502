/*
 * The stamp's CMS (docs/internals/stamp.md §2): a CMS SignedData assembled
 * in DER here (OpenSSL's CMS_sign always adds a signingTime, which PAdES
 * forbids, and orders nothing we could promise the browser writer), and
 * the RFC 3161 timestamp over its signature value (B-T).
 *
 * Owns: the CMS SignedData's bytes (stamp_cms_build), its signed attributes
 * (stamp_signed_attrs) and the timestamp asked for the signature value
 * (stamp_timestamp).  Follows: RFC 5652 §5 (SignedData, SignerInfo, signed
 * attributes in a DER SET); RFC 5035 (ESS signing-certificate-v2); ISO
 * 32000-1 §12.8.3.3 (a CMS signature in a PDF, detached); ETSI EN 319 142-1
 * clause 6 (PAdES baseline B-B and B-T: no signingTime attribute, the time
 * is the dictionary's /M); RFC 3161 §2.4 (the TimeStampReq and its answer),
 * the token put as the unsigned attribute of RFC 3161 Appendix A.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "stamp_int.h"

static void
x509_der(struct stamp_buf *b, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);

    if (n <= 0)
        abort();
    stamp_buf_put(b, der, (size_t)n);
    OPENSSL_free(der);
}

void
stamp_signed_attrs(struct stamp_buf *set, const unsigned char digest[32], X509 *cert,
                   const unsigned char *seal, size_t seal_len)
{
    struct stamp_buf a[4] = {{0}}, in = {0}, v = {0}, x = {0};
    unsigned char h[32];
    int i;

    /* contentType = id-data */
    stamp_der_oid(&a[0], "1.2.840.113549.1.9.3");
    stamp_der_oid(&v, "1.2.840.113549.1.7.1");
    stamp_der_wrap(&a[0], 0x31, &v);
    stamp_der_wrap(&in, 0x30, &a[0]);
    a[0] = in;
    memset(&in, 0, sizeof(in));
    /* messageDigest */
    stamp_der_oid(&in, "1.2.840.113549.1.9.4");
    stamp_der_tlv(&v, 0x04, digest, 32);
    stamp_der_wrap(&in, 0x31, &v);
    stamp_der_wrap(&a[1], 0x30, &in);
    /* signingCertificateV2: SEQ { SEQ OF { ESSCertIDv2 { certHash } } } */
    x509_der(&x, cert);
    SHA256(x.p, x.len, h);
    stamp_buf_free(&x);
    stamp_der_oid(&in, "1.2.840.113549.1.9.16.2.47");
    stamp_der_tlv(&x, 0x04, h, 32);
    {
        struct stamp_buf id = {0}, ids = {0}, sc = {0};

        stamp_der_wrap(&id, 0x30, &x);
        stamp_der_wrap(&ids, 0x30, &id);
        stamp_der_wrap(&sc, 0x30, &ids);
        stamp_der_wrap(&v, 0x31, &sc);
    }
    stamp_buf_put(&in, v.p, v.len);
    stamp_buf_free(&v);
    stamp_der_wrap(&a[2], 0x30, &in);
    /* the seal */
    stamp_der_oid(&in, STAMP_OID_SEAL_ATTR);
    stamp_der_tlv(&in, 0x31, seal, seal_len);
    stamp_der_wrap(&a[3], 0x30, &in);
    qsort(a, 4, sizeof(a[0]), stamp_der_cmp);
    for (i = 0; i < 4; i++) {
        stamp_buf_put(set, a[i].p, a[i].len);
        stamp_buf_free(&a[i]);
    }
}

void
stamp_cms_build(struct stamp_buf *out, X509 *cert, STACK_OF(X509) * chain,
                const struct stamp_buf *attrs, const unsigned char *sig, size_t sig_len,
                const unsigned char *tst, size_t tst_len)
{
    struct stamp_buf sd = {0}, t = {0}, si = {0}, ias = {0}, u = {0}, ci = {0};
    unsigned char *der = NULL;
    int i, n;

    /* SignedData */
    stamp_der_tlv(&sd, 0x02, "\x01", 1);
    stamp_der_alg(&t, "2.16.840.1.101.3.4.2.1");
    stamp_der_wrap(&sd, 0x31, &t);
    stamp_der_oid(&t, "1.2.840.113549.1.7.1");
    stamp_der_wrap(&sd, 0x30, &t);
    x509_der(&t, cert);
    for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
        x509_der(&t, sk_X509_value(chain, i));
    stamp_der_wrap(&sd, 0xa0, &t);
    /* SignerInfo */
    stamp_der_tlv(&si, 0x02, "\x01", 1);
    n = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
    if (n <= 0)
        abort();
    stamp_buf_put(&ias, der, (size_t)n);
    OPENSSL_free(der);
    der = NULL;
    n = i2d_ASN1_INTEGER((ASN1_INTEGER *)X509_get0_serialNumber(cert), &der);
    if (n <= 0)
        abort();
    stamp_buf_put(&ias, der, (size_t)n);
    OPENSSL_free(der);
    stamp_der_wrap(&si, 0x30, &ias);
    stamp_der_alg(&si, "2.16.840.1.101.3.4.2.1");
    stamp_der_tlv(&si, 0xa0, attrs->p, attrs->len);
    stamp_der_alg(&si, "1.2.840.10045.4.3.2");
    stamp_der_tlv(&si, 0x04, sig, sig_len);
    /* unsigned: signatureTimeStampToken */
    stamp_der_oid(&u, "1.2.840.113549.1.9.16.2.14");
    stamp_der_tlv(&u, 0x31, tst, tst_len);
    stamp_der_wrap(&t, 0x30, &u);
    stamp_der_wrap(&si, 0xa1, &t);
    stamp_der_wrap(&t, 0x30, &si);
    stamp_der_wrap(&sd, 0x31, &t);
    stamp_der_wrap(&t, 0x30, &sd);
    /* ContentInfo */
    stamp_der_oid(&ci, "1.2.840.113549.1.7.2");
    stamp_der_wrap(&ci, 0xa0, &t);
    stamp_der_wrap(out, 0x30, &ci);
}

/* ---- the timestamp -------------------------------------------------------------------- */

/* a TimeStampReq: SHA-256 of sig, a fresh nonce, certReq */
struct ts_ask {
    unsigned char h[32];
    ASN1_INTEGER *nonce;
    unsigned char *der; /* OPENSSL_malloc'ed */
    int len;
};

/* a TimeStampReq over a->h (a SHA-256 already made) */
static void
ts_request_h(struct ts_ask *a)
{
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    uint64_t nv;

    a->nonce = ASN1_INTEGER_new();
    if (req == NULL || mi == NULL || alg == NULL || a->nonce == NULL)
        abort();
    X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
    if (RAND_bytes((unsigned char *)&nv, sizeof(nv)) != 1)
        abort();
    nv >>= 1;
    if (TS_MSG_IMPRINT_set_algo(mi, alg) != 1 || TS_MSG_IMPRINT_set_msg(mi, a->h, 32) != 1 ||
        TS_REQ_set_version(req, 1) != 1 || TS_REQ_set_msg_imprint(req, mi) != 1 ||
        ASN1_INTEGER_set_uint64(a->nonce, nv) != 1 || TS_REQ_set_nonce(req, a->nonce) != 1 ||
        TS_REQ_set_cert_req(req, 1) != 1)
        abort();
    a->der = NULL;
    a->len = i2d_TS_REQ(req, &a->der);
    if (a->len <= 0)
        abort();
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
}

static void
ts_request(struct ts_ask *a, const unsigned char *sig, size_t sig_len)
{
    SHA256(sig, sig_len, a->h);
    ts_request_h(a);
}

/* POST the request to in->tsa_url through core's HTTP client: the answer
 * in body, or HALL_ERR with err */
static int
ts_post(const struct hall_stamp_sign_in *in, const struct ts_ask *a, struct stamp_buf *body,
        char *err, size_t errlen)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_http_call call;
    struct hall_http_resp resp;
    int rc = HALL_OK;

    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = in->tsa_url;
    call.content_type = "application/timestamp-query";
    call.body = (const char *)a->der;
    call.body_len = a->len;
    call.connect_ms = in->tsa_timeout_ms > 0 ? in->tsa_timeout_ms : 15000L;
    call.total_ms = call.connect_ms;
    call.max_body = STAMP_TSA_RESP_MAX;
    call.provider = "tsa";
    if (hall_http_call(pool, &call, &resp) != HALL_OK || resp.status != 200) {
        snprintf(err, errlen, "无法连接时间戳服务（%s）：没有时间戳不能盖章，请检查网络后重试",
                 resp.status == 0 && resp.error != NULL ? resp.error : "HTTP 状态异常");
        rc = HALL_ERR;
    } else {
        stamp_buf_put(body, resp.body, resp.len);
    }
    hall_pool_destroy(pool);
    return rc;
}

/* the answer's token, granted, over our imprint with our nonce: the
 * token's DER in pool, or NULL with err */
static unsigned char *
ts_token(struct hall_pool *pool, const struct ts_ask *a, const unsigned char *resp_der,
         size_t resp_len, size_t *tst_len, char *err, size_t errlen)
{
    const unsigned char *cp = resp_der;
    TS_RESP *resp = d2i_TS_RESP(NULL, &cp, (long)resp_len);
    unsigned char *tok = NULL, *out = NULL;
    int n;

    if (resp == NULL ||
        ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) > 1 ||
        TS_RESP_get_token(resp) == NULL) {
        snprintf(err, errlen, "时间戳服务拒绝了请求，未盖章");
        goto out;
    }
    {
        TS_TST_INFO *ti = TS_RESP_get_tst_info(resp);
        TS_MSG_IMPRINT *got = ti != NULL ? TS_TST_INFO_get_msg_imprint(ti) : NULL;
        ASN1_OCTET_STRING *gm = got != NULL ? TS_MSG_IMPRINT_get_msg(got) : NULL;
        const ASN1_INTEGER *gn = ti != NULL ? TS_TST_INFO_get_nonce(ti) : NULL;

        if (gm == NULL || ASN1_STRING_length(gm) != 32 ||
            memcmp(ASN1_STRING_get0_data(gm), a->h, 32) != 0 || gn == NULL ||
            ASN1_INTEGER_cmp(gn, a->nonce) != 0) {
            snprintf(err, errlen, "时间戳服务的应答与请求不符，未盖章");
            goto out;
        }
    }
    n = i2d_PKCS7(TS_RESP_get_token(resp), &tok);
    if (n <= 0)
        abort();
    out = hall_palloc(pool, (size_t)n);
    memcpy(out, tok, (size_t)n);
    *tst_len = (size_t)n;
out:
    OPENSSL_free(tok);
    TS_RESP_free(resp);
    return out;
}

/* the token over a's imprint from in's TSA; a's request freed */
static unsigned char *
ts_ask_tsa(struct hall_pool *pool, const struct hall_stamp_sign_in *in, struct ts_ask *a,
           size_t *tst_len, char *err, size_t errlen)
{
    struct stamp_buf body = {0};
    unsigned char *resp_der, *out = NULL;
    size_t resp_len = 0;

    if (in->tsa != NULL) {
        resp_der = in->tsa(in->tsa_arg, pool, a->der, (size_t)a->len, &resp_len);
        if (resp_der == NULL) {
            snprintf(err, errlen, "时间戳服务无应答，未盖章");
            goto out;
        }
    } else {
        if (ts_post(in, a, &body, err, errlen) != HALL_OK)
            goto out;
        resp_der = body.p;
        resp_len = body.len;
    }
    out = ts_token(pool, a, resp_der, resp_len, tst_len, err, errlen);
out:
    OPENSSL_free(a->der);
    ASN1_INTEGER_free(a->nonce);
    stamp_buf_free(&body);
    return out;
}

unsigned char *
stamp_timestamp(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                const unsigned char *sig, size_t sig_len, size_t *tst_len, char *err, size_t errlen)
{
    struct ts_ask a;

    ts_request(&a, sig, sig_len);
    return ts_ask_tsa(pool, in, &a, tst_len, err, errlen);
}

unsigned char *
stamp_timestamp_digest(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                       const unsigned char h[32], size_t *tst_len, char *err, size_t errlen)
{
    struct ts_ask a;

    memcpy(a.h, h, 32);
    ts_request_h(&a);
    return ts_ask_tsa(pool, in, &a, tst_len, err, errlen);
}
