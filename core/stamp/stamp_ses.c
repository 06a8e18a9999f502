/*
 * The SM2 stamp (docs/internals/stamp.md §2a): a GB/T 38540-2020 (version 4)
 * SES_Signature in the PDF signature's /Contents, made and checked here.
 *
 *   SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING,
 *       signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
 *       timeStamp [0] EXPLICIT BIT STRING OPTIONAL }
 *   TBS_Sign ::= SEQUENCE { version INTEGER (4), eseal SESeal,
 *       timeInfo GeneralizedTime, dataHash BIT STRING, propertyInfo IA5String,
 *       extDatas OPTIONAL }
 *
 * Written with the stamp's DER writers (the seal goes in byte for byte);
 * read with a small TLV walker, so that the signature is checked over
 * toSign's bytes as they are in the file, never a re-encoding.
 *
 * Owns: the SES_Signature made (stamp_ses_make, stamp_ses_reserve) and read
 * and checked (stamp_ses_check); the checks it shares with the CMS reader
 * are stamp_check.c's.  Follows: GB/T 38540-2020 (the signature's structure
 * and its signed TBS_Sign, version 4); GM/T 0003 (SM2) and GB/T 32905
 * (SM3); ISO 32000-1 §12.8.1 (the /Contents it fills); RFC 3161 (the
 * optional timeStamp over the signature value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "stamp_int.h"

#define OID_SM3WITHSM2  "1.2.156.10197.1.501"
#define SES_VERSION     4
#define SES_PROP_MAX    64 /* "0 a b c" with 10-digit numbers and more */
#define SES_SIG_MAX_DER 72 /* the largest DER SM2 signature */

/* ---- writing -------------------------------------------------------------- */

/* a BIT STRING of whole bytes */
static void
der_bits(struct stamp_buf *b, const unsigned char *p, size_t n)
{
    struct stamp_buf in = {0};

    stamp_buf_put(&in, "", 1);
    stamp_buf_put(&in, p, n);
    stamp_der_wrap(b, 0x03, &in);
}

/* TBS_Sign: its DER into out */
static void
ses_tbs(struct stamp_buf *out, const unsigned char *seal, size_t seal_len, time_t at,
        const unsigned char hash[32], const char *prop)
{
    struct stamp_buf in = {0};
    unsigned char version = SES_VERSION;
    char when[32];
    struct tm tm;

    gmtime_r(&at, &tm);
    snprintf(when, sizeof(when), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    stamp_der_tlv(&in, 0x02, &version, 1);
    stamp_buf_put(&in, seal, seal_len);
    stamp_der_tlv(&in, 0x18, when, strlen(when));
    der_bits(&in, hash, 32);
    stamp_der_tlv(&in, 0x16, prop, strlen(prop));
    stamp_der_wrap(out, 0x30, &in);
}

/* SES_Signature around tbs (consumed) */
static void
ses_build(struct stamp_buf *out, struct stamp_buf *tbs, X509 *cert, const unsigned char *sig,
          size_t sig_len, const unsigned char *tst, size_t tst_len)
{
    struct stamp_buf in = {0}, ts = {0};
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);

    if (n <= 0)
        abort();
    stamp_buf_put(&in, tbs->p, tbs->len);
    stamp_buf_free(tbs);
    stamp_der_tlv(&in, 0x04, der, (size_t)n);
    OPENSSL_free(der);
    stamp_der_oid(&in, OID_SM3WITHSM2);
    der_bits(&in, sig, sig_len);
    der_bits(&ts, tst, tst_len);
    stamp_der_wrap(&in, 0xa0, &ts);
    stamp_der_wrap(out, 0x30, &in);
}

size_t
stamp_ses_reserve(const struct hall_stamp_sign_in *in)
{
    unsigned char zero[32] = {0}, *ps = calloc(1, SES_SIG_MAX_DER), *pt = calloc(1, 8192);
    struct stamp_buf tbs = {0}, body0 = {0}, tok = {0}, t = {0};
    size_t reserve;

    if (ps == NULL || pt == NULL)
        abort();
    stamp_buf_put(&body0, pt, STAMP_TSA_PLACEHOLDER - 4);
    stamp_der_wrap(&tok, 0x30, &body0);
    ses_tbs(&tbs, in->seal, in->seal_len, 0, zero, "0 9999999999 9999999999 9999999999");
    ses_build(&t, &tbs, in->cert, ps, SES_SIG_MAX_DER, tok.p, tok.len);
    reserve = hall_stamp_reserve(t.len);
    stamp_buf_free(&t);
    stamp_buf_free(&tok);
    free(ps);
    free(pt);
    return reserve;
}

int
stamp_ses_make(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
               const unsigned char hash[32], const char *prop, time_t now, struct stamp_buf *out,
               char *err, size_t errlen)
{
    struct stamp_buf tbs = {0};
    unsigned char *sig, *tst;
    size_t sig_len = 0, tst_len = 0;

    ses_tbs(&tbs, in->seal, in->seal_len, now, hash, prop);
    sig = hall_seseal_sm2_sign(in->key, tbs.p, tbs.len, &sig_len);
    if (sig == NULL) {
        stamp_buf_free(&tbs);
        snprintf(err, errlen, "签名失败：SM2私钥无法签名");
        return HALL_ERR;
    }
    tst = stamp_timestamp(pool, in, sig, sig_len, &tst_len, err, errlen);
    if (tst != NULL)
        ses_build(out, &tbs, in->cert, sig, sig_len, tst, tst_len);
    stamp_buf_free(&tbs);
    OPENSSL_free(sig);
    return tst != NULL ? HALL_OK : HALL_ERR;
}

/* ---- reading -------------------------------------------------------------- */

/* one DER element */
struct tlv {
    unsigned char tag;
    const unsigned char *raw, *body; /* the whole element; its content */
    size_t raw_len, len;
};

/* the element at *p, before end; *p moves past it.  HALL_ERR when malformed */
static int
tlv_next(const unsigned char **p, const unsigned char *end, struct tlv *t)
{
    const unsigned char *q = *p;
    size_t len = 0;

    if (end - q < 2)
        return HALL_ERR;
    t->raw = q;
    t->tag = *q++;
    if (*q < 0x80) {
        len = *q++;
    } else {
        int k = *q++ & 0x7f;

        if (k == 0 || k > 4 || end - q < k)
            return HALL_ERR;
        while (k-- > 0)
            len = len << 8 | *q++;
    }
    if ((size_t)(end - q) < len)
        return HALL_ERR;
    t->body = q;
    t->len = len;
    t->raw_len = (size_t)(q + len - t->raw);
    *p = q + len;
    return HALL_OK;
}

/* the parts of an SES_Signature */
struct ses {
    struct tlv tbs, version, eseal, time, hash, prop, cert, alg, sig, tst;
    int has_tst;
};

/* a BIT STRING of whole bytes: its bytes */
static int
bits_of(const struct tlv *t, const unsigned char **p, size_t *n)
{
    if (t->tag != 0x03 || t->len < 1 || t->body[0] != 0)
        return HALL_ERR;
    *p = t->body + 1;
    *n = t->len - 1;
    return HALL_OK;
}

static int
ses_parse(const unsigned char *der, size_t der_len, struct ses *x)
{
    const unsigned char *p = der, *end = der + der_len, *q, *qe;
    struct tlv top;

    memset(x, 0, sizeof(*x));
    if (tlv_next(&p, end, &top) != HALL_OK || top.tag != 0x30)
        return HALL_ERR;
    q = top.body;
    qe = top.body + top.len;
    if (tlv_next(&q, qe, &x->tbs) != HALL_OK || x->tbs.tag != 0x30 ||
        tlv_next(&q, qe, &x->cert) != HALL_OK || x->cert.tag != 0x04 ||
        tlv_next(&q, qe, &x->alg) != HALL_OK || x->alg.tag != 0x06 ||
        tlv_next(&q, qe, &x->sig) != HALL_OK || x->sig.tag != 0x03)
        return HALL_ERR;
    if (q < qe) {
        struct tlv outer;
        const unsigned char *r;

        if (tlv_next(&q, qe, &outer) != HALL_OK || outer.tag != 0xa0)
            return HALL_ERR;
        r = outer.body;
        if (tlv_next(&r, outer.body + outer.len, &x->tst) != HALL_OK || x->tst.tag != 0x03)
            return HALL_ERR;
        x->has_tst = 1;
    }
    q = x->tbs.body;
    qe = x->tbs.body + x->tbs.len;
    if (tlv_next(&q, qe, &x->version) != HALL_OK || x->version.tag != 0x02 ||
        tlv_next(&q, qe, &x->eseal) != HALL_OK || x->eseal.tag != 0x30 ||
        tlv_next(&q, qe, &x->time) != HALL_OK || x->time.tag != 0x18 ||
        tlv_next(&q, qe, &x->hash) != HALL_OK || x->hash.tag != 0x03 ||
        tlv_next(&q, qe, &x->prop) != HALL_OK || x->prop.tag != 0x16)
        return HALL_ERR;
    return HALL_OK;
}

/* check 2a: SM3 of the ranges is dataHash */
static int
ses_digest(const struct stamp_rdig *rd, const struct ses *x, struct hall_stamp_sig *s)
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    const unsigned char *want;
    size_t wl;
    const char *why = NULL;

    s->digest = HALL_STAMP_FAIL;
    if (stamp_rdig_get(rd, EVP_sm3(), h, &hl, &why) != HALL_OK) {
        s->problem = why;
        return HALL_ERR;
    }
    if (bits_of(&x->hash, &want, &wl) != HALL_OK || wl != hl || memcmp(want, h, hl) != 0) {
        s->problem = "签名后文档内容被改动（SM3摘要不符）";
        return HALL_ERR;
    }
    s->digest = HALL_STAMP_PASS;
    return HALL_OK;
}

/* check 2b: SM3withSM2 over toSign as in the file, with cert's key */
static int
ses_signature(const struct ses *x, X509 *cert, struct hall_stamp_sig *s)
{
    const unsigned char *ap = x->alg.raw, *sig;
    ASN1_OBJECT *alg = d2i_ASN1_OBJECT(NULL, &ap, (long)x->alg.raw_len);
    size_t sl;
    int ok = alg != NULL && OBJ_obj2nid(alg) == NID_SM2_with_SM3 &&
             bits_of(&x->sig, &sig, &sl) == HALL_OK &&
             hall_seseal_sm2_verify(cert, x->tbs.raw, x->tbs.raw_len, sig, sl);

    ASN1_OBJECT_free(alg);
    s->signature = ok ? HALL_STAMP_PASS : HALL_STAMP_FAIL;
    if (!ok)
        s->problem = "签名值验证失败（SM2）";
    return ok ? HALL_OK : HALL_ERR;
}

/* check 2c: version 4, propertyInfo names this /ByteRange */
static enum hall_stamp_check
ses_names_range(const struct ses *x, const struct hall_stamp_sig *s)
{
    char want[SES_PROP_MAX];
    int n = snprintf(want, sizeof(want), "0 %lld %lld %lld", s->byte_range[1], s->byte_range[2],
                     s->byte_range[3]);

    return x->version.len == 1 && x->version.body[0] == SES_VERSION && n > 0 &&
                   x->prop.len == (size_t)n && memcmp(x->prop.body, want, (size_t)n) == 0
               ? HALL_STAMP_PASS
               : HALL_STAMP_FAIL;
}

void
stamp_ses_check(struct hall_pool *pool, const struct stamp_rdig *rd, const unsigned char *der,
                size_t der_len, const struct hall_stamp_trust *trust, struct hall_stamp_sig *s,
                time_t now)
{
    struct ses x;
    const unsigned char *cp, *sig;
    X509 *cert = NULL;
    const char *why = NULL;
    size_t sl = 0;

    s->ses = 1;
    if (ses_parse(der, der_len, &x) != HALL_OK) {
        s->digest = HALL_STAMP_FAIL;
        s->problem = "签章数据（GB/T 38540 SES_Signature）无法解析";
        return;
    }
    cp = x.cert.body;
    cert = d2i_X509(NULL, &cp, (long)x.cert.len);
    if (cert == NULL) {
        s->signature = HALL_STAMP_FAIL;
        s->problem = "签章数据中没有签章人证书";
        return;
    }
    stamp_signer_named(pool, cert, s);
    if (ses_digest(rd, &x, s) != HALL_OK || ses_signature(&x, cert, s) != HALL_OK)
        goto out;
    s->signing_cert = ses_names_range(&x, s);
    stamp_check_seal(pool, x.eseal.raw, x.eseal.raw_len, cert, trust, s);
    if (x.has_tst && bits_of(&x.sig, &sig, &sl) == HALL_OK && x.tst.len > 1 && x.tst.body[0] == 0)
        stamp_check_timestamp(pool, x.tst.body + 1, (long)(x.tst.len - 1), sig, (int)sl, trust, s);
    else
        s->timestamp = HALL_STAMP_FAIL;
    s->chain = hall_seseal_sm2_chain(cert, s->signing_time != 0 ? s->signing_time : now, &why)
                   ? HALL_STAMP_PASS
                   : HALL_STAMP_FAIL;
out:
    X509_free(cert);
}
